// Takeover for every kind of destination, at the phones: the job process carrying a warm transfer is killed
// (SIGKILL) during the briefing of an extension (ext:1002, through the PBX trunk), a phone number (through the
// PSTN trunk) and a SIP address (dialled directly at a phone on 127.0.0.1, a host the stack lists in
// SIP_ALLOWED_HOSTS). Each is carried on: the person is spoken to again and 1 bridges. And a destination
// written into the record in Redis before the takeover is checked at the dial like any other: a forbidden
// one is refused, nothing is dialled, and the caller is back with the agent and told.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { FakeOpenAI, hasToolResult, systemPromptIncludes, toolsInclude, allOf, lastUserMessageIncludes } from '../support/fake-openai/index.ts';
import type { ChatRequest } from '../support/fake-openai/matchers.ts';
import { eventually } from '../support/rooms.ts';
import {
  BACK_WITHIN_MS,
  killJob,
  reportGap,
  startTakeoverWorker,
  takeoverRecords,
  toneBack,
  type TakeoverCast,
  type TakeoverRecords,
} from '../support/takeover.ts';
import {
  at,
  CALLER_REQUEST,
  DESTINATION_NUMBER,
  DESTINATION_TONE_HZ,
  HOLD_TONE_HZ,
  PBX_PORT,
  placeTransferCall,
  PSTN_PORT,
  timelineEntries,
  timelineEntry,
  waitForSpeech,
  type TransferCall,
} from '../support/transfer-call.ts';

const stack = inject('stack');
/** The SIP address's phone: a port of its own on loopback, dialled without a trunk. */
const SIP_PORT = 5095;
const SIP_ADDRESS = `sip:1003@127.0.0.1:${SIP_PORT}`;

const RULES = [
  'If the caller has a billing dispute, warm transfer to ext:1002.',
  `If the caller asks for sales, warm transfer to ${DESTINATION_NUMBER}.`,
  `If the caller asks for support, warm transfer to ${SIP_ADDRESS}.`,
  'Never transfer calls to ext:1999.',
].join('\n\n');

/** Where the scripted model transfers this test's call. */
let target = 'ext:1002';

function model(): FakeOpenAI {
  const fake = new FakeOpenAI({ defaultChatReply: { text: 'Okay.' } });
  fake.onChat(systemPromptIncludes('Summarise this phone conversation'), { text: 'The caller has a billing dispute about a double charge.' });
  fake.onChat(hasToolResult('warm_transfer'), { text: 'Is there anything else I can help you with?' });
  const noTransferYet = (request: ChatRequest) => !request.messages.some((m) => m.role === 'tool');
  fake.onChat(allOf(toolsInclude('warm_transfer'), lastUserMessageIncludes('billing'), noTransferYet), () => ({
    toolCalls: [
      { name: 'warm_transfer', arguments: { destination: target, reason: 'Caller has a billing dispute about a double charge.', caller_confirmed: true } },
    ],
  }));
  fake.onTranscription(...Array.from({ length: 200 }, () => CALLER_REQUEST));
  return fake;
}

let records: TakeoverRecords;
let cast: TakeoverCast;
let call: TransferCall | undefined;

beforeAll(async () => {
  records = takeoverRecords(stack);
  // One worker for the file, as the takeover tests share one per group.
  cast = await startTakeoverWorker(
    stack,
    'takeover-kinds',
    8095,
    {
      WORKER_IDLE_PROCESSES: '2',
      WARM_TRANSFER_RULES: RULES,
      SIP_PBX_TRUNK_ID: stack.pbxTrunkId,
    },
    model(),
  );
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
  records.close();
});

const KINDS = [
  { kind: 'an extension through the PBX trunk', destination: 'ext:1002', port: PBX_PORT },
  { kind: 'a phone number through the PSTN trunk', destination: DESTINATION_NUMBER, port: PSTN_PORT },
  { kind: 'a SIP address dialled directly', destination: SIP_ADDRESS, port: SIP_PORT },
];

describe('the job process is killed during the briefing', { timeout: 180_000 }, () => {
  it.each(KINDS)('of $kind: the record holds $destination, and the transfer is carried on and bridged', async ({ destination, port }) => {
    target = destination;
    call = await placeTransferCall(stack, `kinds-${port}`, { port });
    const { caller, callee } = call;
    const started = Date.now();
    await callee.waitAnswered(60_000);
    const briefing = at(await timelineEntry(cast.worker, 'briefing_started', 20_000, started));
    await callee.waitForAudio({ minRms: 300, withinMs: 10_000, after: briefing });
    const record = await records.open((r) => r.phase.kind === 'briefing');
    // Canonical, as the takeover reads it back.
    expect(record.chain).toEqual([destination]);
    const killedAt = killJob(record);

    const back = await toneBack(caller, HOLD_TONE_HZ, killedAt);
    const spoken = await callee.waitForAudio({ minRms: 300, withinMs: 10_000, after: killedAt + 500 });
    // The gaps as the phones heard them, for the report (vitest prints them with the file's output).
    reportGap(`${destination}: music`, back - killedAt);
    reportGap(`${destination}: person spoken to`, spoken - killedAt);
    // The music's 5 s promise is transfer-takeover's to check (on a loaded 2-core machine it lands at 3-5.5 s);
    // here, that it comes back at all, and that the person is spoken to again within 5 s.
    expect(back).toBeGreaterThan(killedAt);
    expect(spoken - killedAt).toBeLessThan(BACK_WITHIN_MS);
    expect(await timelineEntry(cast.worker, 'resumed', 10_000, killedAt)).toMatchObject({ phase: 'briefing', resumes: 1 });
    expect(await timelineEntry(cast.worker, 'prompted', 30_000, killedAt)).toMatchObject({ resumed: true });

    await callee.press('1');
    const bridged = at(await timelineEntry(cast.worker, 'bridged', 15_000, killedAt));
    await toneBack(caller, DESTINATION_TONE_HZ, bridged - 600);
    await caller.hangup();
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    await records.nothingLeftBehind(call.from);
  });
});

describe('a destination written into the record before the takeover', { timeout: 180_000 }, () => {
  it('is refused at the dial: nothing is dialled, the timeline says why, and the caller is back and told', async () => {
    target = DESTINATION_NUMBER;
    call = await placeTransferCall(stack, 'kinds-tampered');
    const { caller, callee } = call;
    const started = Date.now();
    await callee.waitAnswered(60_000);
    await timelineEntry(cast.worker, 'prompted', 30_000, started);
    const record = await records.open((r) => r.phase.kind === 'briefing');
    // Someone with access to Redis adds a forbidden destination after the one being briefed.
    await records.store.write(record.id, record.fence, { chain: [...record.chain, 'ext:1999'] });
    const killedAt = killJob(record);

    expect(await timelineEntry(cast.worker, 'prompted', 30_000, killedAt)).toMatchObject({ resumed: true });
    // The person says no: the chain goes on to the destination the record now names.
    await callee.press('9');
    const refused = await timelineEntry(cast.worker, 'refused', 15_000, killedAt);
    expect(refused).toMatchObject({ refusal: 'forbidden', 'lk.pii.destination': 'ext:1999' });
    expect(timelineEntries(cast.worker, 'dialing', killedAt)).toEqual([]);
    await eventually(() => timelineEntries(cast.worker, 'ended', at(refused)).some((e) => e.outcome === 'dial_failed'), 10_000, 'ended: dial_failed');
    // Back with the agent: speech that is not the music.
    await waitForSpeech(caller, at(refused), 15_000);
    await caller.hangup();
    await records.nothingLeftBehind(call.from);
  });
});
