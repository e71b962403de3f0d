// The destination is busy (486), declines (603) or does not answer within the ringing timeout: each time
// the caller comes off hold, hears the agent again, and the model gets the typed outcome.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CalleeBehaviour } from '../../phones/index.ts';
import { at, placeTransferCall, startTransferWorker, timelineEntry, waitForSpeech, type TransferCall, type TransferCast } from '../support/transfer-call.ts';

const stack = inject('stack');
let cast: TransferCast;
let call: TransferCall | undefined;

beforeAll(async () => {
  cast = await startTransferWorker(stack, 'dial-failures', { RINGING_TIMEOUT_S: '5' });
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

const cases: Array<{ behaviour: CalleeBehaviour; outcome: string; sipStatus: number | null }> = [
  { behaviour: 'busy', outcome: 'busy', sipStatus: 486 },
  { behaviour: 'decline', outcome: 'declined', sipStatus: 603 },
  { behaviour: 'no-answer', outcome: 'no_answer', sipStatus: null },
];

describe('a warm transfer whose dial fails', () => {
  it.each(cases)('destination $behaviour: the caller is back with the agent ($outcome)', async ({ behaviour, outcome, sipStatus }) => {
    const started = Date.now();
    call = await placeTransferCall(stack, `dial-${behaviour}`, { behaviour });
    const { caller, callee } = call;
    await caller.waitAnswered(20_000);
    await callee.waitForEvent('invite-received', 45_000);

    const returned = await timelineEntry(cast.worker, 'returned', 20_000, started);
    expect(returned.reason).toBe(outcome);
    if (sipStatus !== null) expect(returned.sipStatus).toBe(sipStatus);
    const ended = await timelineEntry(cast.worker, 'ended', 10_000, started);
    expect(ended.outcome).toBe(outcome);
    if (behaviour === 'no-answer') {
      // The ringing timeout cancels the INVITE rather than leaving the phone ringing.
      await callee.waitForEvent('cancel-received', 10_000);
    }

    await waitForSpeech(caller, at(ended), 20_000);
    const results = cast.model.chats.flatMap((c) => c.messages).filter((m) => m.role === 'tool');
    expect(JSON.stringify(results.at(-1))).toContain(outcome);
  });
});
