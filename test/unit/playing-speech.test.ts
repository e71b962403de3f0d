// Which speech plays (playing-speech.ts), on handles that finish when told: barge-in drops the queued audio only
// when the briefing's own speech is the one playing. The framework's side of it (one speech at a time, in order)
// is exercised at the phones by transfer-barge-in.
import { describe, expect, it } from 'vitest';
import { PlayingSpeech, type Speech } from '../../agent/transfer/briefing/playing-speech.ts';

class FakeSpeech implements Speech {
  #done = false;
  #callbacks: Array<(speech: never) => void> = [];
  done(): boolean {
    return this.#done;
  }
  addDoneCallback(callback: (speech: never) => void): void {
    if (this.#done) queueMicrotask(() => callback(this as never));
    else this.#callbacks.push(callback);
  }
  finish(): void {
    this.#done = true;
    for (const callback of this.#callbacks) callback(this as never);
  }
}

describe('PlayingSpeech', () => {
  it('the oldest speech not done is the one playing; a later one is not, until those before it are done', () => {
    const speeches = new PlayingSpeech();
    const [apology, briefing, reply] = [new FakeSpeech(), new FakeSpeech(), new FakeSpeech()];
    for (const s of [apology, briefing, reply]) speeches.created(s);
    expect([speeches.isFirst(apology), speeches.isFirst(briefing), speeches.isFirst(reply)]).toEqual([true, false, false]);
    apology.finish();
    expect([speeches.isFirst(briefing), speeches.isFirst(reply)]).toEqual([true, false]);
    briefing.finish();
    expect(speeches.isFirst(briefing)).toBe(false);
    expect(speeches.isFirst(reply)).toBe(true);
  });

  it('a speech it never saw created, or one created already done, is never taken for the one playing', () => {
    const speeches = new PlayingSpeech();
    const stranger = new FakeSpeech();
    expect(speeches.isFirst(stranger)).toBe(false);
    const finished = new FakeSpeech();
    finished.finish();
    speeches.created(finished);
    expect(speeches.isFirst(finished)).toBe(false);
    const playing = new FakeSpeech();
    speeches.created(playing);
    expect(speeches.isFirst(stranger)).toBe(false);
    expect(speeches.isFirst(playing)).toBe(true);
  });

  it('forgets speeches once done (a long briefing keeps no history)', () => {
    const speeches = new PlayingSpeech();
    const all = Array.from({ length: 1000 }, () => new FakeSpeech());
    for (const s of all) {
      speeches.created(s);
      s.finish();
    }
    const last = new FakeSpeech();
    speeches.created(last);
    expect(speeches.isFirst(last)).toBe(true);
    expect(all.some((s) => speeches.isFirst(s))).toBe(false);
  });
});
