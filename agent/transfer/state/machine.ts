/**
 * Drives {@link transition}: keeps the phase, runs the effects it declares, owns the three timers (decision,
 * overall deadline, and the bridged call's maximum) and one AbortController per phase kind.
 *
 * Ordering. `send` applies the transition at once, so the phase and its AbortSignal change even while a slow
 * effect (a dial that is still ringing) is running; otherwise a hang-up or the deadline would wait behind the
 * very dial it should cancel. Effects, not events, are queued: they run one at a time in the order declared,
 * across events, each awaited before the next. `runEffect` is never called from inside `send`, so an effect
 * may call `send` freely — but must not *await* it, since that event's effects queue behind its own.
 *
 * Late work. Each effect gets the signal of the phase it was declared for, aborted when that phase kind is
 * left. Work effects (see PHASE_WORK) whose phase has gone before their turn are skipped, and their failures
 * after that are dropped. Everything else (hold, unhold, tell_caller, hang-ups, finish) always runs.
 *
 * Errors. A failing effect is reported once to `onError` (default: console.error). A failing `hold` becomes
 * `hold_failed` (the dial queued behind it is then skipped: nobody is called for a caller who is not on hold),
 * a failing `dial` becomes `dial_failed{reason: 'dial_failed'}` and a failing `bridge` becomes `bridge_failed`,
 * a failing `rejoin` (a takeover that cannot get back to the destination) becomes `resume_failed`,
 * so the transfer ends cleanly instead of waiting for the deadline. Other failures do not change the phase:
 * the deadline caps it.
 */
import type { DecisionSource, TransferOutcome } from '../../../core/outcome.ts';
import { transition } from './phase.ts';
import type { TransferEffect, TransferEvent, TransferPhase } from './phase.ts';

export interface TransferMachineOptions {
  /** How long the destination has to answer the accept/reject question, from the moment it was asked. */
  decisionTimeoutMs: number;
  /**
   * When the transfer must be bridged or over, in epoch milliseconds: an absolute time, so that every
   * destination tried for one request shares one deadline.
   */
  deadlineAt: number;
  /** Cap on a bridged call; when reached, both legs are hung up (MAX_BRIDGED_CALL_S). */
  maxBridgedMs: number;
  /** Performs every effect except the decision timer, which the machine handles itself. */
  runEffect: (effect: TransferEffect, signal: AbortSignal) => void | Promise<void>;
  /** Called for every event, ignored ones included (then `to === from`), after the machine has applied it. */
  onTransition?: (from: TransferPhase, event: TransferEvent, to: TransferPhase, ignored: boolean) => void;
  /** Receives each effect failure once; must not throw (it would stall the effect queue). */
  onError?: (error: unknown, effect: TransferEffect) => void;
}

export interface TransferResult {
  outcome: TransferOutcome;
  source?: DecisionSource;
}

type Timer = 'decision' | 'deadline' | 'max_duration';

/**
 * Effects that are the work of their phase and pointless once it has been left. `hold` is not one: it covers
 * the caller for the whole transfer (music, and the caller's agent muted so it does not carry on talking),
 * and every exit releases it, so it must not be skipped when the transfer moves fast.
 */
// `rejoin` is not one either: a taken-over transfer's way back to the destination is needed whatever the
// phase has become (a caller who hung up meanwhile still means the person must be told).
const PHASE_WORK = new Set<TransferEffect['type']>(['dial', 'reassure', 'brief', 'reprompt', 'arm_decision_timer', 'bridge', 'tell_destination_caller_left']);

export class TransferMachine {
  readonly #opts: TransferMachineOptions;
  #phase: TransferPhase = { kind: 'idle' };
  #controller = new AbortController();
  readonly #timers = new Map<Timer, NodeJS.Timeout>();
  /** Tail of the effect queue; it never rejects as long as `onError` does not throw. */
  #effects: Promise<void> = Promise.resolve();
  #resolveDone!: (result: TransferResult) => void;
  #resolveSettled!: (how: 'bridged' | 'ended') => void;
  /** Someone else carries the transfer on (a keeper took the bridged call): nothing is applied any more. */
  #released = false;

  /** Resolves once the transfer has ended and the effects of ending it (finish included) have run. */
  readonly done = new Promise<TransferResult>((resolve) => (this.#resolveDone = resolve));
  /** Resolves at the first of bridged or ended (after that event's effects): when the caller's agent may go on. */
  readonly settled = new Promise<'bridged' | 'ended'>((resolve) => (this.#resolveSettled = resolve));

  constructor(opts: TransferMachineOptions) {
    for (const key of ['decisionTimeoutMs', 'maxBridgedMs'] as const) {
      if (!(opts[key] > 0)) throw new RangeError(`TransferMachine: ${key} must be positive, got ${opts[key]}`);
    }
    if (!Number.isFinite(opts.deadlineAt)) throw new RangeError(`TransferMachine: deadlineAt must be a time, got ${opts.deadlineAt}`);
    this.#opts = opts;
  }

  get phase(): TransferPhase {
    return this.#phase;
  }

  /** Applies `event` now; the promise resolves when its effects have run (after any queued before them). */
  send(event: TransferEvent): Promise<void> {
    if (this.#released) return Promise.resolve();
    const from = this.#phase;
    const { phase: to, effects, ignored } = transition(from, event);
    this.#phase = to;
    if (to.kind !== from.kind) this.#enter(from, to);
    const signal = this.#controller.signal;
    let tail = Promise.resolve();
    if (effects.length > 0) {
      tail = effects.reduce((previous, effect) => previous.then(() => this.#run(effect, signal)), this.#effects);
      this.#effects = tail;
    }
    if (to.kind !== from.kind) void tail.then(() => this.#settle(to));
    this.#opts.onTransition?.(from, event, to, ignored);
    return tail;
  }

  /**
   * The transfer is no longer this machine's (its bridged call was handed to a keeper): its timers stop, and
   * events are ignored from now on, so nothing it would do (a hang-up, the bridged call's maximum) is done twice.
   */
  release(): void {
    this.#released = true;
    for (const timer of [...this.#timers.keys()]) this.#clear(timer);
    this.#controller.abort(new Error('the transfer was handed over'));
  }

  #enter(from: TransferPhase, to: TransferPhase): void {
    // Whatever the old phase started (a dial, a briefing, a bridge) is no longer wanted.
    this.#controller.abort(new Error(`transfer left ${from.kind} for ${to.kind}`));
    this.#controller = new AbortController();
    if (from.kind === 'briefing') this.#clear('decision');
    if (from.kind === 'idle') this.#arm('deadline', Math.max(0, this.#opts.deadlineAt - Date.now()), { type: 'deadline' });
    if (to.kind === 'bridged' || to.kind === 'ended') {
      for (const timer of [...this.#timers.keys()]) this.#clear(timer);
    }
    if (to.kind === 'bridged') this.#arm('max_duration', this.#opts.maxBridgedMs, { type: 'max_duration' });
  }

  #settle(to: TransferPhase): void {
    if (to.kind === 'bridged') this.#resolveSettled('bridged');
    if (to.kind !== 'ended') return;
    this.#resolveSettled('ended');
    this.#resolveDone(to.source === undefined ? { outcome: to.outcome } : { outcome: to.outcome, source: to.source });
  }

  async #run(effect: TransferEffect, signal: AbortSignal): Promise<void> {
    const work = PHASE_WORK.has(effect.type);
    if (work && signal.aborted) return;
    if (effect.type === 'arm_decision_timer') {
      return this.#arm('decision', this.#opts.decisionTimeoutMs, { type: 'decision_timeout' });
    }
    if (effect.type === 'disarm_decision_timer') return this.#clear('decision');
    try {
      await this.#opts.runEffect(effect, signal);
    } catch (error) {
      if (work && signal.aborted) return; // the phase moved on; this failure is news nobody is waiting for
      (this.#opts.onError ?? defaultOnError)(error, effect);
      if (effect.type === 'hold') void this.send({ type: 'hold_failed', message: messageOf(error) });
      if (effect.type === 'dial') void this.send({ type: 'dial_failed', reason: 'dial_failed' });
      if (effect.type === 'bridge') void this.send({ type: 'bridge_failed', message: messageOf(error) });
      if (effect.type === 'rejoin') void this.send({ type: 'resume_failed', message: messageOf(error) });
    }
  }

  #arm(timer: Timer, ms: number, event: TransferEvent): void {
    this.#clear(timer);
    this.#timers.set(
      timer,
      setTimeout(() => {
        this.#timers.delete(timer);
        void this.send(event);
      }, ms),
    );
  }

  #clear(timer: Timer): void {
    clearTimeout(this.#timers.get(timer));
    this.#timers.delete(timer);
  }
}

function defaultOnError(error: unknown, effect: TransferEffect): void {
  console.error(`transfer effect ${effect.type} failed:`, error);
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
