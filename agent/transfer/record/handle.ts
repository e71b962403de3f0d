// The owning job's handle on its transfer record (store.ts): every transition is written through it, in
// order, and its lease is renewed every half second. The in-process objects (chain, attempts, hold) keep only
// what they need to act; what the transfer *is* (phase, rooms, destination index, deadline) is in the record.
// Write-ahead: before an effect puts someone somewhere (the caller on hold, the destination dialled into the
// consultation room, the two bridged), the record says so first (writeAhead), so a takeover finds
// everyone from the record alone. That wait is bounded: a Redis that is away delays the effect by at most
// WRITE_AHEAD_TIMEOUT_MS, and what it said is written once Redis answers.
// Redis away (a restart, a network blip) ends nothing: a renewal or a write that fails for want of Redis is
// only logged, what a failed write said is written again with the next write or renewal once Redis answers,
// and closing is tried again until it is done. Only a FencedError (someone claimed the record) stops the job.
import { bounded, settleWithin } from '../../../core/bounded.ts';
import {
  CallBusyError,
  FencedError,
  HANDED_OFF,
  LEASE_RENEW_MS,
  type NewRecord,
  type RecordPatch,
  type TransferRecord,
  type TransferRecordStore,
} from './store.ts';

/** One write to Redis; a write that hangs must not stall the transitions queued behind it. */
export const RECORD_WRITE_TIMEOUT_MS = 2000;
/** Creating the record: the caller is not on hold yet, so a busy machine may take longer before we give up. */
export const RECORD_CREATE_TIMEOUT_MS = 5000;
/** The longest an effect waits for the record to say what it is about to do (write-ahead). */
export const WRITE_AHEAD_TIMEOUT_MS = RECORD_WRITE_TIMEOUT_MS;
/** How often a job that asked for a hand-over looks whether it happened, for HAND_OVER_WATCH_MS; its renewals after that. */
export const HAND_OVER_POLL_MS = 100;
export const HAND_OVER_WATCH_MS = 10_000;
/** How long closing the record is tried again while Redis is away (a restart takes seconds). */
export const RECORD_CLOSE_RETRY_MS = 30_000;

export type OpenResult = { ok: true; record: TransferRecordHandle } | { ok: false; reason: 'busy' | 'handed_off' | 'unavailable' };

export class TransferRecordHandle {
  #queue: Promise<void> = Promise.resolve();
  #fenced = false;
  #closed = false;
  #renewing = false;
  /** What failed to be written (Redis away), merged in order: the next write or renewal writes it first. */
  #unwritten: RecordPatch | undefined;
  /** A write or renewal failed and none has succeeded since: the failure was logged once. */
  #failing = false;
  /** Set once a hand-over was asked for: losing the record is then that hand-over, not a takeover. */
  #handedOver: (() => void) | undefined;
  readonly #timer: NodeJS.Timeout;

  private constructor(
    private readonly store: TransferRecordStore,
    readonly id: string,
    readonly callerRoom: string,
    readonly deadlineAt: number,
    readonly fence: number,
    private readonly onProblem: (error: unknown) => void,
    /** The record was claimed by another owner: this process must stop acting for the transfer at once. */
    private readonly onFenced?: () => void,
  ) {
    this.#timer = setInterval(() => {
      // One renewal at a time: on a slow machine they must not pile up behind each other.
      if (this.#renewing) return;
      this.#renewing = true;
      void this.#enqueue(undefined).finally(() => (this.#renewing = false));
    }, LEASE_RENEW_MS);
    this.#timer.unref();
  }

  /** Opens the record for a new request; refuses when the call has one open already, or was handed off. */
  static async open(
    store: TransferRecordStore,
    fields: NewRecord,
    onProblem: (error: unknown) => void,
    onFenced?: () => void,
    createTimeoutMs = RECORD_CREATE_TIMEOUT_MS,
  ): Promise<OpenResult> {
    try {
      // A create that answers after its bound was given up: its record must not be left for a watcher to
      // find unrenewed and "take over" for a transfer that never started.
      const created = await bounded(store.create(fields), createTimeoutMs, 'creating the transfer record', (late) =>
        store.remove(late.id, late.fence, late.callerRoom),
      );
      return { ok: true, record: new TransferRecordHandle(store, created.id, created.callerRoom, created.deadlineAt, created.fence, onProblem, onFenced) };
    } catch (error) {
      // Without its record a transfer could not be looked after: nobody is put on hold.
      if (!(error instanceof CallBusyError)) {
        onProblem(error);
        return { ok: false, reason: 'unavailable' };
      }
      const slot = await bounded(store.openFor(fields.callerRoom), RECORD_WRITE_TIMEOUT_MS, 'reading the call slot').catch(() => undefined);
      return { ok: false, reason: slot === HANDED_OFF ? 'handed_off' : 'busy' };
    }
  }

  /**
   * Takes over a record a watcher claimed for this job (takeover): this process becomes its owner under
   * `fence`. Throws when the record is gone or was claimed again since.
   */
  static async adopt(
    store: TransferRecordStore,
    id: string,
    fence: number,
    owner: string,
    onProblem: (error: unknown) => void,
    onFenced?: () => void,
  ): Promise<{ record: TransferRecordHandle; stored: TransferRecord }> {
    const stored = await bounded(store.adopt(id, fence, owner), RECORD_WRITE_TIMEOUT_MS, 'adopting the transfer record');
    return { record: new TransferRecordHandle(store, stored.id, stored.callerRoom, stored.deadlineAt, fence, onProblem, onFenced), stored };
  }

  /** True once another owner claimed the record: this process must not write (or act) for it any more. */
  get fenced(): boolean {
    return this.#fenced;
  }

  /**
   * Asks for the record to be taken over by someone who carries the call on (a bridged call's keeper), `patch`
   * saying so, and resolves once it is no longer this process's: taken over, or closed by its new owner. From
   * the ask on, losing the record is that hand-over: onFenced is not called. Never resolves while nobody takes it.
   */
  handOver(patch: RecordPatch): Promise<void> {
    return new Promise<void>((resolve) => {
      const watchedUntil = Date.now() + HAND_OVER_WATCH_MS;
      const watch = setInterval(() => {
        // After a while the renewals (every LEASE_RENEW_MS) are watch enough.
        if (this.#fenced || this.#closed || Date.now() > watchedUntil) return clearInterval(watch);
        void this.store.read(this.id).then(
          (stored) => {
            if (!this.#fenced && !this.#closed && (!stored || stored.fence !== this.fence)) this.#lost();
          },
          () => undefined, // Redis away: the next look, or a renewal, finds out
        );
      }, HAND_OVER_POLL_MS);
      watch.unref();
      this.#handedOver = () => {
        clearInterval(watch);
        resolve();
      };
      void this.update(patch);
    });
  }

  /** The record is someone else's now: no more writes or renewals from here. */
  #lost(): void {
    this.#fenced = true;
    clearInterval(this.#timer);
    if (this.#handedOver) this.#handedOver();
    else this.onFenced?.();
  }

  /** Writes `patch` after every write queued before it; never throws (problems go to onProblem). */
  update(patch: RecordPatch): Promise<void> {
    if (this.#closed) return this.#queue;
    return this.#enqueue(patch);
  }

  /**
   * Writes `patch` before the caller goes on with an effect it announces (write-ahead): resolves once it is in
   * the record, or after WRITE_AHEAD_TIMEOUT_MS (Redis away: it is written again with the next write).
   */
  writeAhead(patch: RecordPatch): Promise<void> {
    return settleWithin(this.update(patch), WRITE_AHEAD_TIMEOUT_MS);
  }

  /** True while a write made under this handle is not in the record yet (it failed; it is written again). */
  get behind(): boolean {
    return this.#unwritten !== undefined;
  }

  /**
   * The transfer is over. `handedOff`: the caller went to someone, so the call accepts no new transfer.
   * Redis away: closing is tried again for RECORD_CLOSE_RETRY_MS, in the background for a call that goes on
   * (the caller is back with the agent and must not wait), awaited for one handed off (its job ends next).
   */
  async close(how: 'ended' | 'handed_off'): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#queue;
    if (this.#fenced) return;
    const close = () =>
      bounded(
        how === 'handed_off' ? this.store.handOff(this.id, this.fence, this.callerRoom) : this.store.remove(this.id, this.fence, this.callerRoom),
        RECORD_WRITE_TIMEOUT_MS,
        'closing the transfer record',
      );
    try {
      await close();
      return;
    } catch (error) {
      this.onProblem(error);
      if (error instanceof FencedError) return;
    }
    const retries = (async () => {
      const until = Date.now() + RECORD_CLOSE_RETRY_MS;
      while (Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, LEASE_RENEW_MS));
        try {
          await close();
          return;
        } catch (error) {
          // Gone: an attempt that timed out was carried out after all (or someone claimed it): nothing to do.
          if (error instanceof FencedError) return;
        }
      }
      this.onProblem(new Error(`transfer ${this.id}: the record could not be closed within ${RECORD_CLOSE_RETRY_MS} ms`));
    })();
    if (how === 'handed_off') await retries;
  }

  /** Queues a write of `patch`, or a renewal of the lease (undefined), behind every write before it. */
  #enqueue(patch: RecordPatch | undefined): Promise<void> {
    this.#queue = this.#queue.then(async () => {
      if (this.#fenced) return;
      const unwritten = this.#unwritten;
      try {
        if (patch || unwritten) {
          await bounded(this.store.write(this.id, this.fence, { ...unwritten, ...patch }), RECORD_WRITE_TIMEOUT_MS, 'writing the transfer record');
          this.#unwritten = undefined;
        }
        if (!patch) await bounded(this.store.renew(this.id, this.fence, this.callerRoom), RECORD_WRITE_TIMEOUT_MS, 'renewing the transfer record');
        this.#failing = false;
      } catch (error) {
        if (error instanceof FencedError) {
          const handedOver = this.#handedOver !== undefined;
          if (!this.#fenced) this.#lost();
          if (!handedOver) this.onProblem(error);
          return;
        }
        // Redis away or slow: the transfer goes on; what this write said is written again with the next one.
        if (patch) this.#unwritten = { ...unwritten, ...patch };
        if (!this.#failing) this.onProblem(error);
        this.#failing = true;
      }
    });
    return this.#queue;
  }
}
