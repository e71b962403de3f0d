// Barge-in's rules, without a call: what stops the briefing, and what the person's words come to afterwards.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BargeIn, SOUND_CONFIRM_MS, SOUND_STOPS, type BargeInOptions } from '../../agent/transfer/briefing/barge-in.ts';
import type { SpokenDecision } from '../../agent/transfer/briefing/session.ts';

function setUp(options: Partial<BargeInOptions> = {}) {
  const decisions: SpokenDecision[] = [];
  const calls = { interrupts: 0, stops: 0, unclear: 0 };
  const bargeIn = new BargeIn({
    interrupt: () => calls.interrupts++,
    onDecision: (d) => decisions.push(d),
    hasModel: true,
    graceMs: 1500,
    onStopped: () => calls.stops++,
    onUnclear: () => calls.unclear++,
    ...options,
  });
  return { bargeIn, decisions, calls };
}

const never = new AbortController().signal;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('BargeIn', () => {
  it('stops only speech that is open to it, and only once per interruption', () => {
    const { bargeIn, calls } = setUp();
    bargeIn.personStarted();
    expect(calls.interrupts).toBe(0);
    bargeIn.open(true);
    bargeIn.personStarted();
    bargeIn.personStarted();
    expect(calls).toMatchObject({ interrupts: 1, stops: 1 });
  });

  it('a plain yes over the briefing decides accept at once and is not passed to the model', async () => {
    const { bargeIn, decisions } = setUp();
    bargeIn.open(true);
    bargeIn.personStarted();
    const heard = bargeIn.heard(never);
    expect(bargeIn.transcribed('Yes, send them through.')).toBe(true);
    expect(await heard).toBe('decided');
    expect(decisions).toEqual(['accept']);
    expect(bargeIn.handles('Yes, send them through.')).toBe(true);
  });

  it('a plain no decides reject', async () => {
    const { bargeIn, decisions } = setUp();
    bargeIn.open(true);
    bargeIn.personStarted();
    const heard = bargeIn.heard(never);
    bargeIn.transcribed("No, I can't take this now.");
    expect(await heard).toBe('decided');
    expect(decisions).toEqual(['reject']);
  });

  it('a question goes to the model: words, and no decision', async () => {
    const { bargeIn, decisions } = setUp();
    bargeIn.open(true);
    bargeIn.personStarted();
    const heard = bargeIn.heard(never);
    expect(bargeIn.transcribed('Who is calling?')).toBe(false);
    expect(bargeIn.handles('Who is calling?')).toBe(false);
    // Settled when the framework makes the words a turn (the model's reply follows), not before.
    let settled: string | undefined;
    void heard.then((h) => (settled = h));
    bargeIn.personStopped();
    await vi.advanceTimersByTimeAsync(2000);
    expect(settled).toBeUndefined();
    expect(bargeIn.turnCompleted('Who is calling?')).toBe(false);
    expect(await heard).toBe('words');
    expect(decisions).toEqual([]);
  });

  it('a yes that a pause split into two utterances decides when their turn completes, and not the model', async () => {
    const { bargeIn, decisions } = setUp();
    bargeIn.open(true);
    bargeIn.personStarted();
    const heard = bargeIn.heard(never);
    expect(bargeIn.transcribed('Put them')).toBe(false);
    expect(bargeIn.transcribed('through.')).toBe(false);
    expect(decisions).toEqual([]);
    expect(bargeIn.turnCompleted('Put them through.')).toBe(true);
    expect(await heard).toBe('decided');
    expect(decisions).toEqual(['accept']);
  });

  it('decides once: a no in one utterance, and the turn that joins it to more', async () => {
    const { bargeIn, decisions } = setUp();
    bargeIn.open(true);
    bargeIn.personStarted();
    expect(bargeIn.transcribed('No.')).toBe(true);
    expect(bargeIn.transcribed('No.')).toBe(true);
    expect(bargeIn.turnCompleted("No. I can't take this now.")).toBe(true);
    expect(await bargeIn.heard(never)).toBe('decided');
    expect(decisions).toEqual(['reject']);
  });

  it('a turn with nothing to answer (hello, or no model) stays here and decides nothing', () => {
    expect(setUp().bargeIn.turnCompleted('Hello?')).toBe(true);
    const noModel = setUp({ hasModel: false });
    expect(noModel.bargeIn.turnCompleted('Who is calling?')).toBe(true);
    expect(noModel.decisions).toEqual([]);
  });

  it('words for the model whose turn never comes still count as words, a little later', async () => {
    const { bargeIn } = setUp();
    bargeIn.open(true);
    bargeIn.personStarted();
    const heard = bargeIn.heard(never);
    bargeIn.personStopped();
    bargeIn.transcribed('What is this about?');
    await vi.advanceTimersByTimeAsync(3100);
    expect(await heard).toBe('words');
  });

  it('with no model, words that decide nothing are nothing: the briefing resumes', async () => {
    const { bargeIn, decisions } = setUp({ hasModel: false });
    bargeIn.open(true);
    bargeIn.personStarted();
    const heard = bargeIn.heard(never);
    expect(bargeIn.transcribed('Who is calling?')).toBe(true);
    expect(await heard).toBe('nothing');
    expect(decisions).toEqual([]);
  });

  it('"hello?" is nothing, and needs no answer from the model', async () => {
    const { bargeIn } = setUp();
    bargeIn.open(true);
    bargeIn.personStarted();
    const heard = bargeIn.heard(never);
    expect(bargeIn.transcribed('Hello?')).toBe(true);
    expect(await heard).toBe('nothing');
  });

  it('a noise (no transcript) is nothing once the grace after the person stops has passed', async () => {
    const { bargeIn } = setUp();
    bargeIn.open(true);
    bargeIn.personStarted();
    let heard: string | undefined;
    void bargeIn.heard(never).then((h) => (heard = h));
    bargeIn.personStopped();
    await vi.advanceTimersByTimeAsync(1400);
    expect(heard).toBeUndefined();
    // Talking again restarts the wait.
    bargeIn.personStarted();
    bargeIn.personStopped();
    await vi.advanceTimersByTimeAsync(1400);
    expect(heard).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    expect(heard).toBe('nothing');
  });

  it('an unclear utterance resumes the briefing at once; after the question it asks for keys', async () => {
    const { bargeIn, calls } = setUp({ hasModel: false });
    bargeIn.open(true);
    bargeIn.personStarted();
    const heard = bargeIn.heard(never);
    bargeIn.unclear();
    expect(await heard).toBe('nothing');
    expect(calls.unclear).toBe(0);
    bargeIn.unclear();
    expect(calls.unclear).toBe(1);
  });

  it('a plain yes decides even when it came over speech that could not be stopped', () => {
    const { bargeIn, decisions } = setUp();
    expect(bargeIn.transcribed('Yes.')).toBe(true);
    expect(decisions).toEqual(['accept']);
  });

  it('a backchannel "okay" decides nothing', () => {
    const { bargeIn, decisions } = setUp();
    expect(bargeIn.transcribed('Okay.')).toBe(true);
    expect(decisions).toEqual([]);
  });

  it('a line that never goes quiet holds the briefing for 15 s at most', async () => {
    const { bargeIn } = setUp();
    bargeIn.open(true);
    bargeIn.personStarted();
    let heard: string | undefined;
    void bargeIn.heard(never).then((h) => (heard = h));
    await vi.advanceTimersByTimeAsync(14_900);
    expect(heard).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    expect(heard).toBe('nothing');
  });

  it('an aborted wait resolves nothing, and closing settles a pending one', async () => {
    const { bargeIn } = setUp();
    bargeIn.open(true);
    bargeIn.personStarted();
    const controller = new AbortController();
    const aborted = bargeIn.heard(controller.signal);
    controller.abort();
    expect(await aborted).toBe('nothing');
    const pending = bargeIn.heard(never);
    bargeIn.close();
    expect(await pending).toBe('nothing');
  });

  describe('a sound heard before the VAD has a word on it', () => {
    it('stops the briefing at once; the VAD taking it for speech then goes on as if it had stopped it', async () => {
      const { bargeIn, decisions, calls } = setUp();
      bargeIn.open(true);
      bargeIn.soundStarted();
      expect(calls).toMatchObject({ interrupts: 1, stops: 1 });
      await vi.advanceTimersByTimeAsync(SOUND_CONFIRM_MS - 1);
      bargeIn.personStarted(); // the VAD: speech
      await vi.advanceTimersByTimeAsync(5000);
      const heard = bargeIn.heard(never);
      bargeIn.personStopped();
      expect(bargeIn.transcribed('Yes, send them through.')).toBe(true);
      expect(await heard).toBe('decided');
      expect(decisions).toEqual(['accept']);
      expect(calls.interrupts).toBe(1);
    });

    it(`one the VAD has not taken for speech within ${SOUND_CONFIRM_MS} ms was nothing: the briefing resumes then`, async () => {
      const { bargeIn } = setUp();
      bargeIn.open(true);
      bargeIn.soundStarted();
      bargeIn.open(false);
      let settled: string | undefined;
      void bargeIn.heard(never).then((h) => (settled = h));
      bargeIn.soundStarted(); // more sound while it waits: nothing more
      await vi.advanceTimersByTimeAsync(SOUND_CONFIRM_MS - 1);
      expect(settled).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toBe('nothing');
    });

    it('speech the VAD confirms after that stops the resumed briefing again', async () => {
      const { bargeIn, calls } = setUp();
      bargeIn.open(true);
      bargeIn.soundStarted();
      bargeIn.open(false);
      const heard = bargeIn.heard(never);
      await vi.advanceTimersByTimeAsync(SOUND_CONFIRM_MS);
      expect(await heard).toBe('nothing');
      bargeIn.open(true); // resumed
      bargeIn.personStarted();
      expect(calls.interrupts).toBe(2);
    });

    it(`stops the briefing ${SOUND_STOPS} times at most when none was speech; the VAD still does after that`, async () => {
      const { bargeIn, calls } = setUp();
      for (let i = 0; i < SOUND_STOPS + 2; i++) {
        bargeIn.open(true);
        bargeIn.soundStarted();
        await vi.advanceTimersByTimeAsync(SOUND_CONFIRM_MS);
        bargeIn.open(false);
      }
      expect(calls.interrupts).toBe(SOUND_STOPS);
      bargeIn.open(true);
      bargeIn.personStarted();
      expect(calls.interrupts).toBe(SOUND_STOPS + 1);
    });

    it('a sound the VAD took for speech does not count against the sounds', async () => {
      const { bargeIn, calls } = setUp();
      for (let i = 0; i < SOUND_STOPS + 1; i++) {
        bargeIn.open(true);
        bargeIn.soundStarted();
        bargeIn.personStarted();
        bargeIn.personStopped();
        expect(bargeIn.transcribed('hello?')).toBe(true);
        await vi.advanceTimersByTimeAsync(1500);
        bargeIn.open(false);
      }
      expect(calls.interrupts).toBe(SOUND_STOPS + 1);
      bargeIn.open(true);
      bargeIn.soundStarted();
      expect(calls.interrupts).toBe(SOUND_STOPS + 2);
    });

    it('a sound while nothing is open to it stops nothing and settles nothing', async () => {
      const { bargeIn, calls } = setUp();
      bargeIn.soundStarted();
      await vi.advanceTimersByTimeAsync(5000);
      expect(calls.interrupts).toBe(0);
    });
  });
});
