import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TransferMachine } from '../../agent/transfer/machine.ts';
import type { TransferEffect, TransferEvent } from '../../agent/transfer/phase.ts';

const DECISION_MS = 10_000;
const DEADLINE_MS = 120_000;

type Handler = (signal: AbortSignal) => void | Promise<void>;

/** A machine whose effects are recorded; `handlers` lets a test make one effect slow or failing. */
function setup(handlers: Partial<Record<TransferEffect['type'], Handler>> = {}) {
  const ran: TransferEffect[] = [];
  const signals = new Map<TransferEffect['type'], AbortSignal>();
  const onError = vi.fn();
  const onTransition = vi.fn();
  const machine = new TransferMachine({
    decisionTimeoutMs: DECISION_MS,
    deadlineMs: DEADLINE_MS,
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
    expect(types()).toEqual([
      'hold', 'dial', 'brief', 'reprompt', 'hang_up_destination', 'unhold', 'tell_caller', 'finish',
    ]);
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

describe('TransferMachine effect errors', () => {
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
    expect(() => new TransferMachine({ decisionTimeoutMs: 0, deadlineMs: 1, runEffect })).toThrow(/decisionTimeoutMs/);
    expect(() => new TransferMachine({ decisionTimeoutMs: 1, deadlineMs: NaN, runEffect })).toThrow(/deadlineMs/);
  });
});
