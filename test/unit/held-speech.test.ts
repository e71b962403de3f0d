import { afterEach, describe, expect, it, vi } from 'vitest';
import { HeldSpeech } from '../../agent/transfer/briefing/persons-words.ts';

describe('HeldSpeech: what the person said over an uninterruptible utterance', () => {
  afterEach(() => vi.useRealTimers());

  function setup() {
    vi.useFakeTimers();
    const replayed: string[] = [];
    return { held: new HeldSpeech((t) => replayed.push(t), 1000), replayed };
  }

  it('hands back what was said during the speech once it has ended and the grace has passed', () => {
    const { held, replayed } = setup();
    held.speechStarted();
    held.transcribed("Hi, you've reached Sam. Leave a message after the tone.");
    held.speechEnded();
    vi.advanceTimersByTime(999);
    expect(replayed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(replayed).toEqual(["Hi, you've reached Sam. Leave a message after the tone."]);
  });

  it('does not hand back a turn the framework took after all', () => {
    const { held, replayed } = setup();
    held.speechStarted();
    held.transcribed('Sure, send them through.');
    held.speechEnded();
    held.committed('Sure, send them through.');
    vi.advanceTimersByTime(5000);
    expect(replayed).toEqual([]);
  });

  it('waits for the last of back-to-back utterances (briefing, then question) and joins what was held', () => {
    const { held, replayed } = setup();
    held.speechStarted();
    held.transcribed('Who is this?');
    held.speechEnded();
    held.speechStarted(); // the question follows within the grace
    vi.advanceTimersByTime(3000);
    held.transcribed('Okay, put them through.');
    expect(replayed).toEqual([]);
    held.speechEnded();
    vi.advanceTimersByTime(1000);
    expect(replayed).toEqual(['Who is this? Okay, put them through.']);
  });

  it('ignores words said while nothing uninterruptible plays, a lone greeting, and anything after close', () => {
    const { held, replayed } = setup();
    held.transcribed('Send them through.'); // the framework handles this turn itself
    held.speechStarted();
    held.transcribed('Hello?');
    held.speechEnded();
    vi.advanceTimersByTime(2000);
    held.speechStarted();
    held.transcribed('This is the voicemail of Sam.');
    held.close();
    held.speechEnded();
    vi.advanceTimersByTime(2000);
    expect(replayed).toEqual([]);
  });
});
