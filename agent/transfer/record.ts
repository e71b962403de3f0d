// The owning job's handle on its transfer record (record-store.ts): every transition is written through it,
// in order, and its lease is renewed every second. The in-process objects (chain, attempts, hold) keep only
// what they need to act; what the transfer *is* (phase, rooms, destination index, deadlines, what the caller
// was told) is in the record.
import { bounded } from './bounded.ts';
import { CallBusyError, FencedError, HANDED_OFF, LEASE_RENEW_MS, type NewRecord, type RecordPatch, type TransferRecord, type TransferRecordStore } from './record-store.ts';

/** One write to Redis; a write that hangs must not stall the transitions queued behind it. */
export const RECORD_WRITE_TIMEOUT_MS = 2000;
/** Creating the record: the caller is not on hold yet, so a busy machine may take longer before we give up. */
export const RECORD_CREATE_TIMEOUT_MS = 5000;

export type OpenResult = { ok: true; record: TransferRecordHandle } | { ok: false; reason: 'busy' | 'handed_off' | 'unavailable' };

export class TransferRecordHandle {
  #queue: Promise<void> = Promise.resolve();
  #fenced = false;
  #closed = false;
  #renewing = false;
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
      void this.#enqueue(() => this.store.renew(this.id, this.fence, this.callerRoom)).finally(() => (this.#renewing = false));
    }, LEASE_RENEW_MS);
    this.#timer.unref();
  }

  /** Opens the record for a new request; refuses when the call has one open already, or was handed off. */
  static async open(
    store: TransferRecordStore, fields: NewRecord, onProblem: (error: unknown) => void, onFenced?: () => void, createTimeoutMs = RECORD_CREATE_TIMEOUT_MS,
  ): Promise<OpenResult> {
    try {
      // A create that answers after its bound was given up: its record must not be left for a watcher to
      // find unrenewed and "take over" for a transfer that never started.
      const created = await bounded(store.create(fields), createTimeoutMs, 'creating the transfer record', (late) =>
        store.remove(late.id, late.fence, late.callerRoom));
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
    store: TransferRecordStore, id: string, fence: number, owner: string, onProblem: (error: unknown) => void, onFenced?: () => void,
  ): Promise<{ record: TransferRecordHandle; stored: TransferRecord }> {
    const stored = await bounded(store.adopt(id, fence, owner), RECORD_WRITE_TIMEOUT_MS, 'adopting the transfer record');
    return { record: new TransferRecordHandle(store, stored.id, stored.callerRoom, stored.deadlineAt, fence, onProblem, onFenced), stored };
  }

  /** True once another owner claimed the record: this process must not write (or act) for it any more. */
  get fenced(): boolean {
    return this.#fenced;
  }

  /** Writes `patch` after every write queued before it; never throws (problems go to onProblem). */
  update(patch: RecordPatch): Promise<void> {
    if (this.#closed) return this.#queue;
    return this.#enqueue(() => this.store.write(this.id, this.fence, patch));
  }

  /** The transfer is over. `handedOff`: the caller went to someone, so the call accepts no new transfer. */
  async close(how: 'ended' | 'handed_off'): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#queue;
    if (this.#fenced) return;
    await bounded(
      how === 'handed_off' ? this.store.handOff(this.id, this.fence, this.callerRoom) : this.store.remove(this.id, this.fence, this.callerRoom),
      RECORD_WRITE_TIMEOUT_MS,
      'closing the transfer record',
    ).catch(this.onProblem);
  }

  #enqueue(write: () => Promise<unknown>): Promise<void> {
    this.#queue = this.#queue.then(async () => {
      if (this.#fenced) return;
      try {
        await bounded(write(), RECORD_WRITE_TIMEOUT_MS, 'writing the transfer record');
      } catch (error) {
        if (error instanceof FencedError) {
          this.#fenced = true;
          clearInterval(this.#timer);
          this.onFenced?.();
        }
        this.onProblem(error);
      }
    });
    return this.#queue;
  }
}
