// The Cloud topology forced on the open-source server (TRANSFER_TOPOLOGY=move): the caller is held in their own
// room as on Cloud, and the accept's move of the person into it is answered "not implemented" by the real
// server. Nobody may be lost to that: the worker relays instead, the caller and the person hear each other, and
// the timeline says which carried the call.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  at,
  DESTINATION_TONE_HZ,
  HOLD_TONE_HZ,
  placeTransferCall,
  startTransferWorker,
  timelineEntry,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
let cast: TransferCast;
let call: TransferCall | undefined;

beforeAll(async () => {
  cast = await startTransferWorker(stack, 'move-fallback', { TRANSFER_TOPOLOGY: 'move' });
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

describe('a move the server cannot make', () => {
  it('holds the caller at home with music, then relays the accepted call instead of moving the person', async () => {
    call = await placeTransferCall(stack, 'move-fallback');
    const { caller, callee } = call;
    await caller.waitAnswered(20_000);
    const hold = await timelineEntry(cast.worker, 'hold_started', 45_000);
    expect(hold.topology).toBe('move');
    await callee.waitAnswered(20_000);
    await timelineEntry(cast.worker, 'prompted', 30_000);
    expect(caller.received.toneRatio(HOLD_TONE_HZ, Date.now() - 1500, Date.now())).toBeGreaterThan(0.5);

    await callee.press('1');
    const bridgedEntry = await timelineEntry(cast.worker, 'bridged', 15_000);
    expect(bridgedEntry.topology).toBe('bridge');
    const heard = await caller.waitForAudio({ minRms: 300, withinMs: 10_000, after: at(bridgedEntry) });
    await new Promise((r) => setTimeout(r, 2000));
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, heard, heard + 1500)).toBeGreaterThan(0.5);
    await callee.waitForAudio({ minRms: 300, withinMs: 12_000, after: at(bridgedEntry) + 300 });
    // No failure on the way: the relay carried the call, not a retry of a failed bridge.
    expect(cast.worker.timeline().some((e) => e.type === 'ended' && e.outcome === 'bridge_failed')).toBe(false);

    await caller.hangup();
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    expect(await timelineEntry(cast.worker, 'ended', 10_000)).toMatchObject({ outcome: 'accepted' });
  });
});
