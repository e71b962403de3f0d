// The destination accepts by voice: their words are transcribed, the briefing agent's model calls
// accept_transfer, and the caller is connected.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { allOf, hasToolResult, lastUserMessageIncludes, systemPromptIncludes, toolsInclude } from '../support/fake-openai/index.ts';
import {
  CALLER_REQUEST,
  DESTINATION_TONE_HZ,
  placeTransferCall,
  scriptedModel,
  startTransferWorker,
  timelineEntry,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
let cast: TransferCast;
let call: TransferCall | undefined;

beforeAll(async () => {
  // Until the transfer starts (its summary is requested) what is heard is the caller's request; after that
  // the caller is on hold, and what is transcribed is the destination.
  const summaryRequested = systemPromptIncludes('Summarise this phone conversation');
  // Not a plain yes the briefing takes by itself (quick-decision.ts): these words go to the model.
  const heard = () => (model.chats.some(summaryRequested) ? 'Sure, I can take that one, send them through.' : CALLER_REQUEST);
  const model = scriptedModel(Array.from({ length: 200 }, () => heard));
  // The briefing agent hears "send them through" and accepts through its tool.
  model.onChat(hasToolResult('accept_transfer'), { text: 'Connecting you now.' });
  model.onChat(allOf(toolsInclude('accept_transfer'), lastUserMessageIncludes('send them through')), {
    toolCalls: [{ name: 'accept_transfer', arguments: {} }],
  });
  cast = await startTransferWorker(stack, 'spoken-accept', {}, model);
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

describe('warm transfer accepted verbally', () => {
  it('connects the caller when the destination says "send them through"', async () => {
    const started = Date.now();
    call = await placeTransferCall(stack, 'spoken-accept', {
      audio: { speech: 'Sure, send them through.', gapSeconds: 4 },
    });
    const { caller, callee } = call;
    await callee.waitAnswered(45_000);
    const decision = await timelineEntry(cast.worker, 'decision', 60_000, started);
    expect(decision).toMatchObject({ choice: 'accept', source: 'voice' });
    await timelineEntry(cast.worker, 'bridged', 15_000, started);
    // The destination's voice now reaches the caller (speech, not the hold tone).
    const heard = await caller.waitForAudio({ minRms: 300, withinMs: 15_000, after: Date.now() });
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, heard, heard + 1000)).toBeLessThan(0.5);
    const briefingTurns = cast.model.chats.filter((c) => c.tools.some((t) => JSON.stringify(t).includes('accept_transfer')));
    expect(briefingTurns.length).toBeGreaterThan(0);
  });
});
