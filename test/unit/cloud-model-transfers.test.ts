// The Cloud cases of the fault matrix, run by the product's transfer code against the model of LiveKit Cloud's
// rules (test/support/cloud-model): rooms left to agents close after their departure timeout and disconnect
// them, a move gives a new SID, a move can succeed and still answer an error, and a participant who left answers
// 404. The caller presses 1 for a screened transfer (keypad rule, briefed without a model) and the person's keys
// decide, as at the phones. The records are in the real Redis; a job "killed" here loses its rooms and its
// RoomService at once, and the next job carries the transfer on from the record, as a takeover's job does.
import { initializeLogger } from '@livekit/agents';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TransferOutcome } from '../../core/outcome.ts';
import { TRACK_WAIT_MS } from '../../agent/transfer/hold/tracks.ts';
import { holdWithTopology } from '../../agent/transfer/hold/choose-topology.ts';
import { DESTINATION_IDENTITY } from '../../agent/transfer/consultation.ts';
import type { TransferRecordStore } from '../../agent/transfer/record/store.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import type { AgentSettings } from '../../settings/settings.ts';
import { CloudModel, notFound } from '../support/cloud-model/index.ts';
import { cloudJob, type CloudJob } from '../support/cloud-model/job.ts';
import { testRecords } from '../support/records.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));
const records = testRecords();
afterAll(() => records.cleanup());

const CALL_ROOM = 'call-cloud';
const CALLER = 'sip_caller';
const PERSON = DESTINATION_IDENTITY;
/** The model's departure timeout (Cloud's 20 s, scaled); a hold in these tests lasts several of them. */
const DEPARTURE_MS = 200;

let model: CloudModel;
let store: TransferRecordStore;
let settings: AgentSettings;

beforeEach(async () => {
  model = new CloudModel({ departureTimeoutMs: DEPARTURE_MS });
  model.callRoom(CALL_ROOM, CALLER);
  store = records.callStore();
  settings = await agentSettingsSchema('/settings/agent.json').parseAsync({
    agentId: 'cloud',
    trunks: { pstnOutboundTrunkId: 'ST_pstn' },
    keypad: { '1': { destination: '+15125550100', label: 'sales', warm: true } },
  });
});
afterEach(() => model.close());

const startJob = (name: string) => cloudJob(model, name, { settings, records: store, callRoom: CALL_ROOM, callerIdentity: CALLER });
const waitFor = (check: () => void, timeout = 3000) => vi.waitFor(check, { timeout, interval: 10 });
const story = () => `\n${model.log.join('\n')}`;

/** The caller's 1, and the transfer as far as the person being asked (prompted); then its outcome. */
async function transferAsked(job: CloudJob): Promise<{ outcome: Promise<TransferOutcome | undefined> }> {
  const outcome = job.tools.keypadTransfer('1');
  await waitFor(() => expect(job.timeline.map((e) => e.type)).toContain('prompted'));
  return { outcome };
}

/** The caller and the person talk, in the caller's room, which the server carries: no job music, nobody else. */
function expectBridgedAtHome(job: CloudJob): void {
  expect(model.together(CALLER, PERSON), story()).toBe(true);
  expect(model.where(CALLER)).toBe(CALL_ROOM);
  expect(job.musicIn()).toBeUndefined();
}

/** Nobody is left on a line: both phones are out of every room, or the caller is back with a live agent. */
async function nobodyStranded(): Promise<void> {
  await waitFor(() => expect(model.where(PERSON), story()).toBeUndefined());
}

describe('the hold on Cloud, against the room rules', () => {
  it('keeps the call room open under a caller held for several of its departure timeouts, and the job in it', async () => {
    const room = await model.join('job-1', CALL_ROOM);
    let disconnected = false;
    room.on('disconnected', () => void (disconnected = true));
    // (`join` is what a hold that moved the caller into a hold room of its own needed; this one needs none.)
    const deps = {
      caller: { room, identity: CALLER, muteAgent: () => undefined },
      api: model.api('job-1'),
      music: { play: async () => ({ stop: async () => undefined }) },
      join: (name: string) => model.join('job-1', name),
    };
    const topology = await holdWithTopology('move', 'wss://cloud.test', deps);
    await model.settle(3 * DEPARTURE_MS);
    expect(model.isOpen(CALL_ROOM), story()).toBe(true);
    expect(disconnected).toBe(false);
    await topology.unhold();
    expect(model.where(CALLER), story()).toBe(CALL_ROOM);
  });
});

describe('a warm transfer on Cloud', () => {
  it('holds the caller at home for longer than the departure timeout: the call room stays open, the job in it', async () => {
    const job = await startJob('job-1');
    let disconnected = false;
    job.room.on('disconnected', () => void (disconnected = true));
    model.phone(PERSON, 'answer', 5 * DEPARTURE_MS);
    const outcome = job.tools.keypadTransfer('1');
    await waitFor(() => expect(job.musicIn()).toBe(CALL_ROOM));
    await model.settle(3 * DEPARTURE_MS);
    // Ringing: the caller has waited through the room's departure timeout several times over.
    expect(model.isOpen(CALL_ROOM), story()).toBe(true);
    expect(model.where(CALLER)).toBe(CALL_ROOM);
    expect(disconnected).toBe(false);
    await waitFor(() => expect(job.timeline.map((e) => e.type)).toContain('prompted'));
    const sid = model.sidOf(PERSON);
    model.press(PERSON, '1');
    expect(await outcome).toBe('accepted');
    expectBridgedAtHome(job);
    // Moved with its identity, under a new SID; the one move of the transfer.
    expect(model.sidOf(PERSON)).not.toBe(sid);
    expect(model.log.filter((line) => line.startsWith('move'))).toHaveLength(1);
    expect(job.timeline.find((e) => e.type === 'bridged')?.topology).toBe('move');
    // The consultation room, left to the agent alone, closes; the bridged call does not notice.
    await model.settle(2 * DEPARTURE_MS);
    expect(model.together(CALLER, PERSON)).toBe(true);
    // Either hanging up ends the other's leg: nobody stays on a dead line.
    model.hangUp(CALLER);
    await nobodyStranded();
    // Counted once the hold is closed and the record with it, a moment after the legs have gone.
    await waitFor(() => expect(job.handedOff()).toBe(1));
  });

  it('rejected with 9: the caller is back with the agent and told, the person let go, nobody moved', async () => {
    const job = await startJob('job-1');
    const { outcome } = await transferAsked(job);
    model.press(PERSON, '9');
    expect(await outcome).toBe('rejected');
    await nobodyStranded();
    expect(model.where(CALLER)).toBe(CALL_ROOM);
    expect(job.agentHears.at(-1)).toBe(true);
    expect(job.musicIn()).toBeUndefined();
    expect(
      model.log.some((line) => line.startsWith('move')),
      story(),
    ).toBe(false);
  });

  it('busy: the caller is back and told, without any move', async () => {
    const job = await startJob('job-1');
    model.phone(PERSON, 'busy');
    expect(await job.tools.keypadTransfer('1')).toBe('busy');
    expect(model.where(CALLER)).toBe(CALL_ROOM);
    expect(job.agentHears.at(-1)).toBe(true);
    expect(job.said.length).toBeGreaterThan(1);
    expect(model.log.some((line) => line.startsWith('move'))).toBe(false);
  });

  it('the caller hangs up on hold: the person is told before their line closes', async () => {
    const job = await startJob('job-1');
    const { outcome } = await transferAsked(job);
    model.hangUp(CALLER);
    expect(await outcome).toBe('caller_hung_up');
    await nobodyStranded();
    expect(job.briefed.at(-1)).toMatch(/hung up|left|ended/i);
  });

  it('the caller hangs up mid-move: the person is not left in an empty call room', async () => {
    const job = await startJob('job-1');
    const { outcome } = await transferAsked(job);
    model.justBefore('moveParticipant', () => model.hangUp(CALLER));
    model.press(PERSON, '1');
    expect(await outcome).toBe('caller_hung_up');
    await nobodyStranded();
  });

  it('the person hangs up mid-move: the caller is back and told the destination hung up, not that the bridge failed', async () => {
    const job = await startJob('job-1');
    const { outcome } = await transferAsked(job);
    model.justBefore('moveParticipant', () => model.hangUp(PERSON));
    model.press(PERSON, '1');
    expect(await outcome).toBe('destination_hung_up');
    expect(model.where(CALLER)).toBe(CALL_ROOM);
    expect(job.agentHears.at(-1)).toBe(true);
  });

  it('a move that succeeded and still answered an error bridges the call once, as asked', async () => {
    const job = await startJob('job-1');
    const { outcome } = await transferAsked(job);
    model.failNextMoveAfterApplying(notFound('participant not found'));
    model.press(PERSON, '1');
    expect(await outcome).toBe('accepted');
    expectBridgedAtHome(job);
  });

  it('a server that cannot move: the worker turns to the relay, and when that fails too the caller is back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'], shouldAdvanceTime: true });
    try {
      const job = await startJob('job-1');
      const { outcome } = await transferAsked(job);
      model.refuseMoves();
      model.press(PERSON, '1');
      // The model carries no audio: the relay waits for a track that never comes, then the bridge fails.
      await vi.advanceTimersByTimeAsync(TRACK_WAIT_MS);
      expect(await outcome).toBe('bridge_failed');
      expect(job.timeline.find((e) => e.type === 'error')?.['lk.pii.error']).toMatch(/no audio track/);
      expect(model.where(CALLER)).toBe(CALL_ROOM);
      expect(job.agentHears.at(-1)).toBe(true);
      await nobodyStranded();
    } finally {
      vi.useRealTimers();
    }
  });
});

/** The record of the call's open transfer, claimed for `owner` as a watcher claims a dead owner's. */
async function claimFor(owner: string): Promise<{ id: string; fence: number }> {
  const id = await store.openFor(CALL_ROOM);
  expect(id, 'an open transfer record').toBeDefined();
  const fence = await store.claim(id!, owner, true);
  expect(fence).toBeDefined();
  return { id: id!, fence: fence! };
}

describe('a job killed on Cloud, and the next one carrying the transfer on', () => {
  /** How far the dead job got, and how the test gets it there. */
  const phases: Array<{ phase: string; reach: (job: CloudJob) => Promise<void>; then: (job: CloudJob) => Promise<void> }> = [
    {
      phase: 'ringing',
      reach: async (job) => {
        model.phone(PERSON, 'answer', 4 * DEPARTURE_MS);
        void job.tools.keypadTransfer('1');
        await waitFor(() => expect(job.timeline.map((e) => e.type)).toContain('ringing'));
      },
      then: async (next) => {
        // The leg the dead job dialled answers later; the new job briefs the person and their 1 bridges.
        await waitFor(() => expect(next.timeline.map((e) => e.type)).toContain('prompted'), 5000);
        model.press(PERSON, '1');
      },
    },
    {
      phase: 'briefing',
      reach: async (job) => void (await transferAsked(job)),
      then: async (next) => {
        await waitFor(() => expect(next.timeline.map((e) => e.type)).toContain('prompted'));
        model.press(PERSON, '1');
      },
    },
    {
      phase: 'connecting (the person moved, the record not yet saying bridged)',
      reach: async (job) => {
        await transferAsked(job);
        model.justAfter('moveParticipant', () => model.kill(job.name));
        model.press(PERSON, '1');
        await waitFor(() => expect(model.where(PERSON)).toBe(CALL_ROOM));
      },
      then: async () => undefined,
    },
    {
      phase: 'bridged',
      reach: async (job) => {
        const { outcome } = await transferAsked(job);
        model.press(PERSON, '1');
        expect(await outcome).toBe('accepted');
      },
      then: async () => undefined,
    },
  ];

  it.each(phases)('killed while $phase: the caller stays in an open call room, and ends up with the person', async ({ reach, then }) => {
    const dead = await startJob('job-1');
    await reach(dead);
    model.kill('job-1');
    const order = await claimFor('job-2/1');
    // Nobody attends for a while: the call room keeps the caller, so Cloud does not close it.
    await model.settle(3 * DEPARTURE_MS);
    expect(model.isOpen(CALL_ROOM), story()).toBe(true);
    expect(model.where(CALLER)).toBe(CALL_ROOM);

    const next = await startJob('job-2');
    const outcome = next.tools.resume({ ...order, mode: 'resume' });
    await then(next);
    expect(await outcome, story()).toBe('accepted');
    expectBridgedAtHome(next);
    expect(next.timeline.find((e) => e.type === 'resumed')).toBeDefined();
    // Still one hang-up away from nobody on the line.
    model.hangUp(PERSON);
    await waitFor(() => expect(model.where(CALLER), story()).toBeUndefined());
  });
});
