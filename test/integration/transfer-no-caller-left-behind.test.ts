// Failures between and after the steps of a warm transfer, at the phones: a caller who hangs up between two
// destinations is noticed (the next one is never dialled), a bridged call ends at MAX_BRIDGED_CALL_S with
// both legs hung up, and TRANSFER_DEADLINE_S bounds the whole request, not each destination.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCallee, type Phone } from '../support/phone/index.ts';
import { eventually } from '../support/rooms.ts';
import { allOf, FakeOpenAI, hasToolResult, lastUserMessageIncludes, systemPromptIncludes, toolsInclude } from '../support/fake-openai/index.ts';
import type { ChatRequest } from '../support/fake-openai/matchers.ts';
import {
  at,
  CALLER_REQUEST,
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
import { DESTINATION_NUMBER } from '../support/transfer-call.ts';

const stack = inject('stack');

/** The transfer counts the worker's main process has logged, in order. */
const carrying = (worker: TransferCast['worker']): number[] =>
  worker
    .log()
    .split('\n')
    .filter((line) => line.startsWith('{"event":"carrying"'))
    .map((line) => Number(JSON.parse(line).transfers));
const MAX_BRIDGED_CALL_S = 8;
// The first destination rings its 15 s, the caller hears a note of a few seconds, and the second rings for
// what is left: well under its own 15 s.
const DEADLINE_S = 35;
const RINGING_S = 15;

let cast: TransferCast | undefined;
let call: TransferCall | undefined;
let pbx: Phone | undefined;

/** Transfers to the rule's first destination when the caller mentions billing, once per call. */
function model(): FakeOpenAI {
  const fake = new FakeOpenAI({ defaultChatReply: { text: 'Okay.' } });
  const noTransferYet = (request: ChatRequest) => !request.messages.some((m) => m.role === 'tool');
  fake.onChat(systemPromptIncludes('Summarise this phone conversation'), { text: 'The caller has a billing dispute.' });
  fake.onChat(hasToolResult('warm_transfer'), { text: 'Anything else?' });
  fake.onChat(allOf(toolsInclude('warm_transfer'), lastUserMessageIncludes('billing'), noTransferYet), {
    toolCalls: [{ name: 'warm_transfer', arguments: { destination: 'ext:1002', reason: 'Billing dispute about a double charge.', caller_confirmed: true } }],
  });
  fake.onTranscription(...Array.from({ length: 200 }, () => CALLER_REQUEST));
  return fake;
}

/** The caller asks about billing, which the rule sends to ext:1002 first, then to the PSTN number. */
function twoDestinationWorker(name: string, env: Record<string, string>): Promise<TransferCast> {
  const settings = settingsFile(stack, {
    warmTransfer: {
      enabled: true,
      rules: `If the caller has a billing dispute, warm transfer to ext:1002, or if they are unavailable to ${DESTINATION_NUMBER}.`,
      holdMusic: holdToneWav(),
      ringingTimeoutSeconds: RINGING_S,
    },
  });
  return startTransferWorker(stack, name, { AGENT_SETTINGS: settings.path, ...env }, model());
}

afterEach(async () => {
  await call?.close();
  await pbx?.close();
  call = pbx = undefined;
});

describe('with MAX_BRIDGED_CALL_S set', () => {
  beforeAll(async () => {
    cast = await twoDestinationWorker('no-caller-left-behind', { MAX_BRIDGED_CALL_S: String(MAX_BRIDGED_CALL_S) });
  });
  afterAll(async () => {
    await cast?.close();
    cast = undefined;
  });

  it('a caller who hangs up between two destinations is noticed: the second is never dialled', async () => {
    const started = Date.now();
    pbx = await startCallee({ port: PBX_PORT, behaviour: 'busy', name: 'between-ext-1002' });
    call = await placeTransferCall(stack, 'hangs-up-between');
    await pbx.waitForEvent('rejected', 60_000);
    await timelineEntry(cast!.worker, 'ended', 15_000, started);
    // The caller hears "... isn't available, so I'm trying ..." and hangs up during it.
    await call.caller.hangup();
    await new Promise((r) => setTimeout(r, 12_000));
    expect(call.callee.events.some((e) => e.type === 'invite-received')).toBe(false);
    expect(timelineEntries(cast!.worker, 'dialing', started)).toHaveLength(1);
  });

  it('a bridged call is ended at its maximum duration, both legs hung up', async () => {
    const started = Date.now();
    pbx = await startCallee({ port: PBX_PORT, ringMs: 500, audio: { tone: 1000 }, name: 'max-ext-1002' });
    call = await placeTransferCall(stack, 'max-bridged');
    await pbx.waitAnswered(60_000);
    await timelineEntry(cast!.worker, 'prompted', 40_000, started);
    await pbx.press('1');
    const bridged = at(await timelineEntry(cast!.worker, 'bridged', 15_000, started));
    // The bridged call counts toward the worker's load: its main process reads what the job process carries.
    await eventually(() => carrying(cast!.worker).at(-1) === 1, 6000, 'the worker to count the transfer it carries');
    const [callerEnd, personEnd] = await Promise.all([
      call.caller.waitEnded(MAX_BRIDGED_CALL_S * 1000 + 15_000),
      pbx.waitEnded(MAX_BRIDGED_CALL_S * 1000 + 15_000),
    ]);
    for (const end of [callerEnd, personEnd]) {
      expect(end.hungUpBy).toBe('remote');
      expect(end.at - bridged).toBeGreaterThan(MAX_BRIDGED_CALL_S * 1000 - 500);
      expect(end.at - bridged).toBeLessThan(MAX_BRIDGED_CALL_S * 1000 + 6000);
    }
    expect(await timelineEntry(cast!.worker, 'max_duration', 5000, started)).toMatchObject({ maxBridgedMs: MAX_BRIDGED_CALL_S * 1000 });
    expect(await timelineEntry(cast!.worker, 'ended', 5000, bridged)).toMatchObject({ outcome: 'accepted' });
    await eventually(() => carrying(cast!.worker).at(-1) === 0, 6000, 'the worker to stop counting the ended call');
  });
});

describe('with TRANSFER_DEADLINE_S set', () => {
  beforeAll(async () => {
    cast = await twoDestinationWorker('request-deadline', { TRANSFER_DEADLINE_S: String(DEADLINE_S) });
  });
  afterAll(async () => {
    await cast?.close();
    cast = undefined;
  });

  it('the deadline covers the whole request: the second destination rings only for what is left of it', async () => {
    pbx = await startCallee({ port: PBX_PORT, behaviour: 'no-answer', name: 'deadline-ext-1002' });
    call = await placeTransferCall(stack, 'request-deadline', { behaviour: 'no-answer' });
    const firstInvite = (await pbx.waitForEvent('invite-received', 60_000)).at;
    await pbx.waitForEvent('cancel-received', RINGING_S * 1000 + 10_000);
    const secondInvite = (await call.callee.waitForEvent('invite-received', 20_000)).at;
    const cancelled = (await call.callee.waitForEvent('cancel-received', DEADLINE_S * 1000)).at;
    // Counted from the first INVITE (the request started a moment before it); a per-destination deadline
    // would have let the second phone ring its full RINGING_S.
    expect(cancelled - firstInvite).toBeLessThan(DEADLINE_S * 1000 + 1000);
    expect(cancelled - secondInvite).toBeLessThan(RINGING_S * 1000 - 2000);
    // The second attempt's `ended` follows its clean-up by a moment.
    await eventually(() => timelineEntries(cast!.worker, 'ended', firstInvite - 5000).length >= 2, 10_000, 'both attempts to end');
    expect(timelineEntries(cast!.worker, 'ended', firstInvite - 5000).map((e) => e.outcome)).toEqual(['no_answer', 'no_answer']);
    await waitForSpeech(call.caller, cancelled, 20_000);
  });
});
