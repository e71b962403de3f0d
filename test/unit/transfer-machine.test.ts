import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransferMachine } from '../../agent/transfer/state/machine.ts';
import type { TransferEffect, TransferEvent } from '../../agent/transfer/state/phase.ts';

const DECISION_MS = 10_000;
const DEADLINE_MS = 120_000;
const MAX_BRIDGED_MS = 4 * 3600 * 1000;

type Handler = (signal: AbortSignal) => void | Promise<void>;

/** A machine whose effects are recorded; `handlers` lets a test make one effect slow or failing. */
function setup(handlers: Partial<Record<TransferEffect['type'], Handler>> = {}, deadlineAt = Date.now() + DEADLINE_MS) {
  const ran: TransferEffect[] = [];
  const signals = new Map<TransferEffect['type'], AbortSignal>();
  const onError = vi.fn();
  const onTransition = vi.fn();
  const machine = new TransferMachine({
    decisionTimeoutMs: DECISION_MS,
    deadlineAt,
    maxBridgedMs: MAX_BRIDGED_MS,
    runEffect: (effect, signal) => {
      ran.push(effect);
      signals.set(effect.type, signal);
      return handlers[effect.type]?.(signal);
    },
    onError,
    onTransition,
  });
  /** Sends each event and lets the effects it declared start, as happens on a real call. */
  const send = async (...events: TransferEvent[]) => {
    for (const event of events) {
      void machine.send(event);
      await vi.advanceTimersByTimeAsync(0);
    }
  };
  return { machine, ran, types: () => ran.map((e) => e.type), signals, onError, onTransition, send };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** The promise's value if it has settled once queued work has run, else 'pending'; never waits on it. */
async function peek<T>(promise: Promise<T>): Promise<T | 'pending'> {
  await vi.advanceTimersByTimeAsync(0);
  return Promise.race([promise, Promise.resolve('pending' as const)]);
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('TransferMachine decision timer', () => {
  it('re-prompts once on silence, then counts the second silence as a rejection', async () => {
    const { machine, ran, types, send } = setup();
    await send({ type: 'start' }, { type: 'answered' }, { type: 'prompted' });

    await vi.advanceTimersByTimeAsync(DECISION_MS - 1);
    expect(machine.phase).toEqual({ kind: 'briefing', prompted: true, reprompted: false });
    await vi.advanceTimersByTimeAsync(1);
    expect(machine.phase).toEqual({ kind: 'briefing', prompted: true, reprompted: true });
    expect(ran.at(-1)).toEqual({ type: 'reprompt', reason: 'timeout' });

    await vi.advanceTimersByTimeAsync(DECISION_MS);
    expect(await peek(machine.done)).toEqual({ outcome: 'rejected', source: 'timeout' });
    // The timer itself is the machine's business, so runEffect never sees arm/disarm.
    expect(types()).toEqual(['hold', 'dial', 'brief', 'reprompt', 'hang_up_destination', 'unhold', 'tell_caller', 'finish']);
  });

  it('does not start the clock until the question has been asked', async () => {
    const { machine, types, send } = setup();
    await send({ type: 'start' }, { type: 'answered' });
    await vi.advanceTimersByTimeAsync(DECISION_MS * 3);
    expect(machine.phase).toEqual({ kind: 'briefing', prompted: false, reprompted: false });
    expect(types()).not.toContain('reprompt');
  });

  it('stops the clock when a decision arrives', async () => {
    const { machine, types, send } = setup();
    await send({ type: 'start' }, { type: 'answered' }, { type: 'prompted' });
    await vi.advanceTimersByTimeAsync(DECISION_MS - 1);
    await send({ type: 'decision', choice: 'accept', source: 'keypad' });
    await vi.advanceTimersByTimeAsync(DECISION_MS * 2);
    expect(machine.phase).toEqual({ kind: 'connecting', source: 'keypad' });
    expect(types()).toEqual(['hold', 'dial', 'brief', 'bridge']);
  });
});

describe('TransferMachine phase signals', () => {
  it('aborts the signal when the phase kind is left, not on moves within it', async () => {
    const { signals, send } = setup();
    await send({ type: 'start' });
    const dialing = signals.get('dial');
    await send({ type: 'ringing' });
    expect(dialing?.aborted).toBe(false);
    await send({ type: 'answered' });
    expect(dialing?.aborted).toBe(true);
    expect(signals.get('brief')?.aborted).toBe(false);
  });

  it('ignores a dial that reports back after the caller left, and cancels it only once it has returned', async () => {
    const dial = deferred();
    const { machine, types, signals, onTransition, send } = setup({ dial: () => dial.promise });
    await send({ type: 'start' });
    await send({ type: 'caller_left' });
    expect(signals.get('dial')?.aborted).toBe(true);
    expect(types()).toEqual(['hold', 'dial']); // cancel_dial waits for the dial to give up

    dial.resolve();
    await send({ type: 'answered' });
    expect(await peek(machine.done)).toEqual({ outcome: 'caller_hung_up' });
    expect(types()).toEqual(['hold', 'dial', 'cancel_dial', 'finish']);
    expect(onTransition).toHaveBeenLastCalledWith(machine.phase, { type: 'answered' }, machine.phase, true);
  });

  it('skips work of a phase left before its turn, but still runs the hold and its release', async () => {
    const { machine, types } = setup();
    void machine.send({ type: 'start' });
    void machine.send({ type: 'cancel' }); // before any effect has started
    expect(await peek(machine.done)).toEqual({ outcome: 'cancelled' });
    expect(types()).toEqual(['hold', 'cancel_dial', 'unhold', 'tell_caller', 'finish']);
  });

  it('accepts events sent from inside an effect without deadlocking', async () => {
    const { machine, types } = setup({ dial: () => void machine.send({ type: 'answered' }) });
    void machine.send({ type: 'start' });
    await vi.advanceTimersByTimeAsync(0);
    expect(machine.phase.kind).toBe('briefing');
    expect(types()).toEqual(['hold', 'dial', 'brief']);
  });
});

describe('TransferMachine deadline', () => {
  it('gives up on a destination that never answers', async () => {
    const { machine, ran, send } = setup();
    await send({ type: 'start' }, { type: 'ringing' });
    await vi.advanceTimersByTimeAsync(DEADLINE_MS - 1);
    expect(machine.phase).toEqual({ kind: 'dialing', ringing: true });
    await vi.advanceTimersByTimeAsync(1);
    expect(await peek(machine.settled)).toBe('ended');
    expect(await peek(machine.done)).toEqual({ outcome: 'no_answer' });
    expect(ran.slice(2)).toEqual([
      { type: 'cancel_dial' },
      { type: 'unhold' },
      { type: 'tell_caller', outcome: 'no_answer' },
      { type: 'finish', outcome: 'no_answer' },
    ]);
  });

  it('no longer applies once bridged; the transfer then ends when a side hangs up', async () => {
    const { machine, send } = setup();
    await send({ type: 'start' }, { type: 'answered' }, { type: 'prompted' });
    await send({ type: 'decision', choice: 'accept', source: 'voice' }, { type: 'bridge_ready' });
    expect(await peek(machine.settled)).toBe('bridged');
    await vi.advanceTimersByTimeAsync(DEADLINE_MS * 2);
    expect(machine.phase).toEqual({ kind: 'bridged', source: 'voice' });
    expect(await peek(machine.done)).toBe('pending');
    await send({ type: 'destination_left' });
    expect(await peek(machine.done)).toEqual({ outcome: 'accepted', source: 'voice' });
  });
});

describe('TransferMachine deadline for the whole request', () => {
  it('counts from the request, not from this destination: a second destination gets only what is left', async () => {
    const requestDeadline = Date.now() + DEADLINE_MS;
    await vi.advanceTimersByTimeAsync(DEADLINE_MS - 1000); // the first destination(s) took most of it
    const { machine, send } = setup({}, requestDeadline);
    await send({ type: 'start' }, { type: 'ringing' });
    await vi.advanceTimersByTimeAsync(999);
    expect(machine.phase.kind).toBe('dialing');
    await vi.advanceTimersByTimeAsync(1);
    expect(await peek(machine.done)).toEqual({ outcome: 'no_answer' });
  });
});

describe('TransferMachine bridged call', () => {
  it('hangs up both legs when the bridged call reaches its maximum duration', async () => {
    const { machine, ran, send } = setup();
    await send({ type: 'start' }, { type: 'answered' }, { type: 'prompted' });
    await send({ type: 'decision', choice: 'accept', source: 'keypad' }, { type: 'bridge_ready' });
    ran.length = 0;
    await vi.advanceTimersByTimeAsync(MAX_BRIDGED_MS - 1);
    expect(machine.phase.kind).toBe('bridged');
    await vi.advanceTimersByTimeAsync(1);
    expect(await peek(machine.done)).toEqual({ outcome: 'accepted', source: 'keypad' });
    expect(ran).toEqual([{ type: 'hang_up_destination' }, { type: 'hang_up_caller' }, { type: 'finish', outcome: 'accepted' }]);
  });

  it('counts the maximum from the bridge, not from the start of the transfer', async () => {
    const { machine, send } = setup();
    await send({ type: 'start' }, { type: 'answered' }, { type: 'prompted' });
    await vi.advanceTimersByTimeAsync(DECISION_MS - 1);
    await send({ type: 'decision', choice: 'accept', source: 'keypad' }, { type: 'bridge_ready' });
    await vi.advanceTimersByTimeAsync(MAX_BRIDGED_MS - 1);
    expect(machine.phase.kind).toBe('bridged');
    await vi.advanceTimersByTimeAsync(1);
    expect(machine.phase.kind).toBe('ended');
  });
});

describe('TransferMachine decision timer and conversation', () => {
  it('does not re-prompt or reject a person who keeps asking questions; the wait restarts when the talk stops', async () => {
    const { machine, types, send } = setup({}, Date.now() + DEADLINE_MS * 10);
    await send({ type: 'start' }, { type: 'answered' }, { type: 'prompted' });
    for (let question = 0; question < 5; question++) {
      await vi.advanceTimersByTimeAsync(DECISION_MS - 1000);
      await send({ type: 'conversation', active: true }); // the person asks, the briefing agent answers
      await vi.advanceTimersByTimeAsync(DECISION_MS * 2); // a long answer: the clock is paused meanwhile
      await send({ type: 'conversation', active: false });
    }
    expect(machine.phase).toEqual({ kind: 'briefing', prompted: true, reprompted: false });
    expect(types()).not.toContain('reprompt');
    // Silence after the last answer: the usual re-prompt, a full decision timeout after the talk stopped.
    await vi.advanceTimersByTimeAsync(DECISION_MS - 1);
    expect(types()).not.toContain('reprompt');
    await vi.advanceTimersByTimeAsync(1);
    expect(types()).toContain('reprompt');
  });
});

describe('TransferMachine effect errors', () => {
  it('ends the transfer when the hold fails: nobody is dialled for a caller who is not on hold', async () => {
    const error = new Error('publish timed out');
    const { machine, types, onError, send } = setup({ hold: () => Promise.reject(error) });
    await send({ type: 'start' });
    expect(await peek(machine.done)).toEqual({ outcome: 'hold_failed' });
    expect(types()).toEqual(['hold', 'cancel_dial', 'unhold', 'tell_caller', 'finish']);
    expect(onError).toHaveBeenCalledWith(error, { type: 'hold' });
    // An acceptance arriving afterwards changes nothing (it used to reach the bridge with no topology).
    await send({ type: 'answered' }, { type: 'decision', choice: 'accept', source: 'keypad' });
    expect(types()).not.toContain('bridge');
  });

  it('turns a failing dial into dial_failed and reports the error once', async () => {
    const error = new Error('trunk refused');
    const { machine, onError, send } = setup({ dial: () => Promise.reject(error) });
    await send({ type: 'start' });
    expect(await peek(machine.done)).toEqual({ outcome: 'dial_failed' });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(error, { type: 'dial' });
  });

  it('turns a failing bridge into bridge_failed, taking the caller back', async () => {
    const { machine, ran, send } = setup({ bridge: () => Promise.reject(new Error('room gone')) });
    await send({ type: 'start' }, { type: 'answered' }, { type: 'decision', choice: 'accept', source: 'keypad' });
    expect(await peek(machine.done)).toEqual({ outcome: 'bridge_failed' });
    expect(ran).toContainEqual({ type: 'tell_caller', outcome: 'bridge_failed' });
  });

  it('drops the failure of work that its phase no longer wants', async () => {
    const dial = deferred();
    const { machine, onError, send } = setup({ dial: () => dial.promise });
    await send({ type: 'start' });
    await send({ type: 'cancel' });
    dial.reject(new Error('aborted'));
    expect(await peek(machine.done)).toEqual({ outcome: 'cancelled' });
    expect(onError).not.toHaveBeenCalled();
  });

  it('refuses timeouts that would never fire or fire at once', () => {
    const runEffect = () => {};
    expect(() => new TransferMachine({ decisionTimeoutMs: 0, deadlineAt: 1, maxBridgedMs: 1, runEffect })).toThrow(/decisionTimeoutMs/);
    expect(() => new TransferMachine({ decisionTimeoutMs: 1, deadlineAt: NaN, maxBridgedMs: 1, runEffect })).toThrow(/deadlineAt/);
    expect(() => new TransferMachine({ decisionTimeoutMs: 1, deadlineAt: 1, maxBridgedMs: 0, runEffect })).toThrow(/maxBridgedMs/);
  });
});
