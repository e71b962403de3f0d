// One request's destinations, tried in order while the caller stays on hold. The whole request has one
// deadline (TRANSFER_DEADLINE_S), however many destinations its rule names; the caller hanging up, pressing
// 0 or running out of time between two destinations ends it; and the caller hears how it ended exactly once.
import { onHoldNote } from '../../prompts/hold.ts';
import type { TransferResult } from './state/machine.ts';
import type { TransferOutcome } from '../../core/outcome.ts';
import type { PhaseKind } from './state/phase.ts';

/** Outcomes after which the next destination of the rule is tried. */
export const TRY_NEXT: ReadonlySet<TransferOutcome> = new Set(['rejected', 'busy', 'declined', 'no_answer', 'voicemail', 'destination_hung_up', 'dial_failed']);

/** One destination's warm transfer, as the chain needs it (TransferAttempt in production). */
export interface Attempt {
  /** Resolves at the first of bridged or ended. */
  start(): Promise<'bridged' | 'ended'>;
  readonly done: Promise<TransferResult>;
  cancel(): void;
  readonly phase: PhaseKind;
  /**
   * A bridged attempt whose call someone else carries on now (its worker's keeper): it stops watching and
   * acting, and leaves the rooms it joined as they are. Never ends the call.
   */
  standDown?(): Promise<void>;
}

/** The caller's hold as the chain needs it (CallerHold in production). */
export interface ChainHold {
  readonly holding: boolean;
  readonly callerLeft: boolean;
  readonly callerGone: Promise<void>;
  note(text: string): Promise<boolean>;
  unhold(): Promise<void>;
  close(): Promise<void>;
}

export interface ChainOptions<D> {
  chain: readonly D[];
  label(destination: D): string;
  hold: ChainHold;
  /** Epoch milliseconds by which the whole request must be bridged or over. */
  deadlineAt: number;
  /**
   * The attempt for one destination. `willRetry` says whether an outcome sends the caller on to the next
   * destination (then the attempt leaves them on hold and tells them nothing); it only ever turns from
   * true to false as time passes, never back.
   */
  attempt(destination: D, willRetry: (outcome: TransferOutcome) => boolean, index: number): Attempt;
  /** Tells the caller how the request ended, when no attempt did (see run). */
  tellCaller(outcome: TransferOutcome): void;
  progressNoteIntervalMs: number;
  now?: () => number;
  /**
   * The first attempt carries on a transfer taken over from a job that died: it runs whatever the caller
   * did meanwhile, since the destination may be on the line and must be told or let go.
   */
  resumed?: boolean;
}

export interface ChainResult {
  outcome: TransferOutcome;
  label: string;
  /** The attempt that bridged the caller, still running until either side hangs up. */
  bridged?: Attempt;
}

export class TransferChain<D> {
  #stopped = false;
  #current: Attempt | undefined;

  constructor(private readonly options: ChainOptions<D>) {
    if (options.chain.length === 0) throw new RangeError('TransferChain: no destination to try');
  }

  /** The caller asked to stop waiting (keypad 0 on hold): the current attempt is cancelled, no other is made. */
  stop(): void {
    this.#stopped = true;
    this.#current?.cancel();
  }

  #canGoOn(): boolean {
    const now = this.options.now ?? Date.now;
    return !this.#stopped && !this.options.hold.callerLeft && now() < this.options.deadlineAt;
  }

  async run(): Promise<ChainResult> {
    const { chain, hold, label } = this.options;
    let outcome: TransferOutcome = 'dial_failed';
    let current = label(chain[0]!);
    try {
      for (const [index, destination] of chain.entries()) {
        if (!this.#canGoOn() && !(index === 0 && this.options.resumed)) break;
        current = label(destination);
        const hasNext = index < chain.length - 1;
        const willRetry = (o: TransferOutcome) => hasNext && TRY_NEXT.has(o) && this.#canGoOn();
        const attempt = this.options.attempt(destination, willRetry, index);
        this.#current = attempt;
        const notes = this.#progressNotes(attempt, current);
        const settled = await attempt.start().finally(notes.stop);
        if (settled === 'bridged') return { outcome: 'accepted', label: current, bridged: attempt };
        outcome = (await attempt.done).outcome;
        this.#current = undefined;
        if (!willRetry(outcome)) break;
        const next = onHoldNote({ kind: 'next', unavailable: current, next: label(chain[index + 1]!) });
        // A caller who hangs up during the note is not kept waiting for it to end.
        await Promise.race([hold.note(next), hold.callerGone]);
      }
    } catch (error) {
      await hold.unhold().catch(() => undefined);
      await hold.close().catch(() => undefined);
      throw error;
    } finally {
      this.#current = undefined;
    }
    if (hold.holding) {
      // Still on hold and told nothing: the caller left, stopped waiting or ran out of time between two
      // destinations, after the last attempt had already promised them the next one.
      const left = hold.callerLeft || outcome === 'caller_hung_up';
      outcome = left ? 'caller_hung_up' : this.#stopped ? 'cancelled' : TRY_NEXT.has(outcome) ? 'timed_out' : outcome;
      if (!left) {
        await hold.unhold();
        this.options.tellCaller(outcome);
      }
    }
    await hold.close();
    return { outcome, label: current };
  }

  /** Every interval while the destination rings or is briefed, a short note to the caller on hold. */
  #progressNotes(attempt: Attempt, label: string) {
    const timer = setInterval(() => {
      if (attempt.phase === 'dialing' || attempt.phase === 'briefing') {
        void this.options.hold.note(onHoldNote({ kind: 'still_trying', unavailable: label }));
      }
    }, this.options.progressNoteIntervalMs);
    return { stop: () => clearInterval(timer) };
  }
}
