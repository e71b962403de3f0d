// Audio helpers for the test phone: G.711 A-law (PCMA) codec, level and tone analysis, and the
// raw A-law files SIPp streams with rtp_stream="<file>,-1,8". Everything is 8 kHz mono PCM16.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const SAMPLE_RATE = 8000;

// Segment end points of the 13-bit magnitude (ITU-T G.711 / Sun's g711.c).
const SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

/** Encode one PCM16 sample to an A-law byte. */
export function linearToAlaw(sample: number): number {
  let pcm = Math.max(-32768, Math.min(32767, Math.round(sample))) >> 3; // A-law works on 13 bits
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5; // sign bit set, then the even bits inverted (the 0x55 toggle of G.711)
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  let seg = 0;
  while (seg < 8 && pcm > (SEG_END[seg] ?? 0)) seg++;
  if (seg >= 8) return 0x7f ^ mask; // clip to the largest code
  const mantissa = seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return ((seg << 4) | mantissa) ^ mask;
}

/** Decode one A-law byte to a PCM16 sample. */
export function alawToLinear(byte: number): number {
  const a = (byte & 0xff) ^ 0x55;
  const seg = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  if (seg === 0) t += 8;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

// A 256-entry table makes decoding the 50 packets a second of every phone cheap.
const DECODE_TABLE = Int16Array.from({ length: 256 }, (_, b) => alawToLinear(b));

export function decodeAlaw(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = DECODE_TABLE[bytes[i] ?? 0xd5] ?? 0;
  return out;
}

export function encodeAlaw(samples: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = linearToAlaw(samples[i] ?? 0);
  return out;
}

/** Root mean square in PCM16 units (full-scale sine ~ 23170; decoded A-law silence ~ 8). */
export function rms(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] ?? 0;
    sum += v * v;
  }
  return Math.sqrt(sum / samples.length);
}

/** Goertzel: |X(f)|^2 of samples[start, start+n) at an arbitrary (not necessarily bin) frequency. */
export function goertzelPower(samples: ArrayLike<number>, freqHz: number, start = 0, n = samples.length - start, sampleRate = SAMPLE_RATE): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freqHz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < start + n; i++) {
    const s0 = (samples[i] ?? 0) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/**
 * Share of the signal's energy at freqHz, 0..1 (a clean sine at freqHz gives ~1, other tones and
 * silence ~0). Computed over blocks of blockSize samples (50 ms = 20 Hz resolution): by Parseval a
 * sine's energy E over n samples shows up as |X(f)|^2 = n*E/2 at +f (the other half at -f).
 */
export function toneRatio(samples: ArrayLike<number>, freqHz: number, sampleRate = SAMPLE_RATE, blockSize = 400): number {
  const n = Math.min(blockSize, samples.length);
  if (n === 0) return 0;
  let tone = 0;
  let energy = 0;
  for (let start = 0; start + n <= samples.length; start += n) {
    tone += (2 * goertzelPower(samples, freqHz, start, n, sampleRate)) / n;
    for (let i = start; i < start + n; i++) energy += (samples[i] ?? 0) ** 2;
  }
  return energy === 0 ? 0 : Math.min(1, tone / energy);
}

/** PCM16 sine; amplitude is a fraction of full scale. */
export function sineSamples(freqHz: number, seconds: number, amplitude = 0.3): Int16Array {
  const out = new Int16Array(Math.round(seconds * SAMPLE_RATE));
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freqHz * i) / SAMPLE_RATE));
  }
  return out;
}

/** What a phone streams for the whole call (SIPp loops the file). */
export type AudioSpec =
  | { tone: number; amplitude?: number; seconds?: number }
  /** Said after `leadSeconds` of silence (default none), then `gapSeconds` of silence (default 1) before the loop repeats. */
  | { speech: string; voice?: string; gapSeconds?: number; leadSeconds?: number }
  /** A burst of white noise (a cough, a knock) of `seconds`, placed like speech. */
  | { noise: number; amplitude?: number; gapSeconds?: number; leadSeconds?: number }
  | { silence: true }
  | { file: string }; // an existing raw A-law file

/** Write a raw 8 kHz A-law file for spec into dir and return its path. */
export async function makeAlawFile(spec: AudioSpec, dir: string, name = 'send'): Promise<string> {
  if ('file' in spec) return spec.file;
  const out = join(dir, `${name}.alaw`);
  if ('tone' in spec) {
    // One second holds a whole number of cycles for integer frequencies, so the loop is seamless.
    await writeFile(out, encodeAlaw(sineSamples(spec.tone, spec.seconds ?? 1, spec.amplitude)));
  } else if ('silence' in spec) {
    await writeFile(out, encodeAlaw(new Int16Array(SAMPLE_RATE)));
  } else if ('noise' in spec) {
    const pad = ['pad', String(spec.leadSeconds ?? 0), String(spec.gapSeconds ?? 1)];
    const noise = ['synth', String(spec.noise), 'whitenoise', 'vol', String(spec.amplitude ?? 0.3)];
    await execFileAsync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'raw', out, ...noise, ...pad]);
  } else {
    const wav = join(dir, `${name}.wav`);
    await execFileAsync('espeak-ng', ['-v', spec.voice ?? 'en-us', '-w', wav, spec.speech]);
    // The pause after the sentence keeps looped speech from running together.
    const pad = ['pad', String(spec.leadSeconds ?? 0), String(spec.gapSeconds ?? 1)];
    await execFileAsync('sox', [wav, '-r', '8000', '-c', '1', '-e', 'a-law', '-t', 'raw', out, ...pad]);
  }
  return out;
}
