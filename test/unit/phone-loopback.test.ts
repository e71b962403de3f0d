// Proves the SIPp test phone without LiveKit: our caller (UAC) dials our callee (UAS) on loopback.
import { afterEach, describe, expect, it } from 'vitest';
import { startCallee, startCaller, type CalleeOptions, type Phone } from '../../phones/index.ts';

const phones: Phone[] = [];
afterEach(async () => {
  await Promise.all(phones.splice(0).map((p) => p.close()));
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Caller sends 440 Hz, callee 1000 Hz, so each side can tell the other's audio from its own. */
async function call(callee: CalleeOptions = {}): Promise<{ caller: Phone; callee: Phone }> {
  const b = await startCallee({ audio: { tone: 1000 }, name: 'callee', maxLifetimeMs: 30_000, ...callee });
  phones.push(b);
  const a = await startCaller({ to: '+15550100', from: '+15551234567', port: b.sipPort, audio: { tone: 440 }, name: 'caller', maxLifetimeMs: 30_000 });
  phones.push(a);
  return { caller: a, callee: b };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('SIPp phone on loopback', () => {
  it('answers; each side hears the other; keys arrive; callee hangs up', async () => {
    const { caller, callee } = await call({ ringMs: 300 });
    await caller.waitAnswered(5000);
    const invite = await callee.waitForEvent('invite-received', 1000);
    const answered = await callee.waitForEvent('answered', 1000);
    expect(answered.at - invite.at).toBeGreaterThanOrEqual(290); // the ring delay
    expect(callee.callId).toBe(caller.callId);
    // The number the callee would show as caller ID is the caller's From user.
    expect(callee.callerId()).toBe('+15551234567');
    // Each side's SDP advertised its Node socket, and SIPp sends its stream from its -mp port. The media line is
    // read from SIPp's action log, polled apart from its message log: it may come a poll after the answer.
    await caller.waitForEvent('media', 2000);
    await callee.waitForEvent('media', 2000);
    expect(caller.remoteMedia).toEqual({ address: '127.0.0.1', port: callee.rtpPort, dtmfPayloadType: 101 });
    expect(callee.remoteMedia).toEqual({ address: '127.0.0.1', port: caller.rtpPort, dtmfPayloadType: 101 });

    await caller.waitForAudio({ minRms: 1000, withinMs: 3000 });
    await callee.waitForAudio({ minRms: 1000, withinMs: 3000 });
    expect(callee.received.lastSource).toEqual({ address: '127.0.0.1', port: caller.mediaPort });
    await sleep(1000);
    let now = Date.now();
    expect(caller.received.toneRatio(1000, now - 1000, now)).toBeGreaterThan(0.9);
    expect(caller.received.toneRatio(440, now - 1000, now)).toBeLessThan(0.05);
    expect(callee.received.toneRatio(440, now - 1000, now)).toBeGreaterThan(0.9);
    expect(callee.received.rms(now - 1000, now)).toBeGreaterThan(5000);

    const pressedAt = Date.now();
    await caller.press('1');
    await callee.received.waitForDtmf('1', 2000);
    await caller.press('1*#'); // a repeated digit must count again
    await callee.received.waitForDtmf('11*#', 3000);
    expect(callee.received.dtmf[0]?.at).toBeGreaterThanOrEqual(pressedAt);

    // SIPp's rtp_stream keeps going while keys are pressed: no gap in the tone.
    now = Date.now();
    const window = callee.received.chunks.filter((c) => c.at >= pressedAt && c.at < now);
    expect(window.length).toBeGreaterThan(((now - pressedAt) / 20) * 0.8);
    expect(callee.received.toneRatio(440, pressedAt, now)).toBeGreaterThan(0.9);

    await callee.hangup();
    expect(await callee.waitEnded(3000)).toMatchObject({ hungUpBy: 'local', reason: 'bye', status: 200, exitCode: 0 });
    expect(await caller.waitEnded(3000)).toMatchObject({ hungUpBy: 'remote', reason: 'bye', status: 200, exitCode: 0 });
  });

  it('caller hangs up; callee presses keys too', async () => {
    const { caller, callee } = await call();
    await callee.waitAnswered(5000);
    await caller.waitAnswered(5000);
    await callee.press('9');
    await caller.received.waitForDtmf('9', 2000);
    await caller.hangup();
    expect(await caller.waitEnded(3000)).toMatchObject({ hungUpBy: 'local', reason: 'bye', status: 200 });
    expect(await callee.waitEnded(3000)).toMatchObject({ hungUpBy: 'remote', reason: 'bye', status: 200 });
    expect(callee.events.map((e) => e.type)).toContain('bye-received');
  });

  it.each([
    ['busy', 486],
    ['decline', 603],
    ['unavailable', 480],
  ] as const)('%s: rejects with %i', async (behaviour, status) => {
    const { caller, callee } = await call({ behaviour, ringMs: 200 });
    await expect(caller.answered).rejects.toThrow(/unanswered/);
    expect(await caller.waitEnded(3000)).toMatchObject({ hungUpBy: 'remote', reason: 'rejected', status });
    expect(await callee.waitEnded(3000)).toMatchObject({ hungUpBy: 'local', reason: 'rejected', status, exitCode: 0 });
    expect(caller.events.find((e) => e.type === 'ringing')?.status).toBe(180);
  });

  it('no answer: keeps ringing until the caller cancels (200 + 487)', async () => {
    const { caller, callee } = await call({ behaviour: 'no-answer' });
    await caller.waitForEvent('ringing', 3000);
    await sleep(1500);
    expect(callee.events.some((e) => e.type === 'answered')).toBe(false);
    await caller.hangup(); // CANCEL while ringing
    expect(await callee.waitEnded(3000)).toMatchObject({ hungUpBy: 'remote', reason: 'cancelled', status: 487 });
    expect(await caller.waitEnded(3000)).toMatchObject({ hungUpBy: 'local', reason: 'cancelled', status: 487 });
    expect(callee.events.map((e) => e.type)).toContain('cancel-received');
  });

  it('no answer: the test answers when it chooses', async () => {
    const { caller, callee } = await call({ behaviour: 'no-answer' });
    await callee.waitForEvent('invite-received', 3000);
    await sleep(500);
    await callee.answer();
    const at = await caller.answered;
    expect(at - (callee.events[0]?.at ?? 0)).toBeGreaterThanOrEqual(490);
    await callee.hangup();
    expect((await caller.waitEnded(3000)).hungUpBy).toBe('remote');
  });

  it('SIPp never outlives maxLifetimeMs (-timeout)', async () => {
    const callee = await startCallee({ behaviour: 'no-answer', maxLifetimeMs: 1000 });
    phones.push(callee);
    const end = await callee.waitEnded(5000);
    expect(end).toMatchObject({ hungUpBy: null, reason: 'error', status: null });
    expect(end.exitCode).not.toBe(0);
  });

  it('close() kills SIPp, ends the call and is idempotent', async () => {
    const { caller, callee } = await call();
    await caller.waitAnswered(5000);
    const pids = phones.map((p) => p.pid ?? -1);
    expect(pids.every(alive)).toBe(true);
    await Promise.all([caller.close(), caller.close()]);
    expect((await caller.ended).reason).toBe('closed');
    await callee.close();
    await sleep(50);
    expect(pids.some(alive)).toBe(false);
    await expect(caller.hangup()).resolves.toBeUndefined(); // nothing left to hang up
  });
});
