// Keypad 1 from the destination: the caller hears only hold music while the destination is briefed,
// the caller's own keypresses decide nothing, and after the accept caller and destination hear each other.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  at,
  DESTINATION_TONE_HZ,
  HOLD_TONE_HZ,
  placeTransferCall,
  startTransferWorker,
  timelineEntry,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
let cast: TransferCast;
let call: TransferCall | undefined;

beforeAll(async () => {
  cast = await startTransferWorker(stack, 'keypad-accept');
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

describe('warm transfer accepted with keypad 1', () => {
  it("keeps the briefing private, ignores the caller's keys, then bridges caller and destination", async () => {
    call = await placeTransferCall(stack, 'keypad-accept');
    const { caller, callee } = call;
    await caller.waitAnswered(20_000);

    await timelineEntry(cast.worker, 'hold_started', 45_000);
    await callee.waitAnswered(20_000);
    const prompted = await timelineEntry(cast.worker, 'prompted', 30_000);

    // Privacy: from the answer to the question, the caller heard the music and nothing of the consultation.
    const answered = at(await timelineEntry(cast.worker, 'answered', 1000));
    expect(caller.received.toneRatio(HOLD_TONE_HZ, answered + 300, at(prompted))).toBeGreaterThan(0.6);
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, answered, at(prompted))).toBeLessThan(0.02);
    // The destination heard the briefing (speech) in the meantime; its line's own tone, there from the answer,
    // did not stop it (only a sound above the line's floor does: sound-onset.ts).
    expect(callee.received.rms(answered, at(prompted))).toBeGreaterThan(300);
    expect(cast.worker.timeline().filter((e) => e.type === 'barged_in')).toEqual([]);

    // The caller pressing 1 or 9 decides nothing.
    await caller.press('1');
    await caller.press('9');
    await new Promise((r) => setTimeout(r, 1500));
    expect(cast.worker.timeline().some((e) => e.type === 'decision')).toBe(false);

    const beforeAccept = Date.now();
    await callee.press('1');
    const decision = await timelineEntry(cast.worker, 'decision', 10_000);
    expect(decision).toMatchObject({ choice: 'accept', source: 'keypad' });
    const bridgedEntry = await timelineEntry(cast.worker, 'bridged', 10_000);
    // The open-source server cannot move the person into the caller's room: the worker relays instead.
    expect(bridgedEntry.topology).toBe('bridge');
    const bridged = at(bridgedEntry);

    // Destination audio reaches the caller after the accept and not before.
    const heard = await caller.waitForAudio({ minRms: 300, withinMs: 10_000, after: bridged });
    await new Promise((r) => setTimeout(r, 2000));
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, heard, heard + 1500)).toBeGreaterThan(0.5);
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, 0, beforeAccept)).toBeLessThan(0.02);
    // The music stopped, and the caller's voice reaches the destination.
    expect(caller.received.toneRatio(HOLD_TONE_HZ, heard + 500, heard + 1500)).toBeLessThan(0.1);
    // (The caller's phone speaks one sentence every few seconds, so wait for the next one.)
    await callee.waitForAudio({ minRms: 300, withinMs: 12_000, after: bridged + 300 });

    // The caller hangs up: the destination's leg is ended too, and the transfer ends as accepted.
    await caller.hangup();
    const end = await callee.waitEnded(15_000);
    expect(end.hungUpBy).toBe('remote');
    expect(await timelineEntry(cast.worker, 'ended', 10_000)).toMatchObject({ outcome: 'accepted' });
  });

  it('takes 1 pressed in the middle of the briefing, as the introduction says it may be', async () => {
    const placed = Date.now();
    call = await placeTransferCall(stack, 'keypad-accept-mid-briefing');
    const { caller, callee } = call;
    await caller.waitAnswered(20_000);
    await callee.waitAnswered(45_000);
    const started = await timelineEntry(cast.worker, 'briefing_started', 20_000, placed);
    expect(String(started.intro)).toMatch(/press 1 any time/i);
    // Into the introduction, well before the question.
    await new Promise((r) => setTimeout(r, 1500));
    const pressed = Date.now();
    await callee.press('1');
    const decision = await timelineEntry(cast.worker, 'decision', 10_000, pressed - 100);
    expect(decision).toMatchObject({ choice: 'accept', source: 'keypad' });
    // Decided before the question was reached.
    expect(cast.worker.timeline().some((e) => e.type === 'prompted' && at(e) >= at(started))).toBe(false);
    const bridged = at(await timelineEntry(cast.worker, 'bridged', 10_000, pressed - 100));
    const heard = await caller.waitForAudio({ minRms: 300, withinMs: 10_000, after: bridged });
    console.log(JSON.stringify({ midBriefingKey: '1', pressToBridgedMs: bridged - pressed, pressToHeardMs: heard - pressed }));
    await new Promise((r) => setTimeout(r, 1500));
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, heard, heard + 1000)).toBeGreaterThan(0.5);
    await caller.hangup();
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
  });
});
