// What the bench listens for at the phones: the first 100 ms window that matches (a tone, any audio), and the
// arrival of tone bursts sent on a known clock (the one-way audio delay of a path).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAlaw, rms, sineSamples, toneRatio, type Phone } from '../../phones/index.ts';
import { sleep } from './stats.ts';

/** Start of the first 100 ms window at or after `from` (5 ms steps) in which `test` holds, or undefined. */
export async function firstWindow(phone: Phone, from: number, withinMs: number, test: (start: number) => boolean): Promise<number | undefined> {
  const deadline = Date.now() + withinMs;
  let t = from;
  while (Date.now() < deadline) {
    for (; t + 100 <= Date.now(); t += 5) if (test(t)) return t;
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
