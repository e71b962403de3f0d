// The keeper's forwarder (keeper.ts): started with the worker (or when the first call between two rooms is
// kept), started again when it has died, and told for each kept record which two rooms to bridge. What it
// reports (someone left, a room closed, a bridge lost, the process gone) goes back to the keeper by transfer id.
import { DESTINATION_IDENTITY } from '../transfer/consultation.ts';
import type { TransferRecord, TransferRecordStore } from '../transfer/record/store.ts';
import type { RoomApi } from '../livekit/room-api.ts';
import type { BridgeReady, Forwarder } from './forwarder-link.ts';

/**
 * The identity a keeper's forwarder joins both rooms with: `transfer-forwarder-<worker key>`, the same for every
 * bridge of that keeper, so a forwarder that died is replaced in the rooms at once by the next one's join (the
 * server removes the duplicate). Another keeper's forwarder has another identity: a keeper taking a call over
 * from a live one (a worker stopping, drain.ts) bridges it held (silent) beside the old one, takes the record,
 * and releases its bridge once the old one has left (keeper.ts #take). A forwarder pushed out by a duplicate
 * nonetheless (two workers given one key) waits for the record to change hands before it bridges again, as
 * bridging again would push the other one out.
 */
export const FORWARDER_IDENTITY = 'transfer-forwarder';
export const forwarderIdentity = (workerKey: string): string => `${FORWARDER_IDENTITY}-${workerKey}`;
/**
 * A bridge taken over from a live keeper is ready (joined, published, subscribed) before the phones' side has
 * subscribed to its tracks: it stays held this long before the record is taken (and the old forwarder leaves),
 * so the phones are already receiving its (silent) stream when its audio starts. Measured: 0.9 s on a busy
 * two-core machine; the server's word that a track is subscribed would be exact (not used yet).
 */
export const HELD_SETTLE_MS = 1000;
/** How long a bridge taken over from a live keeper stays held, at most, waiting for the old forwarder to leave. */
export const RELEASE_WAIT_MS = 2000;

/** Resolves once `identity` is not in `room` (looked at every 100 ms), or after `ms` anyway; says which. */
export function leftRoom(api: Required<Pick<RoomApi, 'participantIdentities'>>, room: string, identity: string, ms = RELEASE_WAIT_MS): Promise<boolean> {
  return within(ms, async () => {
    const there = await api.participantIdentities(room).catch(() => [identity]);
    return there === 'no_room' || !there.includes(identity);
  });
}

/** True once `check` is, looked at every 100 ms; false if it never is within `ms`. */
async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 100))) if (await check()) return true;
  return false;
}

/** How long a forwarder pushed out of its rooms waits for the record to name another keeper. */
export const REPLACED_WAIT_MS = 3000;

/** Whether a lost bridge's message says another forwarder joined with our identity. */
export const replacedBy = (message: string): boolean => message.includes('DUPLICATE_IDENTITY');

/** True once record `id` has another fence than `fence` (or is gone) within `ms`: another keeper has the call. */
export function takenOver(store: Pick<TransferRecordStore, 'read'>, id: string, fence: number, ms = REPLACED_WAIT_MS): Promise<boolean> {
  return within(ms, async () => {
    const record = await store.read(id).catch(() => null);
    return record === undefined || (record !== null && record.fence !== fence);
  });
}

export interface ForwardingOptions {
  start(): Forwarder;
  /** The identity it joins the rooms with (forwarderIdentity). */
  identity: string;
  /** The LiveKit URL the forwarder joins. */
  url: string;
  /** A token for the forwarder to join `room`. */
  token(room: string, identity: string): Promise<string>;
  onLeft(id: string, side: 'caller' | 'destination'): void;
  onRoomClosed(id: string): void;
  onLost(id: string, message: string): void;
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
  /** Whether the keeper keeps `id` (a bridge that outlived its call is stopped). */
  isKept(id: string): boolean;
}

export class Forwarding {
  #forwarder: Forwarder | undefined;
  /** Caller identity and room by transfer id: whose departure is the caller's. */
  readonly #callers = new Map<string, { room: string; identity: string }>();

  constructor(private readonly options: ForwardingOptions) {}

  /** Bridges the record's caller room and consultation room; resolves once both directions are carried (held: once they could be). */
  async bridge(record: TransferRecord, held = false): Promise<BridgeReady | void> {
    const forwarder = this.#running();
    const { url, token } = this.options;
    const [callerToken, consultationToken] = await Promise.all([
      token(record.callerRoom, this.options.identity),
      token(record.consultationRoom!, this.options.identity),
    ]);
    this.#callers.set(record.id, { room: record.callerRoom, identity: record.callerIdentity });
    return forwarder.bridge({
      id: record.id,
      url,
      a: { room: record.callerRoom, token: callerToken, from: record.callerIdentity },
      b: { room: record.consultationRoom!, token: consultationToken, from: DESTINATION_IDENTITY },
      ...(held ? { held } : {}),
    });
  }

  /** A held bridge carries the audio from now on. */
  release(id: string): void {
    this.#forwarder?.release(id);
  }

  /** The forwarder started, if it is not running (before the first bridge, which then need not wait for it). */
  warm(): void {
    this.#running();
  }

  /** The bridge of `id` taken down (nothing if there is none, or no forwarder). */
  async stop(id: string): Promise<void> {
    this.#callers.delete(id);
    await this.#forwarder?.stop(id);
  }

  async close(): Promise<void> {
    await this.#forwarder?.close();
  }

  /** The forwarder, started (again) if it is not running. */
  #running(): Forwarder {
    if (this.#forwarder?.running) return this.#forwarder;
    const forwarder = this.options.start();
    this.#forwarder = forwarder;
    forwarder.on('left', (id, room, identity) => {
      const caller = this.#callers.get(id);
      if (!caller || !this.options.isKept(id)) return;
      this.options.onLeft(id, caller.room === room && caller.identity === identity ? 'caller' : 'destination');
    });
    forwarder.on('room_closed', (id) => this.options.onRoomClosed(id));
    forwarder.on('lost', (id, message) => this.options.onLost(id, message));
    forwarder.on('exit', (code, signal) => {
      // A forwarder started since is not this one's to report.
      if (this.#forwarder === forwarder) this.options.onExit(code, signal);
    });
    return forwarder;
  }
}
