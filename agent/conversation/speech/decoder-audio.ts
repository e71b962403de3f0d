// The utterance as the decoder is given it: resampled to the model's rate, padded, with a hiss in the band phone
// audio lacks; and the check that lets a steady sound (hum, line noise, silence) skip decoding.

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

/** Zero crossings of the interpolating sinc on each side, at the lower rate: the filter's length and sharpness. */
const SINC_ZEROS = 16;
/** The pass band ends this far below the lower rate's Nyquist frequency, so the transition band aliases nothing. */
const PASS_BAND = 0.95;

/**
 * PCM16 at `from` Hz as PCM16 at `to` Hz: band-limited (windowed-sinc) interpolation, low-passed below the lower
 * rate's Nyquist frequency. Deterministic: rtc-node's resampler dithers its output (samples differ by 1-2 between
 * two runs on the same input), and that was enough for one utterance to fall on either side of a decision bar.
 */
export function resample(pcm: Int16Array, from: number, to: number): Int16Array {
  if (from === to || pcm.length === 0) return pcm;
  const common = gcd(from, to);
  const up = to / common;
  const down = from / common;
  const cutoff = Math.min(1, to / from) * PASS_BAND; // as a fraction of the input's Nyquist frequency
  const half = SINC_ZEROS / cutoff; // the kernel's half-width, in input samples
  const taps = Math.ceil(half);
  const kernels = new Map<number, Float64Array>();
  const kernel = (phase: number): Float64Array => {
    let k = kernels.get(phase);
    if (k) return k;
    k = new Float64Array(2 * taps);
    for (let j = -taps + 1; j <= taps; j++) {
      const x = phase / up - j; // from the input sample base + j to the output's position
      if (Math.abs(x) >= half) continue;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * cutoff * x) / (Math.PI * cutoff * x);
      const blackman = 0.42 + 0.5 * Math.cos((Math.PI * x) / half) + 0.08 * Math.cos((2 * Math.PI * x) / half);
      k[j + taps - 1] = cutoff * sinc * blackman;
    }
    kernels.set(phase, k);
    return k;
  };
  const out = new Int16Array(Math.floor((pcm.length * up) / down));
  for (let n = 0; n < out.length; n++) {
    const base = Math.floor((n * down) / up);
    const k = kernel((n * down) % up);
    let sum = 0;
    for (let i = 0; i < k.length; i++) {
      const at = base + i - taps + 1;
      if (at >= 0 && at < pcm.length) sum += pcm[at]! * k[i]!;
    }
    out[n] = Math.max(-32768, Math.min(32767, Math.round(sum)));
  }
  return out;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
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
