// A Redis restart is not a crash: the workers' Redis (a redis-server of the test's own, append-only, so its data
// survives) is stopped and started again on the same port, three times, down for 3, 5 and 8 s (past the 1.5 s
// lease), while a transfer is being briefed and once it is bridged. Two workers run, so the other worker's watcher is
// there to take the transfer for dead when Redis comes back. At the phones: nobody takes the transfer over
// (no `takeover` in either worker's log, the record's fence never moves), the person pressing 1 after the
// restart still bridges the call, and a bridged call goes on with both sides hearing each other.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Phone } from '../../phones/index.ts';
import { startOwnRedis, type OwnRedis } from '../support/own-redis.ts';
import { eventually } from '../support/rooms.ts';
import { ownerOf, startTakeoverWorker, takeoverRecords, type TakeoverCast, type TakeoverRecords } from '../support/takeover.ts';
import { at, DESTINATION_TONE_HZ, placeTransferCall, timelineEntries, timelineEntry, type TransferCall } from '../support/transfer-call.ts';

const stack = inject('stack');
/**
 * How long Redis stays away, one restart after another: past the lease (1.5 s), under the 10 s the issue names.
 * Several restarts, because which watcher sees an expired lease first when Redis is back (the owner's own,
 * which vouches for its running job, or the other worker's, which takes the transfer) is a race: on the code
 * before, each restart took the transfer over in about a third of the tries.
 */
const DOWNS_MS = [3000, 5000, 8000];
/** How long after Redis is back the test waits for a takeover that must not come. */
const SETTLE_MS = 6000;

let ownRedis: OwnRedis;
let records: TakeoverRecords;
let call: TransferCall | undefined;
let casts: TakeoverCast[] = [];

beforeAll(async () => {
  ownRedis = await startOwnRedis();
  records = takeoverRecords(stack, ownRedis.url);
  // The person has time to decide after three restarts.
  const env = { REDIS_URL: ownRedis.url, DECISION_TIMEOUT_S: '90' };
  casts = await Promise.all([startTakeoverWorker(stack, 'blip-first', 8097, env), startTakeoverWorker(stack, 'blip-second', 8098, env)]);
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await Promise.all(casts.map((cast) => cast.close()));
  records?.close();
  await ownRedis?.stop();
});

/** Stops the workers' Redis (it saves on SIGTERM), keeps it away for `downMs`, starts it again; returns when back. */
async function restartRedis(downMs: number): Promise<{ stoppedAt: number; backAt: number }> {
  const stoppedAt = Date.now();
  await ownRedis.stop();
  await new Promise((r) => setTimeout(r, downMs - (Date.now() - stoppedAt)));
  await ownRedis.start();
  return { stoppedAt, backAt: Date.now() };
}

/** How many takeovers each worker has logged so far. */
const takeovers = (): number[] => casts.map((cast) => cast.worker.log().split('"event":"takeover"').length - 1);

/** Nobody took a transfer over since `since` (and `before`, the counts then), in either worker. */
function noTakeover(since: number, before: number[]): void {
  expect(takeovers()).toEqual(before);
  for (const cast of casts) expect(timelineEntries(cast.worker, 'resumed', since)).toEqual([]);
}

/** The share of 500 ms windows in [from, to) in which `phone` hears the tone at `hz`. */
function toneShare(phone: Phone, hz: number, from: number, to: number): number {
  let windows = 0;
  let heard = 0;
  for (let t = from; t + 500 <= to; t += 250, windows++) if (phone.received.toneRatio(hz, t, t + 500) > 0.5) heard++;
  return windows === 0 ? 0 : heard / windows;
}

describe("the workers' Redis restarts while a transfer is in flight", { timeout: 180_000 }, () => {
  it('during the briefing: no takeover, and the person pressing 1 afterwards bridges caller and person', async () => {
    call = await placeTransferCall(stack, 'blip-briefing');
    const { caller, callee } = call;
    const started = Date.now();
    const before = takeovers();
    await callee.waitAnswered(60_000);
    await eventually(() => casts.some((c) => timelineEntries(c.worker, 'briefing_started', started).length > 0), 20_000, 'the briefing');
    const open = await records.open((r) => r.phase.kind === 'briefing');
    let backAt = 0;
    for (const downMs of DOWNS_MS) {
      ({ backAt } = await restartRedis(downMs));
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      noTakeover(started, before);
      const after = await records.store.read(open.id);
      expect(after).toMatchObject({ fence: open.fence, owner: open.owner, resumes: 0, phase: { kind: 'briefing' } });
      // The owner renews again: its lease runs from after the restart.
      expect(after!.leaseUntil).toBeGreaterThan(backAt);
    }
    // Still waiting for the decision (the workers give it 90 s here): the person accepts.
    const owner = ownerOf(open, casts);
    await timelineEntry(owner.worker, 'prompted', 20_000, started);
    await callee.press('1');
    const bridged = at(await timelineEntry(owner.worker, 'bridged', 15_000, backAt));
    // They hear each other: the destination's tone at the caller, the caller's voice at the destination.
    await eventually(
      () => toneShare(caller, DESTINATION_TONE_HZ, bridged, Date.now()) > 0.5 && Date.now() - bridged > 3000,
      15_000,
      'the destination at the caller',
    );
    await callee.waitForAudio({ minRms: 300, withinMs: 12_000, after: bridged + 500 });
    noTakeover(started, before);
    await caller.hangup();
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    expect(await timelineEntry(owner.worker, 'ended', 15_000, bridged)).toMatchObject({ outcome: 'accepted' });
    await records.nothingLeftBehind(call.from);
  });

  it('once bridged: no takeover, the call is not dropped, and both still hear each other', async () => {
    call = await placeTransferCall(stack, 'blip-bridged');
    const { caller, callee } = call;
    const started = Date.now();
    const before = takeovers();
    await callee.waitAnswered(60_000);
    await eventually(() => casts.some((c) => timelineEntries(c.worker, 'prompted', started).length > 0), 30_000, 'the question');
    await callee.press('1');
    // Once its keeper has it (the job that bridged it ends then).
    const open = await records.open((r) => r.phase.kind === 'bridged' && r.owner.startsWith('keeper:'));
    const owner = ownerOf(open, casts);
    const bridged = at(await timelineEntry(owner.worker, 'bridged', 15_000, started));
    await eventually(
      () => toneShare(caller, DESTINATION_TONE_HZ, bridged, Date.now()) > 0.5 && Date.now() - bridged > 2000,
      15_000,
      'the destination at the caller',
    );

    for (const downMs of DOWNS_MS) {
      const { stoppedAt, backAt } = await restartRedis(downMs);
      await new Promise((r) => setTimeout(r, SETTLE_MS));

      noTakeover(started, before);
      expect(await records.store.read(open.id)).toMatchObject({ fence: open.fence, owner: open.owner, resumes: 0, phase: { kind: 'bridged' } });
      // The relay never stopped: the caller heard the destination through the outage and after it.
      expect(toneShare(caller, DESTINATION_TONE_HZ, stoppedAt, Date.now())).toBeGreaterThan(0.8);
      await callee.waitForAudio({ minRms: 300, withinMs: 12_000, after: backAt + SETTLE_MS });
      // Nobody hung up.
      for (const phone of [caller, callee]) expect(phone.events.filter((e) => e.type === 'bye-received' || e.type === 'exit')).toEqual([]);
    }

    await caller.hangup();
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    await records.nothingLeftBehind(call.from);
  });
});
