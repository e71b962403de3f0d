// Screened keypad transfers with no model at all (espeak-ng voice, no OpenAI): the caller presses a key,
// hears that the agent is checking, holds with music while the destination is briefed from what is known
// (the caller's number, the key, the time on the line), and the destination decides with 1 or 9.
// Assertions are at the phones: what each heard, and the caller ID the destination's phone received.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { rms, startCallee, type Phone } from '../../phones/index.ts';
import { spokenNumber } from '../../prompts/keypad.ts';
import { startWorker, type RunningWorker } from '../../stack/worker-process.ts';
import {
  at,
  DESTINATION_NUMBER,
  DESTINATION_TONE_HZ,
  HOLD_TONE_HZ,
  holdToneWav,
  PBX_PORT,
  placeTransferCall,
  settingsFile,
  timelineEntry,
  waitForSpeech,
  type TransferCall,
} from '../support/transfer-call.ts';

const stack = inject('stack');
const AGENT_PHONE_NUMBER = '+15125550100';
let worker: RunningWorker | undefined;
let call: TransferCall | undefined;
let support: Phone | undefined;

/** A worker with no model: only the keypad rules can transfer. */
async function startModelFreeWorker(name: string, settings: Record<string, unknown> = {}): Promise<RunningWorker> {
  const file = settingsFile(stack, {
    warmTransfer: { enabled: false, holdMusic: holdToneWav(), ringingTimeoutSeconds: 15, decisionTimeoutSeconds: 20 },
    keypad: {
      '1': { destination: DESTINATION_NUMBER, label: 'sales', warm: true },
      // The PBX extension first (busy in the fallback test), then the PSTN destination.
      '2': { destination: 'ext:2001', label: 'support', warm: true, fallbacks: [DESTINATION_NUMBER] },
    },
    ...settings,
  });
  return startWorker(stack, name, { TTS_PROVIDER: 'espeak', AGENT_SETTINGS: file.path, AGENT_GREETING: 'Hello. Press 1 for sales.' });
}

/** The caller dials in, hears the greeting begin and presses `key`; returns when it was pressed. */
async function pressAfterGreeting(c: TransferCall, key: string): Promise<number> {
  const answered = await c.caller.waitAnswered(20_000);
  await c.caller.waitForAudio({ minRms: 300, withinMs: 20_000, after: answered.at });
  const pressed = Date.now();
  await c.caller.press(key);
  return pressed;
}

/** The screened hold: speech ("please hold while I check ...") after the key, then the hold music. */
async function expectAnnouncedHold(c: TransferCall, pressed: number): Promise<number> {
  const hold = at(await timelineEntry(worker!, 'hold_started', 20_000, pressed));
  expect(c.caller.received.rms(pressed + 500, hold)).toBeGreaterThan(300);
  await new Promise((r) => setTimeout(r, Math.max(0, hold + 3000 - Date.now())));
  expect(c.caller.received.toneRatio(HOLD_TONE_HZ, hold + 500, hold + 3000)).toBeGreaterThan(0.5);
  return hold;
}

/** The destination answered and heard its briefing; returns the briefing's text and when it was asked. */
async function expectBriefed(destination: Phone, after: number): Promise<{ text: string; prompted: number }> {
  const answered = (await destination.waitAnswered(45_000)).at;
  const prompted = await timelineEntry(worker!, 'prompted', 45_000, after);
  const heard = destination.received.chunks.filter((c) => c.at > answered && c.at < at(prompted) && rms(c.samples) > 300);
  // The introduction, the facts and the question: several seconds of speech.
  expect(heard.length * 20).toBeGreaterThan(4000);
  return { text: String(prompted['lk.pii.briefing']), prompted: at(prompted) };
}

afterEach(async () => {
  await call?.close();
  await support?.close();
  call = support = undefined;
});

describe('a screened keypad transfer without a model', () => {
  beforeAll(async () => {
    worker = await startModelFreeWorker('keypad-screened');
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('accept: the caller holds with music, the destination hears who is calling from which number, 1 connects them', async () => {
    call = await placeTransferCall(stack, 'screened-accept');
    const { caller, callee, from } = call;
    const pressed = await pressAfterGreeting(call, '1');
    await expectAnnouncedHold(call, pressed);

    const { text, prompted } = await expectBriefed(callee, pressed);
    expect(callee.callerId()).toBe(from);
    expect(text).toContain(`A caller from ${spokenNumber(from)} pressed 1 for sales`);
    expect(text).toContain('Press 1 on your keypad to accept');
    // The caller heard none of it: hold music all along.
    expect(caller.received.toneRatio(HOLD_TONE_HZ, prompted - 3000, prompted)).toBeGreaterThan(0.5);

    const accepted = Date.now();
    await callee.press('1');
    const bridged = at(await timelineEntry(worker!, 'bridged', 15_000, accepted));
    const heard = await caller.waitForAudio({ minRms: 300, withinMs: 10_000, after: bridged });
    await new Promise((r) => setTimeout(r, 1500));
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, heard, heard + 1000)).toBeGreaterThan(0.5);
    // And the destination hears the caller (who speaks every few seconds).
    await callee.waitForAudio({ minRms: 300, withinMs: 15_000, after: bridged });
  });

  it('reject: 9 sends the caller back to the agent, who says so; the destination line closes', async () => {
    call = await placeTransferCall(stack, 'screened-reject');
    const { caller, callee } = call;
    const pressed = await pressAfterGreeting(call, '1');
    await expectBriefed(callee, pressed);
    const rejected = Date.now();
    await callee.press('9');
    expect(await timelineEntry(worker!, 'ended', 15_000, pressed)).toMatchObject({ outcome: 'rejected' });
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    const spoke = await waitForSpeech(caller, rejected, 20_000);
    expect(caller.received.toneRatio(HOLD_TONE_HZ, spoke, spoke + 500)).toBeLessThan(0.3);
  });

  it('busy, then the fallback: the extension is busy, the caller hears who is tried next, the fallback accepts', async () => {
    support = await startCallee({ port: PBX_PORT, behaviour: 'busy', ringMs: 200, name: 'support-busy' });
    call = await placeTransferCall(stack, 'screened-fallback');
    const { caller, callee } = call;
    const pressed = await pressAfterGreeting(call, '2');
    const hold = await expectAnnouncedHold(call, pressed);
    expect((await support.waitEnded(20_000)).status).toBe(486);
    expect(await timelineEntry(worker!, 'ended', 20_000, pressed)).toMatchObject({ outcome: 'busy' });
    // A note between the music ("extension 2001 isn't available, so I'm trying ..."), then the fallback rings.
    await waitForSpeech(caller, hold + 1000, 20_000);
    const { text } = await expectBriefed(callee, pressed);
    expect(text).toContain('pressed 2 for support');
    await callee.press('1');
    const bridged = at(await timelineEntry(worker!, 'bridged', 15_000, pressed));
    const heard = await caller.waitForAudio({ minRms: 300, withinMs: 10_000, after: bridged });
    await new Promise((r) => setTimeout(r, 1500));
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, heard, heard + 1000)).toBeGreaterThan(0.5);
  });

  it('the caller hangs up during the briefing: the destination hears why, then its line closes', async () => {
    call = await placeTransferCall(stack, 'screened-caller-leaves');
    const { caller, callee } = call;
    const pressed = await pressAfterGreeting(call, '1');
    await callee.waitAnswered(45_000);
    await timelineEntry(worker!, 'briefing_started', 20_000, pressed);
    await new Promise((r) => setTimeout(r, 1500));
    const hungUp = Date.now();
    await caller.hangup();
    const end = await callee.waitEnded(25_000);
    expect(end.hungUpBy).toBe('remote');
    const notice = callee.received.chunks.filter((c) => c.at > hungUp + 500 && c.at < end.at && rms(c.samples) > 300);
    expect(notice.length * 20).toBeGreaterThan(1500);
    expect(await timelineEntry(worker!, 'ended', 10_000, pressed)).toMatchObject({ outcome: 'caller_hung_up' });
  });
});

describe('a screened keypad transfer with the caller number not passed through', () => {
  beforeAll(async () => {
    worker = await startModelFreeWorker('keypad-screened-withheld', {
      agentPhoneNumber: AGENT_PHONE_NUMBER,
      warmTransfer: { enabled: false, holdMusic: holdToneWav(), passThroughCallerNumber: false, ringingTimeoutSeconds: 15, decisionTimeoutSeconds: 20 },
    });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it("the destination's phone shows the agent's number, and the briefing names that number, not the caller's", async () => {
    call = await placeTransferCall(stack, 'screened-withheld');
    const { callee, from } = call;
    const pressed = await pressAfterGreeting(call, '1');
    const { text } = await expectBriefed(callee, pressed);
    expect(callee.callerId()).toBe(AGENT_PHONE_NUMBER);
    expect(text).toContain(`shown to you as ${spokenNumber(AGENT_PHONE_NUMBER)}`);
    expect(text).not.toContain(spokenNumber(from));
    await callee.press('9');
    expect(await timelineEntry(worker!, 'ended', 15_000, pressed)).toMatchObject({ outcome: 'rejected' });
  });
});
