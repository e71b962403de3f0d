// The espeak voice's framer (pcm-framer.ts) against the framework's AudioByteStream, which it replaces: the same
// frames from the same bytes, however the pipe cuts them.
import { AudioByteStream, initializeLogger } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PcmFramer } from '../../agent/conversation/speech/pcm-framer.ts';

/** `bytes` cut at `cuts` (positions, in any order), as the pieces a pipe might deliver. */
function pieces(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    out.push(bytes.subarray(from, to));
    from = to;
  }
  return out;
}

const samplesOf = (frames: AudioFrame[]) => frames.map((f) => [...f.data.subarray(0, f.samplesPerChannel)]);

initializeLogger({ pretty: false, level: 'error' });

describe('PcmFramer', () => {
  it('gives the frames AudioByteStream gives, for any bytes cut anywhere (an even number of them)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }).map((b) => b.subarray(0, b.length & ~1)),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer({ min: 1, max: 300 }),
        (bytes, cuts, samplesPerFrame) => {
          const ours = new PcmFramer(16_000, samplesPerFrame);
          const theirs = new AudioByteStream(16_000, 1, samplesPerFrame);
          const a: AudioFrame[] = [];
          const b: AudioFrame[] = [];
          for (const piece of pieces(bytes, cuts)) {
            a.push(...ours.write(piece));
            b.push(...theirs.write(piece.slice()));
          }
          a.push(...ours.flush());
          b.push(...theirs.flush());
          expect(samplesOf(a)).toEqual(samplesOf(b));
          expect(a.every((f) => f.sampleRate === 16_000 && f.channels === 1)).toBe(true);
          expect(a.slice(0, -1).every((f) => f.samplesPerChannel === samplesPerFrame)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a half sample left at the end is dropped, not the samples before it', () => {
    const framer = new PcmFramer(8000, 4);
    const bytes = new Uint8Array(Int16Array.from([1, 2, 3, 4, 5, 6]).buffer);
    expect(samplesOf(framer.write(bytes))).toEqual([[1, 2, 3, 4]]);
    expect(samplesOf(framer.write(new Uint8Array([7])))).toEqual([]);
    expect(samplesOf(framer.flush())).toEqual([[5, 6]]);
    expect(framer.flush()).toEqual([]);
  });

  it('frames do not change when the caller reuses its buffer, and take samples as well as bytes', () => {
    const framer = new PcmFramer(8000, 2);
    const buffer = Int16Array.from([10, 20, 30]);
    const first = framer.write(buffer);
    buffer.fill(0);
    const rest = framer.write(Int16Array.from([40]));
    expect(samplesOf([...first, ...rest])).toEqual([
      [10, 20],
      [30, 40],
    ]);
  });

  it('refuses a frame size that is not a positive whole number of samples', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new PcmFramer(8000, bad)).toThrow(/positive integer/);
  });
});
