// A request's destinations tried in order (chain.ts), with attempts that behave like TransferAttempt: each ends
// with an outcome, and takes the caller off hold and tells them only when the chain will not go on. The
// whole request shares one deadline, and the caller hanging up or pressing 0 between two destinations ends it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callerMessage } from '../../prompts/outcomes.ts';
import { TransferChain, type Attempt, type ChainHold } from '../../agent/transfer/chain.ts';
import type { TransferOutcome } from '../../core/outcome.ts';

const NOTE_MS = 3000;

function fakeHold() {
  let resolveGone!: () => void;
  const hold = {
    holding: true,
    callerLeft: false,
    callerGone: new Promise<void>((resolve) => (resolveGone = resolve)),
    notes: [] as string[],
    closed: 0,
    async note(text: string) {
      hold.notes.push(text);
      await new Promise((resolve) => setTimeout(resolve, NOTE_MS)); // a spoken note takes a while
      return true;
    },
    async unhold() {
      hold.holding = false;
    },
    async close() {
      hold.closed++;
      hold.holding = false;
    },
    hangUp() {
      hold.callerLeft = true;
      resolveGone();
    },
  };
  return hold satisfies ChainHold;
}

/** Each destination: how long it takes, and how it ends. */
type Script = Record<string, { ms: number; outcome: TransferOutcome }>;

function setup(script: Script, deadlineMs = 300_000) {
  const hold = fakeHold();
  const said: string[] = [];
  const tried: string[] = [];
  const chain = new TransferChain<string>({
    chain: Object.keys(script),
    label: (d) => d,
    hold,
    deadlineAt: Date.now() + deadlineMs,
    tellCaller: (outcome) => void said.push(callerMessage(outcome)),
    progressNoteIntervalMs: 3_600_000,
    attempt: (destination, willRetry) => {
      tried.push(destination);
      const { ms, outcome } = script[destination]!;
      let phase: Attempt['phase'] = 'dialing';
      const done = new Promise<{ outcome: TransferOutcome }>((resolve) =>
        setTimeout(async () => {
          phase = 'ended';
          // What TransferAttempt's unhold and tell_caller effects do.
          if (!willRetry(outcome)) {
            await hold.unhold();
            said.push(callerMessage(outcome));
          }
          resolve({ outcome });
        }, ms),
      );
      return {
        start: () => done.then(() => 'ended' as const),
        done,
        cancel: () => undefined,
        get phase() {
          return phase;
        },
      };
    },
  });
  return { chain, hold, said, tried };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("trying a rule's destinations in order", () => {
  it('notices a caller who hangs up during the "trying the next one" note, and dials nobody for them', async () => {
    const { chain, hold, said, tried } = setup({ first: { ms: 1000, outcome: 'busy' }, second: { ms: 1000, outcome: 'rejected' } });
    const result = chain.run();
    await vi.advanceTimersByTimeAsync(1000 + NOTE_MS / 2);
    expect(hold.notes).toHaveLength(1);
    hold.hangUp();
    await vi.advanceTimersByTimeAsync(NOTE_MS);
    expect(await result).toEqual({ outcome: 'caller_hung_up', label: 'first' });
    expect(tried).toEqual(['first']);
    expect(said).toEqual([]);
    expect(hold.closed).toBe(1);
  });

  it('gives the whole request one deadline: a third destination is not tried once it has passed', async () => {
    const { chain, hold, said, tried } = setup(
      { first: { ms: 100_000, outcome: 'no_answer' }, second: { ms: 100_000, outcome: 'no_answer' }, third: { ms: 100_000, outcome: 'no_answer' } },
      150_000,
    );
    const result = chain.run();
    await vi.advanceTimersByTimeAsync(400_000);
    const { outcome } = await result;
    expect(tried).toEqual(['first', 'second']);
    expect(outcome).toBe('no_answer');
    // Told once, by the attempt that ran past the deadline, and off hold.
    expect(said).toEqual([callerMessage('no_answer')]);
    expect(hold.holding).toBe(false);
  });

  it('tells the caller "took too long" when the deadline passes during the note between two destinations', async () => {
    const { chain, said, tried } = setup({ first: { ms: 149_000, outcome: 'busy' }, second: { ms: 1000, outcome: 'rejected' } }, 150_000);
    const result = chain.run();
    await vi.advanceTimersByTimeAsync(149_000 + NOTE_MS);
    expect(await result).toEqual({ outcome: 'timed_out', label: 'first' });
    expect(tried).toEqual(['first']);
    expect(said).toEqual([callerMessage('timed_out')]);
  });

  it('stops between two destinations when the caller presses 0, and says so once', async () => {
    const { chain, said, tried } = setup({ first: { ms: 1000, outcome: 'declined' }, second: { ms: 1000, outcome: 'rejected' } });
    const result = chain.run();
    await vi.advanceTimersByTimeAsync(1000 + NOTE_MS / 2);
    chain.stop();
    await vi.advanceTimersByTimeAsync(NOTE_MS);
    expect(await result).toEqual({ outcome: 'cancelled', label: 'first' });
    expect(tried).toEqual(['first']);
    expect(said).toEqual([callerMessage('cancelled')]);
  });

  it('goes on to the next destination otherwise, and reports the last outcome', async () => {
    const { chain, said, tried } = setup({ first: { ms: 1000, outcome: 'busy' }, second: { ms: 1000, outcome: 'rejected' } });
    const result = chain.run();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await result).toEqual({ outcome: 'rejected', label: 'second' });
    expect(tried).toEqual(['first', 'second']);
    expect(said).toEqual([callerMessage('rejected')]);
  });
});
