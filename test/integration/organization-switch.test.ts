// An organization without the feature: the agent has no transfer tool at all, whatever the caller asks,
// and says so in its log at start.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { placeTransferCall, settingsFile, startTransferWorker, type TransferCall, type TransferCast } from '../support/transfer-call.ts';

const stack = inject('stack');
let cast: TransferCast;
let call: TransferCall | undefined;

beforeAll(async () => {
  const settings = settingsFile(stack, {
    organization: { warmTransferAvailable: false },
    warmTransfer: { enabled: true, rules: 'If the caller has a billing dispute, warm transfer to +15125551234.' },
  });
  cast = await startTransferWorker(stack, 'no-feature', { AGENT_SETTINGS: settings.path });
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

describe('an organization without warm transfer', () => {
  it('offers the model no transfer tool, and nothing is dialled', async () => {
    call = await placeTransferCall(stack, 'no-feature', { behaviour: 'no-answer' });
    await call.caller.waitAnswered(20_000);
    // Wait for the caller's request to reach the model.
    const deadline = Date.now() + 40_000;
    while (!cast.model.chats.some((c) => JSON.stringify(c.messages).includes('billing')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const turns = cast.model.chats.filter((c) => JSON.stringify(c.messages).includes('billing'));
    expect(turns.length).toBeGreaterThan(0);
    for (const turn of turns) expect(JSON.stringify(turn.tools)).not.toContain('warm_transfer');
    await new Promise((r) => setTimeout(r, 3000));
    expect(call.callee.events.some((e) => e.type === 'invite-received')).toBe(false);
    expect(cast.worker.log()).toContain('warm transfer not available to the organization');
  });
});
