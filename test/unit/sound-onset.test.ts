// The briefing's ear for the person's first sound (sound-onset.ts), on espeak-ng's accept and reject phrases as a
// phone sends them, and on lines that are never quiet: it hears a phrase start within a few frames, and a steady
// noise, whatever its level, never (or, when it starts and stays, only until it has become the floor).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SoundOnset } from '../../agent/transfer/briefing/sound-onset.ts';
import { rms } from '../../phones/index.ts';
import { ACCEPTS, REJECTS } from '../bench/decision-corpus.ts';
import { phoneSpeech } from '../support/phone-speech.ts';

const RATE = 8000;
const FRAME = 80; // 10 ms

/** Feeds `audio` 10 ms at a time; returns the times (ms from its start) of each start and end. */
function listen(audio: Int16Array): { started: number[]; ended: number[] } {
  const started: number[] = [];
  const ended: number[] = [];
  let at = 0;
  const onset = new SoundOnset({ started: () => started.push(at), ended: () => ended.push(at) });
  for (let i = 0; i + FRAME <= audio.length; i += FRAME) {
    at = ((i + FRAME) / RATE) * 1000;
    onset.frame(audio.subarray(i, i + FRAME), RATE);
  }
  return { started, ended };
}

/** Gaussian-ish noise (sum of uniforms) of about `level` RMS, from a seed. */
function noise(seconds: number, level: number, seed: number): Int16Array {
  let state = seed >>> 0 || 1;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const out = new Int16Array(Math.round(seconds * RATE));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(((uniform() + uniform() + uniform()) / Math.sqrt(1)) * level);
  return out;
}

const hum = (seconds: number, level: number) =>
  Int16Array.from({ length: Math.round(seconds * RATE) }, (_, i) => Math.round(level * Math.SQRT2 * Math.sin((2 * Math.PI * 50 * i) / RATE)));

function joined(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) out.set(part, (at += part.length) - part.length);
  return out;
}

/** The phrase's first sound: its first 10 ms above -50 dBFS. */
function firstSound(speech: Int16Array): number {
  for (let i = 0; i + FRAME <= speech.length; i += FRAME) if (rms(speech.subarray(i, i + FRAME)) > 100) return (i / RATE) * 1000;
  throw new Error('a silent phrase');
}

describe("the briefing's ear for a first sound", { timeout: 120_000 }, () => {
  it("hears every accept and reject phrase start within 40 ms of its first sound, over a quiet line (an A-law phone's idle noise) or a hiss", async () => {
    const delays: number[] = [];
    for (const voice of ['en-us', 'en-gb-x-rp'])
      for (const text of [...ACCEPTS, ...REJECTS]) {
        const speech = await phoneSpeech(text, voice);
        for (const line of [noise(1, 8, text.length), noise(1, 60, text.length)]) {
          const withLine = joined(
            line,
            speech.map((s, i) => s + (line[i % line.length] ?? 0)),
          );
          const { started } = listen(withLine);
          expect(started.length, `${voice}: ${text}`).toBeGreaterThanOrEqual(1);
          const delay = started[0]! - 1000 - firstSound(speech);
          expect(delay, `${voice}: ${text}`).toBeGreaterThanOrEqual(0);
          expect(delay, `${voice}: ${text}`).toBeLessThanOrEqual(40);
          delays.push(delay);
        }
      }
    delays.sort((a, b) => a - b);
    console.log(
      JSON.stringify({ soundOnsetMs: { p50: delays[Math.floor(delays.length / 2)], p95: delays[Math.ceil(delays.length * 0.95) - 1], n: delays.length } }),
    );
  });

  it('never hears a sound in steady noise or hum, at any level, from the first frame', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 8000 }), fc.integer(), fc.boolean(), (level, seed, isHum) => {
        const line = isHum ? hum(5, level) : noise(5, level, seed);
        expect(listen(line).started).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('never hears a sound in a noisy line that loses packets now and then (30 ms of silence each)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 300, max: 3000 }), fc.integer(), fc.array(fc.integer({ min: 60, max: 480 }), { maxLength: 5 }), (level, seed, lost) => {
        const line = noise(5, level, seed);
        for (const at of lost) line.fill(0, at * FRAME, at * FRAME + 3 * FRAME);
        expect(listen(line).started).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('a tone or hiss the line carries from its first half second is not a sound; one that starts after it is', () => {
    for (const startsMs of [0, 100, 300]) {
      const line = joined(new Int16Array((startsMs / 1000) * RATE), hum(3, 3000), noise(3, 500, startsMs));
      expect(listen(line).started, `from ${startsMs} ms`).toEqual([]);
    }
    // Zeros (a phone still ringing) do not count: the line starts with its first sound.
    expect(listen(joined(new Int16Array(3 * RATE), hum(3, 3000))).started).toEqual([]);
    const late = listen(joined(new Int16Array(RATE), noise(1, 8, 1), hum(3, 3000)));
    expect(late.started).toEqual([2020]);
  });

  it('a noise that starts and stays is a sound until it has become the floor, within 2 s; then a voice over it is heard', async () => {
    const speech = await phoneSpeech(ACCEPTS[0]!, 'en-us');
    const fan = noise(4 + speech.length / RATE, 400, 7);
    const voiceOverFan = speech.map((s, i) => s + fan[4 * RATE + i]!);
    const { started, ended } = listen(joined(noise(1, 8, 3), fan.subarray(0, 4 * RATE), voiceOverFan));
    expect(started[0]).toBeGreaterThanOrEqual(1000);
    expect(started[0]).toBeLessThanOrEqual(1020);
    expect(ended[0]! - started[0]!).toBeLessThan(2000);
    expect(started.length).toBeGreaterThanOrEqual(2);
    // Its first syllables are under the fan: heard once they rise 12 dB above it.
    expect(started[1]! - 5000 - firstSound(speech)).toBeLessThanOrEqual(150);
  });
});
