// Takeover: nobody is left on hold or on a dead line because the process carrying their transfer died.
// Every worker's main process runs a watcher over the transfer records in Redis (transfer/record/store.ts):
//   - a record owned by one of this worker's job processes whose process has exited is claimed at once;
//     while that process still runs it is slow, not dead: it is left alone whatever its lease says, and
//     the watcher renews the lease for it (a busy machine delays the job's own renewals; taking the
//     transfer from a live job would stop it and start another job on the same busy machine). The
//     framework ends a job process that stops answering its pings (after a minute), and then it is claimed;
//   - a record whose lease ran out (its whole worker died, or a dispatched job never came) is claimed by
//     whichever watcher sees it first, but only once this watcher has reached Redis without a break for
//     REACHABLE_BEFORE_CLAIM_MS: a lease that ran out while Redis was away (a restart, a network blip) says
//     nothing about its owner, and a live owner renews within that time of Redis coming back.
// A claim raises the record's fence, so the old owner can never write again, and counts one more resume.
// The watcher then dispatches a new job into the caller's room (AgentDispatchService, on self-hosted and
// Cloud alike) with the record's id and fence in the job's metadata; that job adopts the record and carries
// the transfer on from its phase (resume.ts), having first gone back to a person left mid-briefing
// with an apology (early-rejoin.ts). After MAX_RESUMES the next failure only ends the
// transfer (a job takes the caller back and lets the destination go); if even that fails, the watcher
// ends both legs itself, so no call is left unattended.
// Bridged calls go to the worker's keeper instead (keeper/keeper.ts): a job of this worker that asks for its
// bridged call to be kept is passed to it, and a bridged record claimed here is carried on by it without a job
// (unless it cannot: then a job is sent as for any other transfer).
import { readFileSync } from 'node:fs';
import { errorFields } from '../../core/pii.ts';
import { RECONNECT_MAX_MS } from '../redis.ts';
import { bounded } from '../../core/bounded.ts';
import { HANDOVER_MS, LEASE_MS, LEASE_RENEW_MS, type TransferRecord, type TransferRecordStore } from '../transfer/record/store.ts';
import type { ResumeOrder } from './resume.ts';
import type { BridgeKeeper } from '../keeper/keeper.ts';

export const WATCH_INTERVAL_MS = 250;
/** A transfer is carried on at most this many times; the failure after that ends it. */
export const MAX_RESUMES = 2;
/**
 * How long this watcher must have reached Redis without a break before it reads a lease that ran out as a
 * dead owner: the owner's client finds Redis again (RECONNECT_MAX_MS), its next renewal comes (two intervals,
 * one of them perhaps still queued behind a write that failed), and then its lease is fresh again.
 */
export const REACHABLE_BEFORE_CLAIM_MS = LEASE_MS + 2 * LEASE_RENEW_MS + RECONNECT_MAX_MS;
/** One read of the open records; a Redis that accepts and never answers must not stop the watcher. */
export const SWEEP_READ_TIMEOUT_MS = 2000;
/** While the worker stops, a bridged call not taken yet is offered to the other workers again this often. */
export const OFFER_AGAIN_MS = 2000;
/** The prefix of a watcher's owner name while the job it dispatched has not adopted the record yet. */
const WATCHER = 'watcher:';

export interface TakeoverOptions {
  store: TransferRecordStore;
  /** This worker's key (carrying.ts): the job processes it forks own records as `<key>/<pid>`. */
  workerKey: string;
  /** Dispatches a job into the record's caller room to carry out `order`. */
  dispatch(record: TransferRecord, order: ResumeOrder): Promise<void>;
  /** The last resort, when even ending the transfer failed: end both legs from the watcher. */
  abandon(record: TransferRecord, fence: number, outcome: 'caller_hung_up' | 'interrupted'): Promise<void>;
  /**
   * Whether the caller's room is gone (the call ended while its job was dead): then there is nobody to carry
   * on for, and the watcher only ends what is left (abandon). Unknown counts as not gone.
   */
  callGone?(record: TransferRecord): Promise<boolean>;
  /** Whether a process of this machine is still running; `processAlive` unless a test says otherwise. */
  isAlive?(pid: number): boolean;
  /** Whether `pid` is a running job process of this worker (a child of this process); `isChildProcess` by default. */
  isOurJob?(pid: number): boolean;
  /**
   * Since when (epoch ms) this watcher's Redis client has been connected without a break, undefined while it
   * is not (redis.ts connectedSince). Without it only the sweeps' own failures tell of an outage.
   */
  connectedSince?(): number | undefined;
  /** This worker's keeper of bridged calls; without one, a bridged call stays with (or goes to) a job. */
  keeper?: Pick<BridgeKeeper, 'wants' | 'ask' | 'carryOn' | 'takeOffered'>;
  /** Each claim, with what is done with it and why it was made (the worker's metrics count them). */
  onClaim?(mode: ClaimMode, reason: ClaimReason): void;
  log?(entry: Record<string, unknown>): void;
  now?(): number;
  intervalMs?: number;
}

/** What a claim leads to: carried on, ended by a job, or ended by the watcher itself. */
export type ClaimMode = ResumeOrder['mode'] | 'abandon';
/** Why a record was claimed: its job process exited, its lease ran out, or the job dispatched for it never came. */
export type ClaimReason = 'job_exited' | 'lease_expired' | 'dispatch_lost';

/** The owner of a job's record: `<workerKey>/<pid>`; a watcher's claim: `watcher:<workerKey>`. */
export function ownerOf(owner: string): { workerKey: string; pid?: number } {
  if (owner.startsWith(WATCHER)) return { workerKey: owner.slice(WATCHER.length) };
  const slash = owner.lastIndexOf('/');
  const pid = Number(owner.slice(slash + 1));
  return slash > 0 && Number.isInteger(pid) && pid > 0 ? { workerKey: owner.slice(0, slash), pid } : { workerKey: owner };
}

/** `pid`'s state letter and parent from /proc/<pid>/stat ("pid (name) state ppid ..."); undefined without it. */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** True while `pid` runs; a zombie (exited, not yet reaped) counts as gone. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = procStat(pid);
  return stat === undefined || stat.state !== 'Z'; // no /proc: kill(0) said it exists
}

/** True while `pid` runs as a child of this process (a job process this worker's main process forked). */
export function isChildProcess(pid: number): boolean {
  const stat = procStat(pid);
  // Gone, or no /proc: the lease decides.
  return stat !== undefined && stat.state !== 'Z' && stat.ppid === process.pid;
}

export class TakeoverWatcher {
  readonly #options: TakeoverOptions;
  #timer: NodeJS.Timeout | undefined;
  #asks: { close(): void } | undefined;
  #offers: { close(): void } | undefined;
  /** Stopping (drain.ts): other workers' records are left to them, and our jobs' asks are offered to them. */
  #draining = false;
  /** When each ask was last offered while stopping. */
  readonly #offered = new Map<string, number>();
  #sweeping: Promise<void> | undefined;
  /** Since when the sweeps have read Redis without a failure (-Infinity: none has failed yet). */
  #readingSince: number | undefined = -Infinity;

  constructor(options: TakeoverOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#timer) return;
    // A job's ask to have its bridged call kept reaches the keeper as it is written; the sweeps find it too.
    const { keeper, store, workerKey } = this.#options;
    if (keeper) this.#asks = store.listenForAsks(workerKey, (id) => void this.#asked(id));
    // The bridged calls of a worker that is stopping, offered to every other worker's keeper.
    if (keeper) this.#offers = store.listenForOffers((id) => void this.#takeOffered(id));
    this.#timer = setInterval(() => {
      // One sweep at a time: a slow Redis must not stack them up.
      this.#sweeping ??= this.sweep()
        .catch((error: unknown) => this.#log({ event: 'takeover_sweep_failed', message: String(error) }))
        .finally(() => (this.#sweeping = undefined));
    }, this.#options.intervalMs ?? WATCH_INTERVAL_MS);
    this.#timer.unref();
  }

  /**
   * The worker is stopping: from now on this watcher claims only its own jobs' records (a job that dies is still
   * carried on, by a job the server sends to another worker), offers their asks to the other workers' keepers,
   * and takes no offers.
   */
  drain(): void {
    this.#draining = true;
    this.#offers?.close();
    this.#offers = undefined;
  }

  async stop(): Promise<void> {
    this.#asks?.close();
    this.#asks = undefined;
    this.#offers?.close();
    this.#offers = undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  /** An ask published for record `id`: passed to the keeper if the record is a live job's of this worker. */
  async #asked(id: string): Promise<void> {
    const { store, workerKey, keeper } = this.#options;
    const record = await store.read(id).catch(() => undefined);
    if (!record?.handoff) return;
    const owner = ownerOf(record.owner);
    if (owner.pid === undefined || owner.workerKey !== workerKey || !(this.#options.isOurJob ?? isChildProcess)(owner.pid)) return;
    if (this.#draining) this.#offer(record);
    else if (keeper?.wants(record)) keeper.ask(record);
  }

  /** While stopping, a job's ask goes to the other workers' keepers (again every OFFER_AGAIN_MS until one takes it). */
  #offer(record: TransferRecord): void {
    const now = (this.#options.now ?? Date.now)();
    if (record.phase.kind !== 'bridged' || (this.#offered.get(record.id) ?? -Infinity) > now - OFFER_AGAIN_MS) return;
    this.#offered.set(record.id, now);
    this.#options.store.offer(record.id).catch((error: unknown) => this.#log({ event: 'offer_failed', transfer: record.id, ...errorFields(error) }));
  }

  /** Another worker, stopping, offers record `id`: this worker's keeper takes it if it is the first to claim it. */
  async #takeOffered(id: string): Promise<void> {
    const { store, keeper } = this.#options;
    const record = await store.read(id).catch(() => undefined);
    if (this.#draining || !record || !keeper) return;
    await keeper.takeOffered(record).catch((error: unknown) => this.#log({ event: 'offer_not_taken', transfer: id, ...errorFields(error) }));
  }

  /** One pass over the open records: claims and carries on every one nobody is attending. */
  async sweep(): Promise<void> {
    const { store, workerKey } = this.#options;
    const now = this.#options.now ?? Date.now;
    const isAlive = this.#options.isAlive ?? processAlive;
    const isOurJob = this.#options.isOurJob ?? isChildProcess;
    let open: TransferRecord[];
    try {
      open = await bounded(store.all(), SWEEP_READ_TIMEOUT_MS, 'reading the transfer records');
    } catch (error) {
      this.#readingSince = undefined;
      throw error;
    }
    this.#readingSince ??= now();
    // Redis away not long ago: a lease that ran out meanwhile is not a death (yet); a process seen to exit is.
    const since = Math.max(this.#readingSince, this.#options.connectedSince ? (this.#options.connectedSince() ?? Infinity) : -Infinity);
    const leasesTell = now() - since >= REACHABLE_BEFORE_CLAIM_MS;
    for (const record of open) {
      const owner = ownerOf(record.owner);
      const ours = owner.pid !== undefined && owner.workerKey === workerKey;
      const processExited = ours && !isAlive(owner.pid!);
      // Slow, not dead. (A pid that is alive but not our child was reused after a restart: the lease decides.)
      // This worker vouches for it: the lease is renewed here too, so no other worker's watcher takes a job
      // whose own renewals a busy event loop delays, and a lease can be short enough that a whole worker's
      // death is seen about a second after it.
      if (ours && !processExited && isOurJob(owner.pid!)) {
        await store.renew(record.id, record.fence, record.callerRoom).catch(() => undefined); // claimed or ended meanwhile
        // A bridged call its job asks to be kept, so that the job can end (by another worker's keeper while stopping).
        if (record.handoff && this.#draining) this.#offer(record);
        else if (record.handoff && this.#options.keeper?.wants(record)) this.#options.keeper.ask(record);
        continue;
      }
      if (this.#draining && !ours) continue; // the other workers' records are theirs to claim
      if (!processExited && (record.leaseUntil > now() || !leasesTell)) continue;
      const fence = await store.claim(record.id, `${WATCHER}${workerKey}`, processExited, HANDOVER_MS);
      if (fence === undefined) continue; // another watcher was first, or the transfer just ended
      const claimed: TransferRecord = { ...record, fence, resumes: record.resumes + 1 };
      const gone = await (this.#options.callGone?.(claimed) ?? Promise.resolve(false)).catch(() => false);
      const mode: ClaimMode = gone ? 'abandon' : claimed.resumes <= MAX_RESUMES ? 'resume' : claimed.resumes === MAX_RESUMES + 1 ? 'end' : 'abandon';
      this.#options.onClaim?.(mode, processExited ? 'job_exited' : owner.pid === undefined ? 'dispatch_lost' : 'lease_expired');
      this.#log({
        event: 'takeover',
        transfer: record.id,
        phase: record.phase.kind,
        resumes: claimed.resumes,
        mode,
        why: processExited ? 'job process exited' : owner.pid === undefined ? 'dispatched job never took over' : 'lease expired',
        ...(gone ? { callGone: true } : {}),
      });
      try {
        if (mode === 'resume' && this.#options.keeper?.wants(claimed)) {
          // Not awaited: a worker that died with many bridged calls has them all carried on at once.
          void this.#keep(claimed, fence);
          continue;
        }
        if (mode === 'abandon') await this.#options.abandon(claimed, fence, gone ? 'caller_hung_up' : 'interrupted');
        else await this.#options.dispatch(claimed, { id: record.id, fence, mode });
      } catch (error) {
        // The handover lease runs out and the next sweep claims the record again, one resume further on.
        this.#log({ event: 'takeover_failed', transfer: record.id, mode, ...errorFields(error) });
      }
    }
  }

  /** A claimed bridged call carried on by the keeper, no job needed; a job is sent when the keeper cannot. */
  async #keep(claimed: TransferRecord, fence: number): Promise<void> {
    try {
      await this.#options.keeper!.carryOn(claimed);
    } catch (error) {
      this.#log({ event: 'keeper_takeover_failed', transfer: claimed.id, ...errorFields(error) });
      await this.#options.dispatch(claimed, { id: claimed.id, fence, mode: 'resume' }).catch((failed: unknown) => {
        // The handover lease runs out and the next sweep claims the record again, one resume further on.
        this.#log({ event: 'takeover_failed', transfer: claimed.id, mode: 'resume', ...errorFields(failed) });
      });
    }
  }

  #log(entry: Record<string, unknown>): void {
    (this.#options.log ?? ((line) => console.log(JSON.stringify(line))))(entry);
  }
}
