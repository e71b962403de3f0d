// Warm Transfer Rules from a settings file: a rule with two destinations in order (an extension on the
// PBX, then a phone number), and a message taken when nobody can take the call.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  allOf,
  FakeOpenAI,
  hadToolResult,
  hasToolResult,
  lastUserMessageIncludes,
  not,
  systemPromptIncludes,
  toolsInclude,
} from '../support/fake-openai/index.ts';
import type { ChatRequest } from '../support/fake-openai/matchers.ts';
import { startCallee, type Phone } from '../../phones/index.ts';
import { eventually } from '../support/rooms.ts';
import {
  at,
  CALLER_REQUEST,
  DESTINATION_TONE_HZ,
  holdToneWav,
  PBX_PORT,
  placeTransferCall,
  settingsFile,
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
let pbx: Phone | undefined;
let messages: string;

function model(): FakeOpenAI {
  const fake = new FakeOpenAI({ defaultChatReply: { text: 'Okay.' } });
  const noTransferYet = (request: ChatRequest) => !request.messages.some((m) => m.role === 'tool');
  fake.onChat(systemPromptIncludes('Summarise this phone conversation'), { text: 'The caller has a billing dispute.' });
  fake.onChat(hasToolResult('take_message'), { text: 'Thanks, I have passed your message on.' });
  // Nobody could take the call: the model takes a message, as the tool's result suggests. The caller keeps
  // talking (the phone repeats its request), so the reply to that result may be interrupted by a new turn:
  // the rule holds until a message has been taken, not only right after the result.
  fake.onChat(allOf(hadToolResult('warm_transfer', 'busy'), not(hadToolResult('take_message'))), {
    toolCalls: [
      { name: 'take_message', arguments: { name: 'Dana Caller', callback_number: '+15125550142', message: 'Please call me about the double charge.' } },
    ],
  });
  fake.onChat(hasToolResult('warm_transfer'), { text: 'Anything else?' });
  fake.onChat(allOf(toolsInclude('warm_transfer'), lastUserMessageIncludes('billing'), noTransferYet), {
    toolCalls: [{ name: 'warm_transfer', arguments: { destination: 'ext:1002', reason: 'Billing dispute about a double charge.', caller_confirmed: true } }],
  });
  fake.onTranscription(...Array.from({ length: 200 }, () => CALLER_REQUEST));
  return fake;
}

beforeAll(async () => {
  const settings = settingsFile(stack, {
    warmTransfer: {
      enabled: true,
      rules: 'If the caller has a billing dispute, warm transfer to ext:1002, or if they are unavailable to +15125551234.',
      holdMusic: holdToneWav(),
      ringingTimeoutSeconds: 10,
    },
  });
  messages = `${settings.dir}/messages.jsonl`;
  cast = await startTransferWorker(stack, 'rules-fallback', { AGENT_SETTINGS: settings.path }, model());
});
afterEach(async () => {
  await call?.close();
  await pbx?.close();
  call = pbx = undefined;
});
afterAll(async () => {
  await cast?.close();
});

describe('a rule with two destinations', () => {
  it('tries the second when the first is busy, telling the caller on hold, and the second accepts', async () => {
    const started = Date.now();
    pbx = await startCallee({ port: PBX_PORT, behaviour: 'busy', name: 'ext-1002' });
    call = await placeTransferCall(stack, 'fallback-accept');
    const { caller, callee } = call;
    await pbx.waitForEvent('invite-received', 45_000);
    expect((await pbx.waitForEvent('rejected', 10_000)).status).toBe(486);
    const firstEnded = await timelineEntry(cast.worker, 'ended', 15_000, started);
    expect(firstEnded.outcome).toBe('busy');

    // Still on hold, the caller hears that the agent is trying someone else; then the second phone rings.
    await waitForSpeech(caller, at(firstEnded), 15_000);
    await callee.waitAnswered(30_000);
    expect(timelineEntries(cast.worker, 'dialing', started).map((e) => e['lk.pii.destination'])).toEqual(['ext:1002', '+15125551234']);
    await timelineEntry(cast.worker, 'prompted', 30_000, at(firstEnded));
    await callee.press('1');
    const bridged = at(await timelineEntry(cast.worker, 'bridged', 10_000, started));
    const heard = await caller.waitForAudio({ minRms: 300, withinMs: 10_000, after: bridged });
    await new Promise((r) => setTimeout(r, 1500));
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, heard, heard + 1000)).toBeGreaterThan(0.5);
  });

  it('when every destination fails, the caller is told and a message is taken and stored', async () => {
    const started = Date.now();
    pbx = await startCallee({ port: PBX_PORT, behaviour: 'busy', name: 'ext-1002' });
    call = await placeTransferCall(stack, 'fallback-message', { behaviour: 'busy' });
    await call.callee.waitForEvent('rejected', 60_000);
    const ended = timelineEntries(cast.worker, 'ended', started);
    await timelineEntry(cast.worker, 'ended', 15_000, started);
    await waitForSpeech(call.caller, at(ended[0] ?? { at: new Date(started).toISOString() }), 20_000);

    let stored: Array<Record<string, unknown>> = [];
    const deadline = Date.now() + 20_000;
    while (stored.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      try {
        stored = readFileSync(messages, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>);
      } catch {
        stored = [];
      }
    }
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      agentId: 'support',
      name: 'Dana Caller',
      callbackNumber: '+15125550142',
      message: 'Please call me about the double charge.',
    });
    expect(stored[0]?.['lk.pii.caller_number']).toBe(call.from);
    // The event line reaches the worker's output through the job process's pipe, a moment after the file is written.
    await eventually(() => cast.worker.log().includes('"event":"message_taken"'), 5000, 'the message_taken event in the worker log');
  });
});
