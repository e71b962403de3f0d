// A bridge that fails, on the real stack. Nothing on the local stack fails a relay on demand, so the worker's
// drill switch WARM_TRANSFER_FAULT=bridge makes its bridge fail at the accept; everything around it (the hold,
// the briefing, the key press, taking the caller back, letting the person go) is the real path. Expected: the
// music stops, the caller is back with their agent and told, the destination's leg is ended, `bridge_failed`.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  at,
  DESTINATION_TONE_HZ,
  HOLD_TONE_HZ,
  placeTransferCall,
  startTransferWorker,
  timelineEntries,
  timelineEntry,
  waitForSpeech,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
let cast: TransferCast;
let call: TransferCall | undefined;

beforeAll(async () => {
  cast = await startTransferWorker(stack, 'bridge-fails', { WARM_TRANSFER_FAULT: 'bridge' });
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

describe('a bridge that fails', { timeout: 150_000 }, () => {
  it('takes the caller off hold and tells them, lets the destination go, and ends as bridge_failed', async () => {
    const started = Date.now();
    call = await placeTransferCall(stack, 'bridge-fails');
    const { caller, callee } = call;
    await callee.waitAnswered(60_000);
    await timelineEntry(cast.worker, 'prompted', 30_000, started);
    await callee.press('1');
    expect(await timelineEntry(cast.worker, 'decision', 10_000, started)).toMatchObject({ choice: 'accept', source: 'keypad' });
    const ended = await timelineEntry(cast.worker, 'ended', 15_000, started);
    expect(ended.outcome).toBe('bridge_failed');
    expect(timelineEntries(cast.worker, 'bridged', started)).toEqual([]);
    // The destination's leg is ended by the agent.
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    // The caller: the apology (speech, not music), then no more music, and never the destination.
    const spoken = await waitForSpeech(caller, at(ended) - 500, 15_000);
    await new Promise((r) => setTimeout(r, 2000));
    // No music from then on: music fills any half second it is in (a ratio near 1), the agent's speech never
    // (its harmonics at 440 Hz measure at most 0.13 in a half second of espeak-ng's voice).
    const windows: string[] = [];
    for (let t = spoken + 500; t + 500 <= Date.now(); t += 250) windows.push(caller.received.toneRatio(HOLD_TONE_HZ, t, t + 500).toFixed(2));
    expect(windows.length).toBeGreaterThan(4);
    expect(
      windows.filter((r) => Number(r) >= 0.3),
      `hold tone per half second from the apology on: ${windows.join(' ')}`,
    ).toEqual([]);
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, started, Date.now())).toBeLessThan(0.02);
    expect(caller.events.some((e) => e.type === 'bye-received')).toBe(false);
  });
});
