// A hold that cannot start, on the real stack: with the drill WARM_TRANSFER_FAULT=hold the hold music never
// starts, so the caller cannot be put on hold. Nobody may be dialled then: the caller keeps their agent, hears
// why, and the transfer ends as hold_failed.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  at,
  HOLD_TONE_HZ,
  placeTransferCall,
  startTransferWorker,
  timelineEntry,
  waitForSpeech,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
let cast: TransferCast;
let call: TransferCall | undefined;

beforeAll(async () => {
  cast = await startTransferWorker(stack, 'hold-fails', { WARM_TRANSFER_FAULT: 'hold' });
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

describe('a hold that cannot start', () => {
  it('dials nobody: the caller stays with the agent, is told, and the transfer ends as hold_failed', async () => {
    const started = Date.now();
    call = await placeTransferCall(stack, 'hold-fails');
    const { caller, callee } = call;
    const ended = await timelineEntry(cast.worker, 'ended', 60_000, started);
    expect(ended.outcome).toBe('hold_failed');
    // The agent says so (speech, not music), and no music was ever played to the caller.
    await waitForSpeech(caller, at(ended) - 500, 20_000);
    expect(caller.received.toneRatio(HOLD_TONE_HZ, started, Date.now())).toBeLessThan(0.05);
    // Nothing was dialled: the destination's phone never saw an INVITE.
    await new Promise((r) => setTimeout(r, 2000));
    expect(callee.events.some((e) => e.type === 'invite-received')).toBe(false);
    expect(cast.worker.timeline().some((e) => e.type === 'dialing' && at(e) >= started)).toBe(false);
  });
});
