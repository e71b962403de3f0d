// A call bridged on Cloud leaves its job too: against the model of Cloud's room rules (test/support/cloud-model),
// the product's job asks its worker's keeper to carry the bridged call, the keeper (no forwarder: the server
// carries the audio) takes the record over, and the job ends and leaves its rooms. The call room, left to the
// caller and the person, stays open; either of them hanging up ends the other's leg; and a keeper that dies is
// replaced by another worker's from the record alone.
import { initializeLogger } from '@livekit/agents';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BridgeKeeper, PRESENCE_POLL_MS } from '../../agent/keeper/keeper.ts';
import { TakeoverWatcher } from '../../agent/takeover/watcher.ts';
import { DESTINATION_IDENTITY } from '../../agent/transfer/consultation.ts';
import { LEASE_MS, type TransferRecordStore } from '../../agent/transfer/record/store.ts';
import type { TimelineEntry } from '../../agent/transfer/timeline.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import type { AgentSettings } from '../../settings/settings.ts';
import { CloudModel } from '../support/cloud-model/index.ts';
import { cloudJob, type CloudJob } from '../support/cloud-model/job.ts';
import { testRecords } from '../support/records.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));
const records = testRecords();
afterAll(() => records.cleanup());

const CALL_ROOM = 'call-cloud';
const CALLER = 'sip_caller';
const PERSON = DESTINATION_IDENTITY;
const DEPARTURE_MS = 200;

let model: CloudModel;
let store: TransferRecordStore;
let settings: AgentSettings;
const keepers: BridgeKeeper[] = [];

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
afterEach(async () => {
  await Promise.all(keepers.splice(0).map((keeper) => keeper.close()));
  model.close();
});

const waitFor = (check: () => unknown, timeout = 3000) => vi.waitFor(check, { timeout, interval: 10 });
const story = () => `\n${model.log.join('\n')}`;

/** A worker's main process on the model: its keeper (no forwarder on Cloud) and its watcher. */
function worker(key: string) {
  const timeline: TimelineEntry[] = [];
  const keeper = new BridgeKeeper({
    store,
    workerKey: key,
    api: model.api(`${key}-main`) as ConstructorParameters<typeof BridgeKeeper>[0]['api'],
    url: 'ws://cloud.invalid',
    token: async () => 'unused',
    maxBridgedMs: 3_600_000,
    onTimeline: (_record, entry) => void timeline.push(entry),
    log: () => undefined,
  });
  keepers.push(keeper);
  const watcher = new TakeoverWatcher({
    store,
    workerKey: key,
    keeper,
    // The job "process" of this worker runs as long as the test says.
    isAlive: () => true,
    isOurJob: () => true,
    dispatch: async () => {
      throw new Error('no job is dispatched for a bridged call the keeper carries');
    },
    abandon: async () => undefined,
    log: () => undefined,
  });
  return { keeper, watcher, timeline };
}

/** The caller's 1, the person's 1: bridged by the server's move; the job asks its keeper to take the call. */
async function bridgedJob(handedOver: { count: number }): Promise<CloudJob> {
  const job = await cloudJob(model, 'worker-a', {
    settings,
    records: store,
    callRoom: CALL_ROOM,
    callerIdentity: CALLER,
    keeper: { carries: (kind) => kind === 'move', handedOver: () => void handedOver.count++ },
  });
  model.phone(PERSON, 'answer');
  const outcome = job.tools.keypadTransfer('1');
  await waitFor(() => expect(job.timeline.map((e) => e.type)).toContain('prompted'));
  model.press(PERSON, '1');
  expect(await outcome).toBe('accepted');
  expect(model.together(CALLER, PERSON), story()).toBe(true);
  return job;
}

describe('a call bridged on Cloud is kept without its job', () => {
  it('the job hands it over and leaves; the room stays open with the two of them; a hang-up ends the other leg', async () => {
    const handedOver = { count: 0 };
    const job = await bridgedJob(handedOver);
    const id = (await store.openFor(CALL_ROOM))!;
    await waitFor(async () => expect((await store.read(id))?.handoff).toBeDefined());
    const { keeper, watcher, timeline } = worker('worker-a');
    await watcher.sweep();
    await waitFor(() => expect(keeper.kept.get(id)).toMatchObject({ carrier: 'server' }));
    await waitFor(() => expect(handedOver.count).toBe(1));
    expect(job.timeline.map((e) => e.type)).toContain('handed_over');
    // The job process ends: it leaves every room it was in.
    model.kill('worker-a');
    await model.settle(3 * DEPARTURE_MS);
    expect(model.isOpen(CALL_ROOM), story()).toBe(true);
    expect(model.together(CALLER, PERSON), story()).toBe(true);
    expect((await store.read(id))!.owner).toBe('keeper:worker-a');
    // The person hangs up: the keeper sees it in the call room and ends the caller's leg.
    const hungUp = Date.now();
    model.hangUp(PERSON);
    await waitFor(() => expect(model.where(CALLER), story()).toBeUndefined(), PRESENCE_POLL_MS + 2000);
    expect(Date.now() - hungUp).toBeLessThan(2000);
    await waitFor(() => expect(timeline.at(-1)).toMatchObject({ type: 'ended', outcome: 'accepted', endedBy: 'destination_hung_up', carrier: 'server' }));
    expect(await store.read(id)).toBeUndefined();
  });

  it("a keeper that dies is replaced by another worker's, from the record: the caller hanging up still ends the person's leg", async () => {
    const handedOver = { count: 0 };
    await bridgedJob(handedOver);
    const id = (await store.openFor(CALL_ROOM))!;
    await waitFor(async () => expect((await store.read(id))?.handoff).toBeDefined());
    const first = worker('worker-a');
    await first.watcher.sweep();
    await waitFor(() => expect(first.keeper.kept.has(id)).toBe(true));
    model.kill('worker-a');
    // The whole worker dies: its keeper renews no more.
    await first.keeper.close();
    const second = worker('worker-b');
    await waitFor(async () => {
      await second.watcher.sweep();
      expect(second.keeper.kept.has(id)).toBe(true);
    }, LEASE_MS + 4000);
    expect(second.timeline.find((e) => e.type === 'kept')).toMatchObject({ carrier: 'server', from: 'takeover' });
    expect((await store.read(id))!).toMatchObject({ owner: 'keeper:worker-b', resumes: 1 });
    model.hangUp(CALLER);
    await waitFor(() => expect(model.where(PERSON), story()).toBeUndefined(), PRESENCE_POLL_MS + 2000);
    expect(await store.read(id)).toBeUndefined();
  });
});
