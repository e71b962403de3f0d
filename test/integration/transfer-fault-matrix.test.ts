// The rest of the fault matrix at the phones: a voicemail greeting answering, decisions that collide (1 and 9,
// 1 twice, 1 with a spoken "no"), two transfer requests in one model reply, either side hanging up while the
// question waits, and the destination hanging up once bridged. Every case ends in one defined outcome, with
// the caller bridged, back with the agent or cleanly ended, and no record or room left behind.
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { TransferRecordStore } from '../../agent/transfer/record/store.ts';
import { allOf, hasToolResult, lastUserMessageIncludes, systemPromptIncludes, toolsInclude } from '../support/fake-openai/index.ts';
import type { ChatRequest } from '../support/fake-openai/matchers.ts';
import { openRedis } from '../support/redis.ts';
import { eventually } from '../support/rooms.ts';
import {
  at,
  CALLER_REQUEST,
  DESTINATION_NUMBER,
  DESTINATION_TONE_HZ,
  HOLD_TONE_HZ,
  nothingLeftBehind as leftBehind,
  placeTransferCall,
  scriptedModel,
  startTransferWorker,
  timelineEntries,
  timelineEntry,
  waitForSpeech,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
const VOICEMAIL_GREETING = "Hi, you've reached Sam Rivera. Please leave a message after the tone.";
const SPOKEN_NO = "No, I can't take this one right now.";

let redis: Redis;
let records: TransferRecordStore;
let cast: TransferCast;
let call: TransferCall | undefined;
/** What the caller's words transcribe as in the current case. */
let callerSays = CALLER_REQUEST;
/** What the destination's words transcribe as, once the current case's transfer has started. */
let destinationSays = 'Hello?';
/** The model's chats before the current case: what is heard is decided by this case's own chats. */
let chatsBefore = 0;
/** The model's replies to a spoken "no", held until the test lets them go (to race them against a key). */
const spokenNoReplies: Array<() => void> = [];
const releaseSpokenNo = () => spokenNoReplies.splice(0).forEach((release) => release());

beforeAll(async () => {
  redis = openRedis(stack.redisUrl ?? 'redis://127.0.0.1:6379');
  records = new TransferRecordStore({ redis });
  const summaryRequested = systemPromptIncludes('Summarise this phone conversation');
  // Until this case's transfer starts (its summary is requested) what is heard is the caller; after that the
  // caller is on hold, and what is transcribed is the destination.
  const heard = () => (model.chats.slice(chatsBefore).some(summaryRequested) ? destinationSays : callerSays);
  const model = scriptedModel(Array.from({ length: 400 }, () => heard));
  // Two transfers asked for in one reply (a model that repeats itself).
  const noTransferYet = (request: ChatRequest) => !request.messages.some((m) => m.role === 'tool');
  model.onChat(allOf(toolsInclude('warm_transfer'), lastUserMessageIncludes('twice'), noTransferYet), {
    toolCalls: [
      { name: 'warm_transfer', arguments: { destination: DESTINATION_NUMBER, reason: 'Billing dispute.', caller_confirmed: true } },
      { name: 'warm_transfer', arguments: { destination: DESTINATION_NUMBER, reason: 'Billing dispute, again.', caller_confirmed: true } },
    ],
  });
  // The briefing agent: a voicemail greeting, a spoken no.
  model.onChat(hasToolResult('voicemail_detected'), { text: 'Goodbye.' });
  model.onChat(hasToolResult('decline_transfer'), { text: 'Understood.' });
  model.onChat(allOf(toolsInclude('voicemail_detected'), lastUserMessageIncludes('leave a message')), {
    toolCalls: [{ name: 'voicemail_detected', arguments: {} }],
  });
  model.onChat(allOf(toolsInclude('decline_transfer'), lastUserMessageIncludes("can't take")), async () => {
    await new Promise<void>((resolve) => spokenNoReplies.push(resolve));
    return { toolCalls: [{ name: 'decline_transfer', arguments: {} }] };
  });
  cast = await startTransferWorker(stack, 'fault-matrix', {}, model);
});
beforeEach(() => {
  chatsBefore = cast.model.chats.length;
  consultations.clear();
});
afterEach(async () => {
  releaseSpokenNo();
  await call?.close();
  call = undefined;
  callerSays = CALLER_REQUEST;
  destinationSays = 'Hello?';
});
afterAll(async () => {
  await cast?.close();
  await redis?.quit();
});

/** The consultation rooms of this case's transfers, read from their records while they are open. */
const consultations = new Set<string>();
async function noteConsultation(): Promise<void> {
  await eventually(
    async () => {
      for (const record of await records.all()) if (record.consultationRoom) consultations.add(record.consultationRoom);
      return consultations.size > 0;
    },
    30_000,
    'the open transfer record',
  );
}

/** Once the call is over: no transfer record, and none of the call's rooms or consultation rooms. */
const nothingLeftBehind = (from: string) => leftBehind(stack, records, from, consultations);

/** The call has reached the question ("Press 1 ..."); returns when it was asked. */
async function untilQuestion(call: TransferCall, since: number): Promise<number> {
  await call.callee.waitAnswered(60_000);
  await noteConsultation();
  return at(await timelineEntry(cast.worker, 'prompted', 30_000, since));
}

describe('the fault matrix, the cases outside a takeover', { timeout: 150_000 }, () => {
  it('voicemail answers: its greeting, said over the briefing, is recognised; the line is let go and the caller told', async () => {
    destinationSays = VOICEMAIL_GREETING;
    const since = Date.now();
    // An answering machine speaks its greeting once, as it answers, over the briefing; then it is silent (the
    // phone's next greeting is a minute away). Heard only after the briefing, the greeting would be lost, and
    // the question would time out as a rejection instead.
    call = await placeTransferCall(stack, 'matrix-voicemail', { audio: { speech: VOICEMAIL_GREETING, gapSeconds: 60 } });
    const { caller, callee } = call;
    await callee.waitAnswered(60_000);
    await noteConsultation();
    expect(await timelineEntry(cast.worker, 'ended', 60_000, since)).toMatchObject({ outcome: 'voicemail' });
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    // Back with the agent, who says what happened: speech that is not the music.
    await waitForSpeech(caller, Date.now(), 15_000);
    expect(timelineEntries(cast.worker, 'bridged', since)).toEqual([]);
    await caller.hangup();
    await nothingLeftBehind(call.from);
  });

  it('1 and 9 pressed one right after the other: the first key decides, the second changes nothing', async () => {
    const since = Date.now();
    call = await placeTransferCall(stack, 'matrix-1-9');
    const { caller, callee } = call;
    await untilQuestion(call, since);
    await Promise.all([callee.press('1'), new Promise((r) => setTimeout(r, 40)).then(() => callee.press('9'))]);
    const bridged = at(await timelineEntry(cast.worker, 'bridged', 15_000, since));
    await new Promise((r) => setTimeout(r, 2500));
    const decisions = timelineEntries(cast.worker, 'decision', since);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ choice: 'accept', source: 'keypad' });
    // Still bridged: the caller hears the destination, not the agent, and the destination's line is up.
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, bridged + 500, Date.now())).toBeGreaterThan(0.5);
    expect(callee.events.some((e) => e.type === 'bye-received')).toBe(false);
    await caller.hangup();
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    expect(await timelineEntry(cast.worker, 'ended', 15_000, since)).toMatchObject({ outcome: 'accepted' });
    await nothingLeftBehind(call.from);
  });

  it('1 pressed twice: one decision, one bridge', async () => {
    const since = Date.now();
    call = await placeTransferCall(stack, 'matrix-1-1');
    const { caller, callee } = call;
    await untilQuestion(call, since);
    await callee.press('1');
    await callee.press('1');
    const bridged = at(await timelineEntry(cast.worker, 'bridged', 15_000, since));
    await new Promise((r) => setTimeout(r, 2500));
    expect(timelineEntries(cast.worker, 'decision', since)).toHaveLength(1);
    expect(timelineEntries(cast.worker, 'bridged', since)).toHaveLength(1);
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, bridged + 500, Date.now())).toBeGreaterThan(0.5);
    await callee.hangup();
    // Bridged, the destination hanging up ends the call for the caller too.
    expect((await caller.waitEnded(15_000)).hungUpBy).toBe('remote');
    expect(await timelineEntry(cast.worker, 'ended', 15_000, since)).toMatchObject({ outcome: 'accepted' });
    await nothingLeftBehind(call.from);
  });

  it('1 pressed at the moment the model hears a spoken "no": one decision wins, and the call ends the way it says', async () => {
    destinationSays = SPOKEN_NO;
    const since = Date.now();
    call = await placeTransferCall(stack, 'matrix-1-no', { audio: { speech: SPOKEN_NO, gapSeconds: 4 } });
    const { caller, callee } = call;
    await callee.waitAnswered(60_000);
    await noteConsultation();
    // The model has the "no" and is about to decline; the key goes in as its answer is let go.
    await eventually(() => spokenNoReplies.length > 0, 60_000, 'the model to hear the spoken no');
    releaseSpokenNo();
    await callee.press('1');
    const ended = timelineEntry(cast.worker, 'ended', 30_000, since);
    await eventually(() => timelineEntries(cast.worker, 'decision', since).length > 0, 15_000, 'a decision');
    await new Promise((r) => setTimeout(r, 2500));
    const decisions = timelineEntries(cast.worker, 'decision', since);
    expect(decisions).toHaveLength(1);
    if (decisions[0]!.choice === 'accept') {
      // The key won: bridged, and the model's late "no" changed nothing.
      // (This destination speaks rather than plays a tone: the caller hears speech that is not the music.)
      const bridged = at(await timelineEntry(cast.worker, 'bridged', 1000, since));
      await waitForSpeech(caller, bridged + 300, 15_000);
      await caller.hangup();
      expect(await ended).toMatchObject({ outcome: 'accepted' });
    } else {
      // The "no" won: the destination is let go, the caller is back with the agent; the key changed nothing.
      expect(decisions[0]).toMatchObject({ choice: 'reject', source: 'voice' });
      expect(await ended).toMatchObject({ outcome: 'rejected' });
      expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
      await waitForSpeech(caller, at(decisions[0]!), 15_000);
      expect(timelineEntries(cast.worker, 'bridged', since)).toEqual([]);
      await caller.hangup();
    }
    await nothingLeftBehind(call.from);
  });

  it('two transfers asked for in one model reply: one is carried out, the other is refused, one call is placed', async () => {
    const since = Date.now();
    // These words make the scripted model answer with two warm_transfer calls in one reply.
    callerSays = 'Put me through to a person please, I asked twice.';
    call = await placeTransferCall(stack, 'matrix-twice');
    const { caller, callee } = call;
    await untilQuestion(call, since);
    expect(timelineEntries(cast.worker, 'started', since)).toHaveLength(1);
    expect(timelineEntries(cast.worker, 'dialing', since)).toHaveLength(1);
    await callee.press('1');
    await timelineEntry(cast.worker, 'bridged', 15_000, since);
    expect(timelineEntries(cast.worker, 'started', since)).toHaveLength(1);
    // The second request was refused as busy (the model reads why once both calls have returned).
    expect(cast.worker.log()).toMatch(/"reason":"busy".*warm transfer request refused/);
    await caller.hangup();
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    await nothingLeftBehind(call.from);
  });

  it('the caller hangs up while the question waits: the person is told, then let go', async () => {
    const since = Date.now();
    call = await placeTransferCall(stack, 'matrix-caller-left-question');
    const { caller, callee } = call;
    const prompted = await untilQuestion(call, since);
    await new Promise((r) => setTimeout(r, 1500));
    const hungUp = Date.now();
    await caller.hangup();
    // The notice reaches the person (speech after the question), then their line is closed.
    await callee.waitForAudio({ minRms: 300, withinMs: 15_000, after: hungUp + 300 });
    expect((await callee.waitEnded(30_000)).hungUpBy).toBe('remote');
    expect(await timelineEntry(cast.worker, 'ended', 15_000, since)).toMatchObject({ outcome: 'caller_hung_up' });
    expect(hungUp).toBeGreaterThan(prompted);
    await nothingLeftBehind(call.from);
  });

  it('the destination hangs up while the question waits: the caller is back with the agent and told', async () => {
    const since = Date.now();
    call = await placeTransferCall(stack, 'matrix-destination-left-question');
    const { caller, callee } = call;
    await untilQuestion(call, since);
    await new Promise((r) => setTimeout(r, 1500));
    const hungUp = Date.now();
    await callee.hangup();
    expect(await timelineEntry(cast.worker, 'ended', 15_000, since)).toMatchObject({ outcome: 'destination_hung_up' });
    const spoken = await waitForSpeech(caller, hungUp + 300, 15_000);
    expect(caller.received.toneRatio(HOLD_TONE_HZ, spoken, spoken + 500)).toBeLessThan(0.3);
    await caller.hangup();
    await nothingLeftBehind(call.from);
  });
});
