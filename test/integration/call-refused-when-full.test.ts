// A call that no worker can take is refused promptly: the caller hears busy (486 Busy Here) once the inbound
// trunk's ringing timeout (sip-trunk/inbound.json, 8 s) has passed, instead of ringing for livekit-sip's default
// of three minutes. Here the only worker is full: it carries as many transfers as WORKER_MAX_TRANSFERS allows,
// reports so through its load, and the server sends it no more calls. The call it carries goes on untouched.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCaller, type Phone } from '../../phones/index.ts';
import { AGENT_NUMBER, callerNumber } from '../support/calls.ts';
import { eventually } from '../support/rooms.ts';
import { placeTransferCall, startTransferWorker, timelineEntry, type TransferCall, type TransferCast } from '../support/transfer-call.ts';

const stack = inject('stack');
/** sip-trunk/inbound.json's ringingTimeout. */
const RINGING_TIMEOUT_MS = 8000;

let cast: TransferCast;
let call: TransferCall | undefined;
let second: Phone | undefined;

beforeAll(async () => {
  // Full at one transfer: carried/max = 1 reports 0.95 (the cap), at or over the threshold. The threshold is
  // just under the cap so that the machine's CPU alone (the tests keep two cores busy) does not fill it.
  cast = await startTransferWorker(stack, 'refused-when-full', { WORKER_MAX_TRANSFERS: '1', WORKER_LOAD_THRESHOLD: '0.94' });
});
afterEach(async () => {
  await second?.close();
  second = undefined;
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

describe('a call no worker can take', { timeout: 150_000 }, () => {
  it("is refused with busy within the ringing timeout, while the worker's own transfer carries on", async () => {
    // The first call fills the worker: its transfer waits for a destination that rings for a long while.
    call = await placeTransferCall(stack, 'full-first', { ringMs: 60_000 });
    await timelineEntry(cast.worker, 'ringing', 60_000);
    await eventually(() => /"event":"carrying","transfers":1/.test(cast.worker.log()), 15_000, 'the worker to count its transfer');
    // The worker tells the server it is full (the framework logs it), at its next load report.
    await eventually(() => cast.worker.log().includes('worker is at full capacity'), 10_000, 'the worker to report itself full');

    const dialled = Date.now();
    second = await startCaller({ to: AGENT_NUMBER, from: callerNumber(), name: 'full-second' });
    const end = await second.waitEnded(RINGING_TIMEOUT_MS + 10_000);
    expect(end).toMatchObject({ hungUpBy: 'remote', reason: 'rejected', status: 486 });
    console.log(JSON.stringify({ refusedBusyAfterMs: end.at - dialled }));
    expect(end.at - dialled).toBeLessThan(RINGING_TIMEOUT_MS + 3000);
    expect(end.at - dialled).toBeGreaterThan(RINGING_TIMEOUT_MS - 1000);
    // It rang meanwhile (no silence), and was never answered.
    expect(second.events.some((e) => e.type === 'ringing')).toBe(true);
    expect(second.events.some((e) => e.type === 'answered')).toBe(false);

    // The transfer the worker carries is untouched: its caller is still on hold, the destination still rings.
    expect(call.caller.events.some((e) => ['bye-received', 'exit'].includes(e.type))).toBe(false);
    expect(cast.worker.timeline().some((e) => e.type === 'ended')).toBe(false);
  });
});
