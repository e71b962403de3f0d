// The caller's keypad: a keypad rule ("press 1 for sales") connects the caller to that destination
// without a briefing, and 0 pressed on hold stops the transfer (the person being briefed is told why).
// And a long hold: the caller hears a short progress note between the music.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { expectConnectedWithoutBriefing } from '../support/connected.ts';
import { startCallee, type Phone } from '../../phones/index.ts';
import {
  at,
  DESTINATION_TONE_HZ,
  HOLD_TONE_HZ,
  holdToneWav,
  PBX_PORT,
  placeTransferCall,
  settingsFile,
  startTransferWorker,
  timelineEntry,
  waitForSpeech,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
let cast: TransferCast;
let call: TransferCall | undefined;
let sales: Phone | undefined;

beforeAll(async () => {
  const settings = settingsFile(stack, {
    warmTransfer: {
      enabled: true,
      rules: 'If the caller has a billing dispute, warm transfer to +15125551234.',
      holdMusic: holdToneWav(),
      progressNoteIntervalSeconds: 10,
    },
    keypad: { '1': 'ext:2001' },
  });
  cast = await startTransferWorker(stack, 'caller-keys', { AGENT_SETTINGS: settings.path });
});
afterEach(async () => {
  await call?.close();
  await sales?.close();
  call = sales = undefined;
});
afterAll(async () => {
  await cast?.close();
});

describe("the caller's keypad", () => {
  it('press 1 for sales: connected to ext:2001 without a briefing', async () => {
    const started = Date.now();
    // No transfer by the model in this test: the destination behind the PSTN trunk must never ring.
    call = await placeTransferCall(stack, 'keypad-sales', { behaviour: 'no-answer' });
    sales = await startCallee({ port: PBX_PORT, ringMs: 300, audio: { tone: DESTINATION_TONE_HZ }, name: 'sales' });
    const { caller } = call;
    await caller.waitAnswered(20_000);
    await caller.press('1');
    await expectConnectedWithoutBriefing(cast.worker, caller, sales, started);

    // Connected, the caller's keys belong to that call: 1 reaches sales (say, their own menu) and starts
    // no second transfer; the caller still hears sales, not hold music.
    const again = Date.now();
    await caller.press('1');
    await sales.received.waitForDtmf('1', 5_000);
    await new Promise((r) => setTimeout(r, 2000));
    expect(cast.worker.timeline().filter((e) => e.type === 'started' && at(e) >= again)).toEqual([]);
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, again + 500, again + 2000)).toBeGreaterThan(0.5);
  });

  it('0 on hold stops the transfer: the caller is back with the agent and the person hears why', async () => {
    const started = Date.now();
    call = await placeTransferCall(stack, 'stop-waiting');
    const { caller, callee } = call;
    await callee.waitAnswered(45_000);
    await timelineEntry(cast.worker, 'prompted', 30_000, started);
    const pressed = Date.now();
    await caller.press('0');
    const ended = await timelineEntry(cast.worker, 'ended', 20_000, started);
    expect(ended.outcome).toBe('cancelled');

    // The destination heard the notice, then its line was closed.
    const end = await callee.waitEnded(20_000);
    expect(end.hungUpBy).toBe('remote');
    const notice = callee.received.chunks.filter((c) => c.at > pressed && c.at < end.at);
    expect(notice.some((c) => c.samples.some((s) => Math.abs(s) > 2000))).toBe(true);
    // The caller is off hold: speech, not music.
    const spoke = await waitForSpeech(caller, pressed, 20_000);
    expect(caller.received.toneRatio(HOLD_TONE_HZ, spoke, spoke + 500)).toBeLessThan(0.3);
  });

  it('a long hold: the caller hears a progress note between the music', async () => {
    const started = Date.now();
    call = await placeTransferCall(stack, 'progress-note', { behaviour: 'no-answer' });
    const { caller, callee } = call;
    await callee.waitForEvent('invite-received', 45_000);
    const hold = at(await timelineEntry(cast.worker, 'hold_started', 5_000, started));
    // Music first; then, about ten seconds in, speech that is not the music.
    await new Promise((r) => setTimeout(r, Math.max(0, hold + 5500 - Date.now()))); // let that window arrive
    expect(caller.received.toneRatio(HOLD_TONE_HZ, hold + 1000, hold + 5000)).toBeGreaterThan(0.6);
    const note = await waitForSpeech(caller, hold + 5000, 20_000);
    expect(note - hold).toBeGreaterThan(8_000);
    expect(callee.events.some((e) => e.type === 'answered')).toBe(false);
  });
});
