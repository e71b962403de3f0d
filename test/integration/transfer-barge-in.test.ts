// The person talks over the briefing (barge-in), at the phones: the agent stops talking and listens. A plain
// yes bridges at once and a plain no ends it, both without the model; a question is answered by the model and
// the question of 1 or 9 asked again; a noise lets the briefing resume where it stopped; a voicemail greeting
// that starts during the briefing is still taken for voicemail.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { allOf, lastUserMessageIncludes, systemPromptIncludes, toolsInclude } from '../support/fake-openai/index.ts';
import type { AudioSpec } from '../../phones/index.ts';
import { eventually } from '../support/rooms.ts';
import {
  at,
  CALLER_REQUEST,
  DESTINATION_TONE_HZ,
  HOLD_TONE_HZ,
  placeTransferCall,
  saysThenTone,
  scriptedModel,
  startTransferWorker,
  timelineEntries,
  timelineEntry,
  waitForSpeech,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';
import { SOUND_STOPS } from '../../agent/transfer/briefing/barge-in.ts';

const stack = inject('stack');
let cast: TransferCast;
let call: TransferCall | undefined;
/** What the destination's next utterance transcribes as ('' for a noise); the caller's words until the hold. */
let destinationSays = '';
/** Summaries asked for before this test's call: one more means its caller is on hold. */
let summariesBefore = 0;
const summaryRequested = systemPromptIncludes('Summarise this phone conversation');
const summaries = () => cast.model.chats.filter(summaryRequested).length;

const QUESTION = 'Who is calling?';
const ANSWER = 'A customer with a billing dispute about a double charge.';
const VOICEMAIL = 'Hi, you have reached Dana. Please leave a message after the tone.';

beforeAll(async () => {
  // Until the transfer starts (its summary is asked for) what is heard is the caller's request; after that the
  // caller is on hold, and what is transcribed is the destination.
  const heard = () => (summaries() > summariesBefore ? destinationSays : CALLER_REQUEST);
  const model = scriptedModel(Array.from({ length: 400 }, () => heard));
  model.onChat(allOf(toolsInclude('accept_transfer'), lastUserMessageIncludes(QUESTION)), { text: ANSWER });
  model.onChat(allOf(toolsInclude('voicemail_detected'), lastUserMessageIncludes('leave a message')), {
    toolCalls: [{ name: 'voicemail_detected', arguments: {} }],
  });
  cast = await startTransferWorker(stack, 'barge-in', {}, model);
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

/** A transfer whose destination, once it answers, waits `leadSeconds` and then says (or makes) `audio` once. */
async function transferWith(name: string, says: string, audio: AudioSpec) {
  destinationSays = says;
  summariesBefore = summaries();
  const started = Date.now();
  call = await placeTransferCall(stack, name, { audio });
  await call.caller.waitAnswered(20_000);
  await call.callee.waitAnswered(45_000);
  const briefing = at(await timelineEntry(cast.worker, 'briefing_started', 30_000, started));
  return { ...call, started, briefing };
}

describe('the person talks over the briefing', () => {
  it('"yes, send them through" stops the briefing and bridges at once, without the model', async () => {
    const { callee, caller, started } = await transferWith('barge-accept', 'Yes, send them through.', await saysThenTone('Yes, send them through.', 2, 0.2));
    const stopped = await timelineEntry(cast.worker, 'barged_in', 20_000, started);
    expect(stopped.phase).toBe('briefing');
    expect(await timelineEntry(cast.worker, 'decision', 20_000, started)).toMatchObject({ choice: 'accept', source: 'voice' });
    const bridged = await timelineEntry(cast.worker, 'bridged', 15_000, started);
    // Decided before the question was ever asked, and by no model turn: no accept_transfer call was made.
    expect(timelineEntries(cast.worker, 'prompted', started)).toHaveLength(0);
    expect(cast.model.chats.some((c) => c.messages.some((m) => JSON.stringify(m).includes('accept_transfer') && m.role === 'assistant'))).toBe(false);
    // The destination's phone (its tone, after the words) reaches the caller.
    await eventually(
      () => caller.received.toneRatio(DESTINATION_TONE_HZ, Date.now() - 600, Date.now() - 100) > 0.5,
      15_000,
      'the destination heard by the caller',
    );
    expect(Date.now()).toBeGreaterThan(at(bridged));
    expect(callee.events.some((e) => e.type === 'bye-received')).toBe(false);
  });

  it('"no, I can\'t take this now" stops the briefing and brings the caller back', async () => {
    const { callee, caller, started } = await transferWith('barge-reject', "No, I can't take this now.", {
      speech: "No, I can't take this now.",
      leadSeconds: 2,
      gapSeconds: 120,
    });
    await timelineEntry(cast.worker, 'barged_in', 20_000, started);
    expect(await timelineEntry(cast.worker, 'decision', 20_000, started)).toMatchObject({ choice: 'reject', source: 'voice' });
    const ended = await timelineEntry(cast.worker, 'ended', 15_000, started);
    expect(ended.outcome).toBe('rejected');
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    const spoke = await waitForSpeech(caller, at(ended), 20_000);
    expect(caller.received.toneRatio(HOLD_TONE_HZ, spoke, spoke + 500)).toBeLessThan(0.3);
  });

  it('a question over the briefing is answered, the question of 1 or 9 is asked, and 1 bridges', async () => {
    const { callee, started } = await transferWith('barge-question', QUESTION, { speech: QUESTION, leadSeconds: 2, gapSeconds: 120 });
    expect(await timelineEntry(cast.worker, 'briefing_interrupted', 20_000, started)).toMatchObject({ heard: 'words' });
    // The model answered the question from the call details.
    await eventually(
      () => cast.model.chats.some((c) => c.messages.some((m) => JSON.stringify(m.content ?? '').includes(QUESTION))),
      15_000,
      'the question put to the model',
    );
    const asked = await timelineEntry(cast.worker, 'prompted', 30_000, started);
    expect(timelineEntries(cast.worker, 'question_started', started).length).toBeGreaterThan(0);
    await callee.press('1');
    expect(await timelineEntry(cast.worker, 'decision', 10_000, at(asked))).toMatchObject({ choice: 'accept', source: 'keypad' });
    await timelineEntry(cast.worker, 'bridged', 15_000, started);
  });

  it('a sound that says nothing stops the briefing only for a moment: it resumes and the question is still asked', async () => {
    // A throat cleared: the VAD takes it for speech, the transcriber makes nothing of it.
    const { callee, started } = await transferWith('barge-noise', '', { speech: 'Ahem.', leadSeconds: 2, gapSeconds: 120 });
    expect(await timelineEntry(cast.worker, 'briefing_interrupted', 20_000, started)).toMatchObject({ heard: 'nothing' });
    const asked = await timelineEntry(cast.worker, 'prompted', 40_000, started);
    expect(timelineEntries(cast.worker, 'decision', started)).toHaveLength(0);
    await callee.press('9');
    expect(await timelineEntry(cast.worker, 'decision', 10_000, at(asked))).toMatchObject({ choice: 'reject', source: 'keypad' });
  });

  it('a line that knocks on stops the briefing twice at most: the rest is said, and the question asked', async () => {
    // A 30 ms burst of noise every few seconds: a sound each time (sound-onset.ts), never speech.
    const { callee, started } = await transferWith('barge-knocks', '', { noise: 0.03, amplitude: 0.3, leadSeconds: 2, gapSeconds: 1.5 });
    const asked = await timelineEntry(cast.worker, 'prompted', 60_000, started);
    const stops = timelineEntries(cast.worker, 'briefing_interrupted', started);
    expect(stops.length).toBeGreaterThanOrEqual(1);
    expect(stops.length).toBeLessThanOrEqual(SOUND_STOPS);
    expect(stops.map((stop) => stop['heard'])).toEqual(stops.map(() => 'nothing'));
    await callee.press('9');
    expect(await timelineEntry(cast.worker, 'decision', 10_000, at(asked))).toMatchObject({ choice: 'reject', source: 'keypad' });
  });

  it('a voicemail greeting that starts during the briefing is taken for voicemail', async () => {
    const { started } = await transferWith('barge-voicemail', VOICEMAIL, { speech: VOICEMAIL, leadSeconds: 2, gapSeconds: 120 });
    await timelineEntry(cast.worker, 'barged_in', 20_000, started);
    const ended = await timelineEntry(cast.worker, 'ended', 40_000, started);
    expect(ended.outcome).toBe('voicemail');
  });
});
