// What the bench listens for at the phones: the first 100 ms window that matches (a tone, any audio), and the
// arrival of tone bursts sent on a known clock (the one-way audio delay of a path).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAlaw, rms, sineSamples, toneRatio, type Phone } from '../../phones/index.ts';
import { sleep } from './stats.ts';

/**
 * Start of the first `windowMs` window at or after `from` (5 ms steps) in which `test` holds, or undefined. A
 * window is tested only once it has passed, so that what has not arrived yet is not taken for silence.
 */
export async function firstWindow(phone: Phone, from: number, withinMs: number, test: (start: number) => boolean, windowMs = 100): Promise<number | undefined> {
  const deadline = Date.now() + withinMs;
  let t = from;
  while (Date.now() < deadline) {
    for (; t + windowMs <= Date.now(); t += 5) if (test(t)) return t;
    await sleep(20);
  }
  return undefined;
}

export const hears = (phone: Phone, from: number, withinMs: number) => firstWindow(phone, from, withinMs, (t) => phone.received.rms(t, t + 100) > 300);

export const hearsTone = (phone: Phone, hz: number, from: number, withinMs: number) =>
  firstWindow(phone, from, withinMs, (t) => phone.received.rms(t, t + 100) > 300 && phone.received.toneRatio(hz, t, t + 100) > 0.5);

/** Tone bursts: `burstMs` of `hz` at the start of every second, silence the rest (a raw A-law file). */
export function burstFile(hz: number, burstMs = 100): string {
  const second = new Int16Array(8000);
  second.set(sineSamples(hz, burstMs / 1000, 0.4));
  const file = join(mkdtempSync(join(tmpdir(), 'bursts-')), 'bursts.alaw');
  writeFileSync(file, encodeAlaw(second));
  return file;
}

/** Speech, then `toneSeconds` of `hz` (a raw A-law file): the far end tells this voice by pitch, with no silence to wait through. */
export function requestThenTone(speechAlaw: Buffer, hz: number, toneSeconds = 60): string {
  const file = join(mkdtempSync(join(tmpdir(), 'speech-tone-')), 'speech-tone.alaw');
  writeFileSync(file, Buffer.concat([speechAlaw, encodeAlaw(sineSamples(hz, toneSeconds, 0.3))]));
  return file;
}

/**
 * One-way delay of tone bursts sent by a SIPp phone whose stream started at `streamStart` (its ACK) with a
 * burst at the start of every second, as they arrive at `receiver` in [from, to): for each second, arrival of
 * the first packet holding the tone, minus the second's start. Returns the median (ms) and how many bursts.
 */
export function burstDelay(receiver: Phone, hz: number, streamStart: number, from: number, to: number): { medianMs: number | null; bursts: number } {
  const delays: number[] = [];
  const chunks = receiver.received.chunks.filter((c) => c.at >= from && c.at < to);
  let lastSecond = -1;
  for (const c of chunks) {
    if (rms(c.samples) < 1000 || toneRatio(c.samples, hz) < 0.5) continue;
    // The burst whose arrival this is: the latest second that began before the packet arrived.
    const second = Math.floor((c.at - streamStart) / 1000);
    if (second === lastSecond) continue;
    lastSecond = second;
    const delay = c.at - (streamStart + second * 1000);
    if (delay >= 0 && delay < 900) delays.push(delay);
  }
  delays.sort((a, b) => a - b);
  return { medianMs: delays.length ? delays[Math.floor(delays.length / 2)]! : null, bursts: delays.length };
}

/**
 * Bursts whose pitch cycles through `hzs`, one a second (second s sounds hzs[s mod length]): their delay can
 * be told up to hzs.length seconds, where one pitch's wraps at 1 s (a relay late by 1.03 s would read 30 ms).
 */
export const CYCLE_HZ = [1000, 1250, 1500, 1750] as const;

export function burstCycleFile(hzs: readonly number[] = CYCLE_HZ, burstMs = 100): string {
  const all = new Int16Array(8000 * hzs.length);
  hzs.forEach((hz, i) => all.set(sineSamples(hz, burstMs / 1000, 0.4), i * 8000));
  const file = join(mkdtempSync(join(tmpdir(), 'burst-cycle-')), 'bursts.alaw');
  writeFileSync(file, encodeAlaw(all));
  return file;
}

/** The pitch of `hzs` a 20 ms packet holds, as an index, or -1. */
function pitchOf(samples: Int16Array, hzs: readonly number[]): number {
  if (rms(samples) < 1000) return -1;
  return hzs.findIndex((hz) => toneRatio(samples, hz) >= 0.5);
}

/** As burstDelay, for burstCycleFile's bursts: each arrival is matched to the latest second of its pitch. */
export function cycleBurstDelay(
  receiver: Phone,
  streamStart: number,
  from: number,
  to: number,
  hzs: readonly number[] = CYCLE_HZ,
): { medianMs: number | null; bursts: number } {
  const delays: number[] = [];
  let lastSecond = -1;
  for (const c of receiver.received.chunks) {
    if (c.at < from || c.at >= to) continue;
    const k = pitchOf(c.samples, hzs);
    if (k < 0) continue;
    const n = hzs.length;
    const latest = Math.floor((c.at - streamStart) / 1000);
    const second = latest - ((((latest - k) % n) + n) % n);
    if (second === lastSecond || second < 0) continue;
    lastSecond = second;
    delays.push(c.at - (streamStart + second * 1000));
  }
  delays.sort((a, b) => a - b);
  return { medianMs: delays.length ? delays[Math.floor(delays.length / 2)]! : null, bursts: delays.length };
}

/** The first 100 ms window after `from` in which the phone hears any of the cycle's pitches. */
export const hearsCycle = (phone: Phone, from: number, withinMs: number, hzs: readonly number[] = CYCLE_HZ) =>
  firstWindow(phone, from, withinMs, (t) => phone.received.rms(t, t + 100) > 300 && hzs.some((hz) => phone.received.toneRatio(hz, t, t + 100) > 0.5));
