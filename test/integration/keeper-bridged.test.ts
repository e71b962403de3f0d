// A bridged call leaves its job (issue 21), at the phones: once the person accepts, the job hands the call to its
// worker's keeper, the forwarder carries the audio between the caller's room and the consultation room, and the
// job process ends. Caller and person keep hearing each other after that; either hanging up ends the other's
// line within 2 s; the forwarder killed under the call is started again and the two hear each other again.
// (A whole worker killed under a kept call is in transfer-takeover.test.ts, with the other worker kills.)
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { roomServiceApi } from '../../agent/livekit/room-api.ts';
import { processAlive } from '../../agent/takeover/watcher.ts';
import type { TransferRecord } from '../../agent/transfer/record/store.ts';
import { AGENT_KIND, roomService } from '../support/calls.ts';
import { eventually } from '../support/rooms.ts';
import {
  BACK_WITHIN_MS,
  longestWithout,
  reportGap,
  startTakeoverWorker,
  takeoverRecords,
  toneBack,
  type TakeoverCast,
  type TakeoverRecords,
} from '../support/takeover.ts';
import { at, DESTINATION_TONE_HZ, placeTransferCall, timelineEntry, type TransferCall } from '../support/transfer-call.ts';

const stack = inject('stack');
/** Either side hanging up ends the other's line within this long (the promise). */
const OTHER_ENDED_WITHIN_MS = 2000;
/** The longest the caller may hear nothing of the person while the job hands the call to the keeper (100 ms windows). */
const HANDOVER_GAP_MS = 300;

let cast: TakeoverCast;
let records: TakeoverRecords;
let call: TransferCall | undefined;

beforeAll(async () => {
  records = takeoverRecords(stack);
  cast = await startTakeoverWorker(stack, 'keeper', 8096);
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
  records?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The job's pid, from the record it owns while it briefs the person. */
async function jobPid(from: string): Promise<number> {
  const record = await records.open((r) => r.callerRoom.startsWith(`call_${from}_`) && r.owner.startsWith(`${cast.key}/`), 60_000);
  return Number(record.owner.slice(record.owner.lastIndexOf('/') + 1));
}

/** The call placed, briefed and accepted with 1; returns the job's pid, when it was bridged and the kept record. */
async function keptCall(name: string): Promise<{ call: TransferCall; pid: number; bridged: number; record: TransferRecord }> {
  const placed = await placeTransferCall(stack, name);
  call = placed;
  const started = Date.now();
  await placed.callee.waitAnswered(60_000);
  const pid = await jobPid(placed.from);
  await timelineEntry(cast.worker, 'prompted', 30_000, started);
  await placed.callee.press('1');
  const bridged = at(await timelineEntry(cast.worker, 'bridged', 15_000, started));
  expect(await timelineEntry(cast.worker, 'kept', 10_000, started)).toMatchObject({ carrier: 'forwarder', from: 'job' });
  const record = await records.open((r) => r.callerRoom.startsWith(`call_${placed.from}_`) && r.owner === `keeper:${cast.key}`, 10_000);
  return { call: placed, pid, bridged, record };
}

/** No agent is left in the caller's room (the job left it). */
async function noAgentIn(room: string): Promise<void> {
  const rooms = roomService(stack);
  await eventually(async () => !(await rooms.listParticipants(room)).some((p) => p.kind === AGENT_KIND), 10_000, 'the job to leave the call room');
}

/** The worker's forwarder: its child process running the wt-forwarder binary. */
function forwarderPid(): number {
  const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(cast.worker.pid)], { encoding: 'utf8' });
  const line = children.split('\n').find((l) => /wt-forwarder-/.test(l));
  expect(line, `a wt-forwarder child of the worker:\n${children}`).toBeDefined();
  return Number(line!.trim().split(/\s+/)[0]);
}

describe('a bridged call kept by the worker, not its job', { timeout: 180_000 }, () => {
  it('keeps both directions after the job process has ended; the caller hanging up ends the person within 2 s', async () => {
    const { call, pid, bridged, record } = await keptCall('keeper-caller-hangs-up');
    await eventually(() => !processAlive(pid), 15_000, `the job process ${pid} to end`);
    const gone = Date.now();
    console.log(JSON.stringify({ jobProcessGoneAfterBridgeMs: gone - bridged }));
    // The job's relays gave way to the forwarder's with no silence between: the phones' side subscribes to the
    // forwarder's tracks up to a second after it is ready, so the job must not take its relays down before then.
    const heard = await call.caller.waitForAudio({ minRms: 300, withinMs: 5000, after: bridged });
    await sleep(1500);
    const handoverGap = longestWithout(call.caller, DESTINATION_TONE_HZ, heard, gone + 1500);
    reportGap('the job hands its bridged call to the keeper (longest stretch without the other party)', handoverGap);
    expect(handoverGap).toBeLessThan(HANDOVER_GAP_MS);
    await noAgentIn(record.callerRoom);
    // One ListRooms gives each room's participant count, as the keeper watches the calls the server carries (Cloud):
    // here the caller and the forwarder in one room, the person and the forwarder in the other; no such room, no count.
    const api = roomServiceApi({ url: stack.livekitUrl, apiKey: stack.apiKey, apiSecret: stack.apiSecret });
    await eventually(
      async () => {
        const counts = await api.participantCounts!([record.callerRoom, record.consultationRoom!, 'no-such-room']);
        return counts.get(record.callerRoom) === 2 && counts.get(record.consultationRoom!) === 2 && !counts.has('no-such-room');
      },
      5000,
      'ListRooms to count the two in each room',
    );
    // Both directions, from after the job ended: the person's tone at the caller, the caller's voice at the person.
    await sleep(2000);
    expect(call.caller.received.toneRatio(DESTINATION_TONE_HZ, gone, gone + 2000)).toBeGreaterThan(0.5);
    await call.callee.waitForAudio({ minRms: 300, withinMs: 12_000, after: gone });
    const hungUp = Date.now();
    await call.caller.hangup();
    const end = await call.callee.waitEnded(10_000);
    expect(end.hungUpBy).toBe('remote');
    expect(end.at - hungUp).toBeLessThan(OTHER_ENDED_WITHIN_MS);
    console.log(JSON.stringify({ otherSideEndedMs: end.at - hungUp, hungUp: 'caller' }));
    expect(await timelineEntry(cast.worker, 'ended', 10_000, hungUp)).toMatchObject({ outcome: 'accepted', endedBy: 'caller_hung_up', carrier: 'forwarder' });
    await records.nothingLeftBehind(call.from);
  });

  it('the person hanging up ends the caller within 2 s', async () => {
    const { call, pid } = await keptCall('keeper-person-hangs-up');
    await eventually(() => !processAlive(pid), 15_000, `the job process ${pid} to end`);
    await toneBack(call.caller, DESTINATION_TONE_HZ, Date.now() - 2000).catch(() => undefined);
    const hungUp = Date.now();
    await call.callee.hangup();
    const end = await call.caller.waitEnded(10_000);
    expect(end.hungUpBy).toBe('remote');
    expect(end.at - hungUp).toBeLessThan(OTHER_ENDED_WITHIN_MS);
    console.log(JSON.stringify({ otherSideEndedMs: end.at - hungUp, hungUp: 'person' }));
    expect(await timelineEntry(cast.worker, 'ended', 10_000, hungUp)).toMatchObject({ outcome: 'accepted', endedBy: 'destination_hung_up' });
    await records.nothingLeftBehind(call.from);
  });

  it('the forwarder killed under the call: started again, and the two hear each other again within 5 s', async () => {
    const { call, pid } = await keptCall('keeper-forwarder-killed');
    await eventually(() => !processAlive(pid), 15_000, `the job process ${pid} to end`);
    await sleep(1500);
    const killedAt = Date.now();
    process.kill(forwarderPid(), 'SIGKILL');
    // The new forwarder is in the rooms within a few hundred milliseconds: the gap is shorter than toneBack's
    // half-second windows, so it is measured in tenths of a second, as the longest stretch without the tone.
    await sleep(BACK_WITHIN_MS);
    const gap = longestWithout(call.caller, DESTINATION_TONE_HZ, killedAt, killedAt + BACK_WITHIN_MS);
    expect(gap).toBeLessThan(BACK_WITHIN_MS - 1000);
    expect(call.caller.received.toneRatio(DESTINATION_TONE_HZ, killedAt + BACK_WITHIN_MS - 1000, killedAt + BACK_WITHIN_MS)).toBeGreaterThan(0.5);
    reportGap('forwarder killed under a kept call (longest stretch without the other party)', gap);
    expect(await timelineEntry(cast.worker, 'kept', 10_000, killedAt)).toMatchObject({ from: 'rebridge' });
    await call.callee.waitForAudio({ minRms: 300, withinMs: 12_000, after: killedAt + BACK_WITHIN_MS });
    await call.caller.hangup();
    expect((await call.callee.waitEnded(10_000)).hungUpBy).toBe('remote');
    await records.nothingLeftBehind(call.from);
  });
});
