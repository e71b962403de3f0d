// Keypad 9 from the destination: the transfer is rejected, the caller is taken off hold and the agent
// talks to them again. A key that means nothing gets a re-prompt first.
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
  cast = await startTransferWorker(stack, 'keypad-reject');
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

describe('warm transfer rejected with keypad 9', () => {
  it('re-prompts on another key, then returns the caller to the agent', async () => {
    call = await placeTransferCall(stack, 'keypad-reject');
    const { caller, callee } = call;
    await caller.waitAnswered(20_000);
    await callee.waitAnswered(45_000);
    await timelineEntry(cast.worker, 'prompted', 30_000);

    await callee.press('5');
    expect(await timelineEntry(cast.worker, 'reprompted', 10_000)).toMatchObject({ reason: 'invalid_key' });
    await callee.press('9');
    expect(await timelineEntry(cast.worker, 'decision', 10_000)).toMatchObject({ choice: 'reject', source: 'keypad' });
    const ended = await timelineEntry(cast.worker, 'ended', 15_000);
    expect(ended.outcome).toBe('rejected');

    // The destination's leg is hung up; the caller is off hold and hears the agent again, not music.
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    const spoke = await waitForSpeech(caller, at(ended), 20_000);
    expect(caller.received.toneRatio(HOLD_TONE_HZ, spoke, spoke + 500)).toBeLessThan(0.3);
    expect(caller.events.some((e) => e.type === 'bye-received')).toBe(false);
    // The model was told the typed outcome so the conversation can go on.
    const toolResult = cast.model.chats.flatMap((c) => c.messages).find((m) => m.role === 'tool');
    expect(JSON.stringify(toolResult)).toContain('rejected');
  });

  it('takes 9 pressed in the middle of the briefing: the person is let go and the caller is back with the agent', async () => {
    const placed = Date.now();
    call = await placeTransferCall(stack, 'keypad-reject-mid-briefing');
    const { caller, callee } = call;
    await caller.waitAnswered(20_000);
    await callee.waitAnswered(45_000);
    const started = await timelineEntry(cast.worker, 'briefing_started', 20_000, placed);
    expect(String(started.intro)).toMatch(/press 1 any time/i);
    await new Promise((r) => setTimeout(r, 1500));
    const pressed = Date.now();
    await callee.press('9');
    expect(await timelineEntry(cast.worker, 'decision', 10_000, pressed - 100)).toMatchObject({ choice: 'reject', source: 'keypad' });
    expect(cast.worker.timeline().some((e) => e.type === 'prompted' && at(e) >= at(started))).toBe(false);
    const ended = await timelineEntry(cast.worker, 'ended', 15_000, pressed - 100);
    expect(ended.outcome).toBe('rejected');
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    const spoke = await waitForSpeech(caller, at(ended), 20_000);
    expect(caller.received.toneRatio(HOLD_TONE_HZ, spoke, spoke + 500)).toBeLessThan(0.3);
    expect(caller.events.some((e) => e.type === 'bye-received')).toBe(false);
  });
});
