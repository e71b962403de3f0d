// Two livekit-server nodes on one Redis, at the phones. The stack's node (A, ws://127.0.0.1:7880) takes the
// calls: livekit-sip talks to it, so the caller's room is placed on A. This file starts a second node (B,
// ws://127.0.0.1:7890) on the stack's Redis and stops it at the end, so the other files keep their one node.
// Each node prefers its own region (livekit.yaml's node_selector), so a consultation room created by a worker
// whose LIVEKIT_URL is B lives on B: the caller's room and the consultation room are on different nodes, as
// Redis's room_node_map says, and every participant joins one of them through the other node's signal relay.
// On that: an accept (bridged, then kept by the worker's keeper, whose forwarder joins both rooms), a reject
// (the caller back from hold), and a worker on B killed during the briefing, carried on by a worker on A.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLiveKitNode, type LiveKitNode } from '../../stack/local-stack.ts';
import type { StackInfo, StackNode } from '../../stack/stack-info.ts';
import type { TransferRecord } from '../../agent/transfer/record/store.ts';
import type { RunningWorker } from '../../stack/worker-process.ts';
import { processAlive } from '../../agent/takeover/watcher.ts';
import { eventually } from '../support/rooms.ts';
import { roomService } from '../support/calls.ts';
import { BACK_WITHIN_MS, reportGap, startTakeoverWorker, takeoverRecords, toneBack, type TakeoverCast, type TakeoverRecords } from '../support/takeover.ts';
import { at, DESTINATION_TONE_HZ, HOLD_TONE_HZ, placeTransferCall, waitForSpeech, type TransferCall } from '../support/transfer-call.ts';

const stack = inject('stack');

/** How long the second worker has run before the first one is killed. */
const SECOND_WORKER_UP_MS = 8000;

let nodeB: LiveKitNode;
/** The stack as a worker attached to node B sees it. */
let onB: StackInfo;
let records: TakeoverRecords;
let call: TransferCall | undefined;
const casts: TakeoverCast[] = [];

beforeAll(async () => {
  nodeB = await startLiveKitNode({ index: 1, redisAddress: stack.redisAddress!, logDir: stack.logDir });
  const b: StackNode = { url: nodeB.url, nodeId: nodeB.nodeId, region: nodeB.region };
  onB = { ...stack, livekitUrl: nodeB.url, nodes: [...(stack.nodes ?? []), b] };
  records = takeoverRecords(stack);
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await Promise.all(casts.splice(0).map((cast) => cast.close()));
  records?.close();
  await nodeB?.stop();
});

async function worker(on: StackInfo, name: string, healthPort: number): Promise<TakeoverCast> {
  const cast = await startTakeoverWorker(on, name, healthPort, { WORKER_IDLE_PROCESSES: '1' });
  casts.push(cast);
  return cast;
}

/** 'A' or 'B': the node Redis's room_node_map places `room` on. */
async function nodeOf(room: string): Promise<string> {
  const nodeId = await records.redis.hget('room_node_map', room);
  if (nodeId === stack.nodes?.[0]?.nodeId) return 'A';
  if (nodeId === nodeB.nodeId) return 'B';
  return `unknown (${nodeId})`;
}

/**
 * The call's open record, once the room it names for the consultation exists (the record names it first):
 * its caller's room is on A and its consultation room on B.
 */
async function placedAcrossNodes(from: string): Promise<TransferRecord> {
  const record = await records.open((r) => r.callerRoom.startsWith(`call_${from}_`) && r.consultationRoom !== undefined, 60_000);
  await eventually(async () => (await records.redis.hexists('room_node_map', record.consultationRoom!)) === 1, 10_000, 'the consultation room');
  expect({ caller: await nodeOf(record.callerRoom), consultation: await nodeOf(record.consultationRoom!) }).toEqual({ caller: 'A', consultation: 'B' });
  return record;
}

/**
 * The first timeline entry of `type` of transfer `id` in `worker`'s output (within `ms`). By id: the stack's Redis
 * may hold records other runs left, which a watcher here takes over and ends, with timeline entries of their own.
 */
async function entry(worker: RunningWorker, id: string, type: string, ms: number): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await eventually(() => (found = worker.timeline().find((e) => e.transferId === id && e.type === type)) !== undefined, ms, `timeline entry ${type} of ${id}`);
  return found!;
}

/**
 * Once the call is over: its transfer's record is closed, and neither its room nor the consultation room is left
 * (on either node). Only this call's: the stack's Redis may hold records other runs left.
 */
async function nothingLeftOf(record: TransferRecord): Promise<void> {
  await eventually(async () => (await records.store.read(record.id)) === undefined, 15_000, 'the transfer record closed');
  const rooms = roomService(stack);
  await eventually(async () => (await rooms.listRooms([record.callerRoom, record.consultationRoom!])).length === 0, 75_000, 'no room of the call left');
}

describe('two livekit-server nodes: the caller on node A, the consultation on node B', { timeout: 150_000 }, () => {
  let onNodeB: TakeoverCast;
  beforeAll(async () => {
    onNodeB = await worker(onB, 'two-nodes-b', 8101);
  });

  it('accept with 1: bridged across the nodes, kept by the keeper, and the two hear each other', async () => {
    call = await placeTransferCall(stack, 'two-nodes-accept');
    const { caller, callee } = call;
    const placed = await placedAcrossNodes(call.from);
    const { id } = placed;
    await callee.waitAnswered(60_000);
    await entry(onNodeB.worker, id, 'briefing_started', 20_000);
    await callee.waitForAudio({ minRms: 300, withinMs: 10_000, after: Date.now() - 1000 });
    // 1 in the middle of the briefing, as its introduction offers.
    await callee.press('1');
    expect(await entry(onNodeB.worker, id, 'decision', 10_000)).toMatchObject({ choice: 'accept', source: 'keypad' });
    const bridged = at(await entry(onNodeB.worker, id, 'bridged', 10_000));
    expect(await entry(onNodeB.worker, id, 'kept', 10_000)).toMatchObject({ carrier: 'forwarder', from: 'job' });
    const heard = await caller.waitForAudio({ minRms: 300, withinMs: 10_000, after: bridged });
    console.log(JSON.stringify({ twoNodes: 'accept', bridgedToHeardMs: heard - bridged }));
    // It is the destination's tone, the music is gone, and the caller's voice (a sentence every few seconds)
    // reaches the destination.
    await new Promise((r) => setTimeout(r, 1500));
    expect(caller.received.toneRatio(DESTINATION_TONE_HZ, heard, heard + 1500)).toBeGreaterThan(0.5);
    expect(caller.received.toneRatio(HOLD_TONE_HZ, heard + 500, heard + 1500)).toBeLessThan(0.1);
    await callee.waitForAudio({ minRms: 300, withinMs: 12_000, after: heard });
    await caller.hangup();
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    expect(await entry(onNodeB.worker, id, 'ended', 10_000)).toMatchObject({ outcome: 'accepted' });
    await nothingLeftOf(placed);
  });

  it('reject with 9: the caller is back with the agent and the destination let go', async () => {
    call = await placeTransferCall(stack, 'two-nodes-reject');
    const { caller, callee } = call;
    const placed = await placedAcrossNodes(call.from);
    const { id } = placed;
    await callee.waitAnswered(60_000);
    const hold = at(await entry(onNodeB.worker, id, 'hold_started', 1000));
    await entry(onNodeB.worker, id, 'briefing_started', 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    // On hold until now: the music, and nothing of the consultation.
    expect(caller.received.toneRatio(HOLD_TONE_HZ, hold + 1000, Date.now())).toBeGreaterThan(0.6);
    await callee.press('9');
    const decided = at(await entry(onNodeB.worker, id, 'decision', 10_000));
    expect(await entry(onNodeB.worker, id, 'ended', 15_000)).toMatchObject({ outcome: 'rejected' });
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    await waitForSpeech(caller, decided + 500, 15_000);
    await caller.hangup();
    await nothingLeftOf(placed);
  });

  it('the worker on B killed during the briefing: a worker on A carries the transfer on, and 1 bridges', async () => {
    call = await placeTransferCall(stack, 'two-nodes-takeover');
    const { caller, callee } = call;
    const placed = await placedAcrossNodes(call.from);
    const { id } = placed;
    // The second worker, attached to node A, starts only now: the call's job is already node B's worker's. It
    // runs for a while before the kill, as a second worker in a deployment would have (its watcher reads a
    // lease that ran out only after 3 s on Redis; its idle job process is started and warm).
    const onNodeA = await worker(stack, 'two-nodes-a', 8102);
    const secondUp = Date.now();
    await callee.waitAnswered(60_000);
    await entry(onNodeB.worker, id, 'briefing_started', 20_000);
    const record = await records.open((r) => r.callerRoom.startsWith(`call_${call!.from}_`) && r.phase.kind === 'briefing');
    expect(record.owner.startsWith(`${onNodeB.key}/`)).toBe(true);
    await callee.waitForAudio({ minRms: 300, withinMs: 10_000, after: Date.now() - 1000 });
    await new Promise((r) => setTimeout(r, Math.max(0, secondUp + SECOND_WORKER_UP_MS - Date.now())));

    const killedAt = Date.now();
    await onNodeB.worker.kill();
    // Node A's worker: music again for the caller, "sorry, I lost you" and the question for the person.
    const back = await toneBack(caller, HOLD_TONE_HZ, killedAt);
    expect(back - killedAt).toBeLessThan(BACK_WITHIN_MS);
    reportGap('two nodes: worker on B killed during the briefing, carried on from A (music)', back - killedAt);
    expect(await entry(onNodeA.worker, id, 'resumed', 10_000)).toMatchObject({ phase: 'briefing', resumes: 1 });
    expect(await entry(onNodeA.worker, id, 'prompted', 20_000)).toMatchObject({ resumed: true, apologisedFirst: true });
    // The consultation room stayed on B: node A's worker joined it there.
    expect(await nodeOf(record.consultationRoom!)).toBe('B');
    const resumedBy = await records.open((r) => r.id === id && r.owner.startsWith(`${onNodeA.key}/`), 5000);

    await callee.press('1');
    const bridged = at(await entry(onNodeA.worker, id, 'bridged', 15_000));
    expect(await entry(onNodeA.worker, id, 'kept', 10_000)).toMatchObject({ carrier: 'forwarder', from: 'job' });
    const heard = await toneBack(caller, DESTINATION_TONE_HZ, bridged - 600);
    expect(heard).toBeGreaterThan(bridged - 600);
    await callee.waitForAudio({ minRms: 300, withinMs: 12_000, after: heard });
    // The job that bridged has left the call to the keeper and ended (as it does within a second or so), so the
    // caller's hang-up is the keeper's alone: it deletes both rooms, through node A, one of them on node B. (A
    // hang-up while the job still ran would leave the call's room to the server, which keeps the killed job's
    // participant there for about 20 s.)
    const jobPid = Number(resumedBy.owner.slice(resumedBy.owner.lastIndexOf('/') + 1));
    await eventually(() => !processAlive(jobPid), 10_000, 'the resumed job to end');
    await caller.hangup();
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    expect(await entry(onNodeA.worker, id, 'ended', 10_000)).toMatchObject({ outcome: 'accepted' });
    await nothingLeftOf(placed);
  });
});
