// The utterance as the decoder is given it: resampled to the model's rate, padded, with a hiss in the band phone
// audio lacks; and the check that lets a steady sound (hum, line noise, silence) skip decoding.
import { AudioFrame, AudioResampler } from '@livekit/rtc-node';

/** The spread, in dB, between the 90th and the 10th percentile of the levels of `pcm`'s 20 ms frames. */
export function levelSpreadDb(pcm: Int16Array, sampleRate: number): number {
  const size = Math.max(1, Math.round(sampleRate / 50));
  const levels: number[] = [];
  for (let at = 0; at + size <= pcm.length; at += size) {
    let energy = 0;
    for (let i = at; i < at + size; i++) energy += pcm[i]! * pcm[i]!;
    levels.push(10 * Math.log10(energy / size + 1));
  }
  if (levels.length < 2) return 0;
  levels.sort((a, b) => a - b);
  return levels[Math.floor(levels.length * 0.9)]! - levels[Math.floor(levels.length * 0.1)]!;
}

/** PCM16 at `from` Hz as PCM16 at `to` Hz (rtc-node's resampler, as the framework's own). */
export function resample(pcm: Int16Array, from: number, to: number): Int16Array {
  if (from === to || pcm.length === 0) return pcm;
  const resampler = new AudioResampler(from, to, 1);
  try {
    const frames = [...resampler.push(new AudioFrame(pcm, from, 1, pcm.length)), ...resampler.flush()];
    const out = new Int16Array(frames.reduce((n, f) => n + f.samplesPerChannel, 0));
    let at = 0;
    for (const f of frames) {
      out.set(f.data.subarray(0, f.samplesPerChannel), at);
      at += f.samplesPerChannel;
    }
    return out;
  } finally {
    resampler.close();
  }
}

/**
 * 16 kHz `pcm` with `padSamples` of quiet before and after, and a hiss of `highRms` in the 4-8 kHz band
 * throughout (white noise shifted up: (-1)^n times its 4-point moving average, which has its zeros at 0 and 4 kHz).
 * Seeded, so the same utterance always decodes the same way.
 */
export function withHiss(pcm: Int16Array, padSamples: number, highRms: number, shape: 'high' | 'white' = 'high'): Int16Array {
  const out = new Int16Array(pcm.length + 2 * Math.max(0, padSamples));
  let seed = 12345;
  const white = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x3fffffff - 1) * Math.sqrt(3); // unit RMS
  const history = [0, 0, 0];
  for (let i = 0; i < out.length; i++) {
    const w = white();
    const average = (w + history[0]! + history[1]! + history[2]!) / 4;
    history.unshift(w);
    history.length = 3;
    // The moving average of unit white noise has RMS 1/2.
    const hiss = shape === 'white' ? highRms * w : highRms * 2 * average * (i % 2 ? -1 : 1);
    const speech = i >= padSamples && i - padSamples < pcm.length ? pcm[i - padSamples]! : 3 * white();
    out[i] = Math.max(-32768, Math.min(32767, Math.round(speech + hiss)));
  }
  return out;
}
