// The spoken decision with no model at all (embedded defaults: espeak-ng voice, no OpenAI): the offline
// recogniser (PocketSphinx) is the briefing's ear. A screened keypad transfer starts it; the person says yes or
// no over the briefing, or says something it cannot make out after the question and is asked for the keys.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AudioSpec } from '../../phones/index.ts';
import { startWorker, type RunningWorker } from '../../stack/worker-process.ts';
import {
  at,
  DESTINATION_NUMBER,
  DESTINATION_TONE_HZ,
  HOLD_TONE_HZ,
  holdToneWav,
  placeTransferCall,
  saysThenTone,
  settingsFile,
  timelineEntries,
  timelineEntry,
  waitForSpeech,
  type TransferCall,
} from '../support/transfer-call.ts';

const stack = inject('stack');
let worker: RunningWorker | undefined;
let call: TransferCall | undefined;

beforeAll(async () => {
  const file = settingsFile(stack, {
    warmTransfer: { enabled: false, holdMusic: holdToneWav(), ringingTimeoutSeconds: 15, decisionTimeoutSeconds: 20 },
    keypad: { '1': { destination: DESTINATION_NUMBER, label: 'sales', warm: true } },
  });
  worker = await startWorker(stack, 'offline-spoken', {
    TTS_PROVIDER: 'espeak',
    AGENT_SETTINGS: file.path,
    AGENT_GREETING: 'Hello. Press 1 for sales.',
    OFFLINE_DECISION: 'on',
  });
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await worker?.stop();
});

/** The caller dials in, hears the greeting and presses 1 (a screened transfer to sales); returns when. */
async function transferWith(name: string, audio: AudioSpec): Promise<number> {
  call = await placeTransferCall(stack, name, { audio });
  const answered = await call.caller.waitAnswered(20_000);
  await call.caller.waitForAudio({ minRms: 300, withinMs: 20_000, after: answered.at });
  const pressed = Date.now();
  await call.caller.press('1');
  await call.callee.waitAnswered(45_000);
  return pressed;
}

describe('a spoken decision with no model (offline recogniser)', () => {
  it('"yes, send them through" over the briefing bridges the call', async () => {
    const pressed = await transferWith('offline-yes', await saysThenTone('Yes, send them through.', 3, 0.5));
    await timelineEntry(worker!, 'barged_in', 30_000, pressed);
    expect(await timelineEntry(worker!, 'decision', 30_000, pressed)).toMatchObject({ choice: 'accept', source: 'voice' });
    const bridged = at(await timelineEntry(worker!, 'bridged', 15_000, pressed));
    expect(timelineEntries(worker!, 'prompted', pressed)).toHaveLength(0);
    const { caller } = call!;
    await expect.poll(() => caller.received.toneRatio(DESTINATION_TONE_HZ, Date.now() - 600, Date.now() - 100), { timeout: 15_000 }).toBeGreaterThan(0.5);
    expect(Date.now()).toBeGreaterThan(bridged);
  });

  it('"no, I can\'t take this now" over the briefing brings the caller back', async () => {
    const pressed = await transferWith('offline-no', await saysThenTone("No, I can't take this now.", 3, 0.5));
    expect(await timelineEntry(worker!, 'decision', 30_000, pressed)).toMatchObject({ choice: 'reject', source: 'voice' });
    const ended = await timelineEntry(worker!, 'ended', 15_000, pressed);
    expect(ended.outcome).toBe('rejected');
    const spoke = await waitForSpeech(call!.caller, at(ended), 20_000);
    expect(call!.caller.received.toneRatio(HOLD_TONE_HZ, spoke, spoke + 500)).toBeLessThan(0.3);
  });

  it('words it cannot make out after the question get "please press 1 or 9", and 9 then rejects', async () => {
    // Said after the whole briefing (about 16 s on the embedded voice; 24 s leaves a margin), while the decision waits.
    const pressed = await transferWith(
      'offline-unclear',
      await saysThenTone('Can you tell me more about the caller and their billing problem please?', 24, 0.5),
    );
    const prompted = at(await timelineEntry(worker!, 'prompted', 40_000, pressed));
    expect(await timelineEntry(worker!, 'reprompted', 30_000, prompted)).toMatchObject({ reason: 'unclear' });
    expect(timelineEntries(worker!, 'decision', pressed)).toHaveLength(0);
    await call!.callee.press('9');
    expect(await timelineEntry(worker!, 'decision', 10_000, prompted)).toMatchObject({ choice: 'reject', source: 'keypad' });
  });
});
