// Assertions shared by the keypad tests (kept apart from transfer-call.ts, which the benchmark imports
// outside vitest).
import { expect } from 'vitest';
import type { Phone } from '../../phones/index.ts';
import { at, DESTINATION_TONE_HZ, timelineEntry } from './transfer-call.ts';
import type { RunningWorker } from '../../stack/worker-process.ts';

/**
 * A keypad transfer connected the caller to `destination` without a briefing: the destination answered,
 * the calls were bridged, and the caller hears the destination's tone. Returns when the caller first heard it.
 */
export async function expectConnectedWithoutBriefing(worker: RunningWorker, caller: Phone, destination: Phone, started: number): Promise<number> {
  await destination.waitAnswered(30_000);
  const bridged = at(await timelineEntry(worker, 'bridged', 15_000, started));
  expect(worker.timeline().some((e) => e.type === 'briefing_started' && at(e) >= started)).toBe(false);
  const heard = await caller.waitForAudio({ minRms: 300, withinMs: 10_000, after: bridged });
  await new Promise((r) => setTimeout(r, 1500));
  expect(caller.received.toneRatio(DESTINATION_TONE_HZ, heard, heard + 1000)).toBeGreaterThan(0.5);
  return heard;
}
