// The transfer record in Redis: the single source of truth for one transfer request, written at every
// transition and before every effect that puts someone somewhere (handle.ts). Its id is the transfer's one
// id: the timeline's transferId, the carried-load lease and the logs name the transfer by it. Whoever owns it holds a lease, renewed every half second, and a fencing token: claiming a record
// (a takeover) increments the token atomically, and every write names the token it was made under, so an
// owner that lost its record (a process that was only slow, not dead) can never write again.
//
// Keys (under a prefix, default "wt:"): `transfer:<id>` the record as JSON; `transfer-leases` a sorted set of
// ids by lease expiry, where a watcher finds the records whose owner stopped renewing; `call:<room>` the
// transfer currently open for a caller's room, so two requests for one call cannot both start.
import type { Redis } from 'ioredis';
import type { TransferPhase } from '../state/phase.ts';
import type { TopologyKind } from '../hold/topology.ts';
import { CLAIM, HAND_OVER, REMOVE, WRITE } from './scripts.ts';

/**
 * The owner's lease, renewed by the owning job every LEASE_RENEW_MS and by its worker's watcher at every sweep
 * while the job's process runs (takeover/watcher.ts). When a whole worker dies, its transfers wait this long (from
 * their last renewal) for another worker to take them over, so it bounds how soon the caller hears music again.
 * Both renewals must be LEASE_MS late before another worker takes a live job for dead (its own worker never
 * does); the clocks of the workers' machines must agree to well within that.
 */
export const LEASE_MS = 1500;
export const LEASE_RENEW_MS = 500;
/**
 * A record a watcher has claimed is its own for this long while the job it dispatched starts and adopts it;
 * a job that never comes lets it expire, and the next watcher claims it again (one more resume).
 */
export const HANDOVER_MS = 15_000;
/** The call slot's value once the caller has been handed off; it lasts this long (the call ends meanwhile). */
export const HANDED_OFF = 'handed-off';
export const HANDED_OFF_LINGER_MS = 60_000;
/** The keeper that takes an offered record holds it alone this long (a second offer of it is left to the first). */
export const OFFER_TAKE_MS = 10_000;

export interface TransferRecord {
  readonly id: string;
  /** Incremented by every write. */
  readonly version: number;
  /** The fencing token of the owner; a claim increments it. */
  readonly fence: number;
  readonly owner: string;
  /** Epoch ms until which the owner's lease holds. */
  readonly leaseUntil: number;
  /** Epoch ms of the owner's last write or renewal: how long the transfer went unattended is measured from it. */
  readonly renewedAt: number;
  readonly resumes: number;
  /** The agent whose settings the call runs with (the job's metadata), so a resumed job reads the same. */
  readonly agentId?: string;
  readonly callerRoom: string;
  readonly callerIdentity: string;
  /** The rule's destination chain, as labels, and the index being tried. */
  readonly chain: readonly string[];
  readonly index: number;
  readonly phase: TransferPhase;
  /** Written before the destination is dialled into it. */
  readonly consultationRoom?: string;
  /**
   * Written only by versions before 2026-12-06, which moved a Cloud caller into a hold room (this one), and on
   * acceptance into the consultation room: a takeover brings such a caller home first (bring-home.ts).
   */
  readonly holdRoom?: string;
  /**
   * How caller and person are (to be) connected: `move`, the server moves the person into the caller's room;
   * `bridge`, the worker relays. Written at the hold, and again when a connect had to relay instead.
   */
  readonly topology?: TopologyKind;
  /** Epoch ms: the whole request's deadline. */
  readonly deadlineAt: number;
  /** What a resumed job needs to brief the destination again. */
  readonly request?: { readonly reason: string; readonly brief: boolean; readonly known?: string; readonly fromNumber?: string };
  /** The summary the destination was (or is being) briefed with. */
  readonly summary?: string;
  /** Epoch ms the call was bridged: MAX_BRIDGED_CALL_S counts from it, whoever carries the call. */
  readonly bridgedAt?: number;
  /** A bridged call's job asks its worker's keeper (keeper/keeper.ts) to carry the call on, so it can end. */
  readonly handoff?: { readonly askedAt: number };
  /** The organization whose settings the call runs with (a keeper's timeline goes to its stream). */
  readonly organizationId?: string;
  /** How often a keeper could not carry this bridged call: at KEEPER_TRIES a job relays it. */
  readonly keeperFailures?: number;
  readonly updatedAt: number;
}

/** What a write may change: everything but the bookkeeping the store keeps itself. */
export type RecordPatch = Partial<Omit<TransferRecord, 'id' | 'version' | 'fence' | 'owner' | 'leaseUntil' | 'renewedAt' | 'resumes' | 'updatedAt'>>;

export type NewRecord = Omit<TransferRecord, 'version' | 'fence' | 'leaseUntil' | 'renewedAt' | 'resumes' | 'updatedAt'>;

/** The write was refused: another owner claimed the record (or it is gone). The writer must stop. */
export class FencedError extends Error {
  constructor(
    readonly id: string,
    readonly fence: number,
  ) {
    super(`transfer ${id}: fence ${fence} is no longer the owner's`);
    this.name = 'FencedError';
  }
}

/** A second transfer for a call that already has one open. */
export class CallBusyError extends Error {
  constructor(readonly callerRoom: string) {
    super('a transfer is already open for this call');
    this.name = 'CallBusyError';
  }
}

export interface RecordStoreOptions {
  redis: Redis;
  prefix?: string;
  leaseMs?: number;
  now?: () => number;
}

export class TransferRecordStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly leaseMs: number;
  readonly #now: () => number;

  constructor(options: RecordStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'wt:';
    this.leaseMs = options.leaseMs ?? LEASE_MS;
    this.#now = options.now ?? Date.now;
  }

  #record = (id: string) => `${this.#prefix}transfer:${id}`;
  get #leases() {
    return `${this.#prefix}transfer-leases`;
  }
  #call = (room: string) => `${this.#prefix}call:${room}`;
  #asks = (workerKey = '') => `${this.#prefix}handoff-asks:${workerKey}`;
  get #offers() {
    return `${this.#prefix}handoff-offers`;
  }

  /**
   * Creates the record with fence 1 and a fresh lease; refuses (CallBusyError) when the caller's room already
   * has a transfer open: that is the one check that must be atomic across processes.
   */
  async create(fields: NewRecord): Promise<TransferRecord> {
    const now = this.#now();
    const record: TransferRecord = { ...fields, version: 1, fence: 1, leaseUntil: now + this.leaseMs, renewedAt: now, resumes: 0, updatedAt: now };
    // The call's slot expires by itself if nobody ever removes it (a whole worker gone and no watcher).
    const slot = await this.#redis.set(this.#call(fields.callerRoom), fields.id, 'PX', Math.max(this.leaseMs * 20, 60_000), 'NX');
    if (slot !== 'OK') throw new CallBusyError(fields.callerRoom);
    await this.#redis.multi().set(this.#record(fields.id), JSON.stringify(record)).zadd(this.#leases, record.leaseUntil, fields.id).exec();
    return record;
  }

  async read(id: string): Promise<TransferRecord | undefined> {
    const raw = await this.#redis.get(this.#record(id));
    return raw ? (JSON.parse(raw) as TransferRecord) : undefined;
  }

  /** The transfer open for a caller's room, if any. */
  async openFor(callerRoom: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#call(callerRoom))) ?? undefined;
  }

  /** Applies `patch` under `fence`; returns the new version. Throws FencedError when the fence is stale. */
  async write(id: string, fence: number, patch: RecordPatch): Promise<number> {
    return this.#run(id, fence, WRITE, [this.#record(id), this.#leases], [String(fence), JSON.stringify(patch), String(this.#now()), '', '', this.#asks()]);
  }

  /**
   * Calls `onAsk` with the id of each record a job of `workerKey` asks to hand over (a write with a `handoff`),
   * as it is written: the keeper need not wait for the watcher's next sweep, which finds the ask too (and
   * is all there is while this subscription is down). A connection of its own, since a subscribing one can
   * do nothing else; ioredis subscribes again after a reconnect.
   */
  listenForAsks(workerKey: string, onAsk: (id: string) => void): { close(): void } {
    return this.#listen(this.#asks(workerKey), onAsk);
  }

  /**
   * A worker that is stopping offers record `id` (a bridged call it keeps, or one its job asks to hand over) to
   * the keepers of the other workers; `listenForOffers` hears it, and `takeOffer` says which keeper takes it.
   */
  async offer(id: string): Promise<void> {
    await this.#redis.publish(this.#offers, id);
  }

  listenForOffers(onOffer: (id: string) => void): { close(): void } {
    return this.#listen(this.#offers, onOffer);
  }

  /** True for the first `taker` to ask for offered record `id` within OFFER_TAKE_MS: that keeper alone bridges it. */
  async takeOffer(id: string, taker: string, ms = OFFER_TAKE_MS): Promise<boolean> {
    return (await this.#redis.set(`${this.#prefix}handoff-taker:${id}`, taker, 'PX', ms, 'NX')) === 'OK';
  }

  #listen(channel: string, onMessage: (id: string) => void): { close(): void } {
    const subscriber = this.#redis.duplicate();
    subscriber.on('error', () => undefined); // its reconnects are ioredis's; meanwhile the sweeps carry the asks
    subscriber.on('message', (_channel: string, id: string) => onMessage(id));
    subscriber.subscribe(channel).catch(() => undefined);
    return { close: () => subscriber.disconnect() };
  }

  /** Renews the owner's lease (and the call's slot); throws FencedError when the fence is stale. */
  async renew(id: string, fence: number, callerRoom: string): Promise<void> {
    await this.#run(id, fence, WRITE, [this.#record(id), this.#leases], [String(fence), '{}', String(this.#now()), String(this.leaseMs)]);
    await this.#redis.pexpire(this.#call(callerRoom), Math.max(this.leaseMs * 20, 60_000));
  }

  /**
   * Takes the record over for `owner`: the fence goes up by one, so the previous owner's writes fail from now
   * on. Only once its lease has run out, unless `force` (the owner's process was seen to exit). Returns the
   * new fence, or undefined when the record is gone or its lease still holds.
   */
  async claim(id: string, owner: string, force = false, leaseMs = this.leaseMs): Promise<number | undefined> {
    const result = Number(await this.#redis.eval(CLAIM, 2, this.#record(id), this.#leases, owner, String(this.#now()), String(leaseMs), force ? '1' : '0'));
    return result > 0 ? result : undefined;
  }

  /**
   * The owner under `fence` hands the record to `owner` (a job's bridged call to its keeper): the fence goes up,
   * but no resume is counted. The new fence, or undefined when the record is gone or has another fence by now.
   */
  async handOver(id: string, fence: number, owner: string, leaseMs = this.leaseMs): Promise<number | undefined> {
    const result = Number(await this.#redis.eval(HAND_OVER, 2, this.#record(id), this.#leases, String(fence), owner, String(this.#now()), String(leaseMs)));
    return result > 0 ? result : undefined;
  }

  /**
   * A job dispatched to resume the record takes it under the fence its watcher claimed: it becomes the owner
   * with a fresh lease. Throws FencedError when someone claimed it again meanwhile.
   */
  async adopt(id: string, fence: number, owner: string): Promise<TransferRecord> {
    // Read first: the record as the previous owner left it (its renewedAt says when it was last attended).
    const before = await this.read(id);
    if (!before || before.fence !== fence) throw new FencedError(id, fence);
    await this.#run(id, fence, WRITE, [this.#record(id), this.#leases], [String(fence), '{}', String(this.#now()), String(this.leaseMs), owner]);
    return { ...before, owner };
  }

  /** Every open record (for the watchers). */
  async all(): Promise<TransferRecord[]> {
    const ids = await this.#redis.zrange(this.#leases, '0', '-1');
    if (ids.length === 0) return [];
    const raw = await this.#redis.mget(...ids.map((id) => this.#record(id)));
    return raw.flatMap((text) => (text ? [JSON.parse(text) as TransferRecord] : []));
  }

  /** Drops an id from the lease set whose record is gone (a record removed by hand, or expired). */
  async forget(id: string): Promise<void> {
    await this.#redis.zrem(this.#leases, id);
  }

  /** Ids of records whose lease ran out (their owner stopped renewing). */
  async expired(): Promise<string[]> {
    return this.#redis.zrangebyscore(this.#leases, '-inf', this.#now());
  }

  /**
   * The caller was handed to someone (bridged call over, or taken by the trunk): the record goes, and the
   * call's slot says so for `lingerMs`, so a late key press or tool call on that call starts nothing.
   */
  async handOff(id: string, fence: number, callerRoom: string, lingerMs = HANDED_OFF_LINGER_MS): Promise<void> {
    await this.remove(id, fence, callerRoom);
    await this.#redis.set(this.#call(callerRoom), HANDED_OFF, 'PX', lingerMs);
  }

  /** The transfer is over: the record, its lease and the call's slot go. Throws FencedError when fenced. */
  async remove(id: string, fence: number, callerRoom: string): Promise<void> {
    await this.#run(id, fence, REMOVE, [this.#record(id), this.#leases, this.#call(callerRoom)], [String(fence), id]);
  }

  async #run(id: string, fence: number, script: string, keys: string[], args: string[]): Promise<number> {
    const result = Number(await this.#redis.eval(script, keys.length, ...keys, ...args));
    if (result < 0) throw new FencedError(id, fence);
    return result;
  }
}
