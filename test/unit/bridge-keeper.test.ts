// The keeper (agent/keeper/keeper.ts) against the real Redis, with a forwarder and a RoomService that are the
// test's: how a bridged call is taken from its job (or from a dead carrier, through the watcher), who owns the
// record then, how the call ends, and what happens when the forwarder fails. The forwarder itself, the job
// process ending and the phones are the integration tests' (keeper-bridged.test.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ASK_RETRY_MS, BridgeKeeper, KEEPER_TRIES, PRESENCE_POLL_MS, REBRIDGE_TRIES } from '../../agent/keeper/keeper.ts';
import { REACHABLE_BEFORE_CLAIM_MS, TakeoverWatcher } from '../../agent/takeover/watcher.ts';
import { DESTINATION_IDENTITY } from '../../agent/transfer/consultation.ts';
import { JOB_GONE_WAIT_MS } from '../../agent/keeper/end.ts';
import { HELD_SETTLE_MS } from '../../agent/keeper/forwarding.ts';
import { FencedError, HANDED_OFF, type NewRecord, type TransferRecord, TransferRecordStore } from '../../agent/transfer/record/store.ts';
import { bridgedRecord, CALLER, FakeForwarder, testKeeper, type TestKeeperOptions } from '../support/keeper.ts';
import { testRecords } from '../support/records.ts';

let records: ReturnType<typeof testRecords>;
beforeEach(() => {
  records = testRecords();
});
afterEach(async () => {
  await records.cleanup();
});

/** A job's record that asks to be kept, as request.ts writes it. */
async function askedRecord(overrides: Partial<NewRecord> = {}): Promise<TransferRecord> {
  const created = await records.store.create(bridgedRecord('worker-a/101', overrides));
  await records.store.write(created.id, created.fence, { handoff: { askedAt: Date.now() }, bridgedAt: Date.now() });
  return (await records.store.read(created.id))!;
}

const keeper = (overrides: TestKeeperOptions = {}) => testKeeper(records.store, overrides);

const waitFor = (check: () => unknown, timeout = 3000) => vi.waitFor(check, { timeout, interval: 10 });

afterEach(() => {
  vi.useRealTimers();
});

describe('the keeper takes a bridged call from its job', () => {
  it('bridges the two rooms first, then takes the record over: the job is fenced out, and no resume is counted', async () => {
    const asked = await askedRecord();
    const { k, forwarder, timeline } = keeper();
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    expect(forwarder().bridged).toEqual([
      {
        id: asked.id,
        url: 'ws://127.0.0.1:7880',
        a: { room: asked.callerRoom, token: expect.stringMatching(`^token-for-${asked.callerRoom}-as-transfer-forwarder-worker-a$`), from: CALLER },
        b: {
          room: asked.consultationRoom,
          token: expect.stringMatching(`^token-for-${asked.consultationRoom}-as-transfer-forwarder-worker-a$`),
          from: DESTINATION_IDENTITY,
        },
        // Held (silent) while the job still relays, until the phones' side has subscribed to the forwarder's tracks.
        held: true,
      },
    ]);
    const stored = (await records.store.read(asked.id))!;
    expect(stored).toMatchObject({ owner: 'keeper:worker-a', fence: asked.fence + 1, resumes: 0 });
    await expect(records.store.write(asked.id, asked.fence, { index: 0 })).rejects.toBeInstanceOf(FencedError);
    // Released once the record is taken: the job, fenced out, takes its relays down.
    expect(forwarder().released).toEqual([asked.id]);
    const kept = timeline.find((e) => e.type === 'kept');
    expect(kept).toMatchObject({ transferId: asked.id, carrier: 'forwarder', from: 'job', held: { ms: expect.any(Number) } });
    expect(kept!['held']).not.toHaveProperty('oldLeft');
    expect((kept!['held'] as { ms: number }).ms).toBeGreaterThanOrEqual(HELD_SETTLE_MS);
    await k.close();
  });

  it('has its forwarder started before the first call (warm), and bridges that call on it', async () => {
    const asked = await askedRecord();
    const { k, forwarders } = keeper();
    k.warm();
    expect(forwarders).toHaveLength(1);
    k.warm();
    expect(forwarders).toHaveLength(1);
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    expect(forwarders).toHaveLength(1);
    expect(forwarders[0]!.bridged.map((b) => b.id)).toEqual([asked.id]);
    await k.close();
  });

  it("hears its job's ask as it is written, with no sweep in between; another worker's keeper does not", async () => {
    const created = await records.store.create(bridgedRecord('worker-a/105'));
    const ours = keeper();
    const theirs = keeper({ workerKey: 'worker-b' });
    const watch = (workerKey: string, k: BridgeKeeper) =>
      new TakeoverWatcher({
        store: records.store,
        workerKey,
        keeper: k,
        isOurJob: (pid) => workerKey === 'worker-a' && pid === 105,
        intervalMs: 3_600_000, // no sweep runs in this test
        dispatch: async () => undefined,
        abandon: async () => undefined,
        log: () => undefined,
      });
    const watchers = [watch('worker-a', ours.k), watch('worker-b', theirs.k)];
    for (const w of watchers) w.start();
    // The job writes its ask (again, until the subscription that started with the watcher is in place).
    await waitFor(async () => {
      await records.store.write(created.id, created.fence, { handoff: { askedAt: Date.now() }, bridgedAt: Date.now() }).catch(() => undefined);
      expect(ours.k.kept.has(created.id)).toBe(true);
    }, 5000);
    expect((await records.store.read(created.id))!.owner).toBe('keeper:worker-a');
    expect(theirs.forwarders.flatMap((f) => f.bridged)).toEqual([]);
    for (const w of watchers) await w.stop();
    await ours.k.close();
    await theirs.k.close();
  });

  it('keeps renewing the lease of a call it keeps', async () => {
    const asked = await askedRecord();
    const { k } = keeper();
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    const first = (await records.store.read(asked.id))!.leaseUntil;
    await waitFor(async () => expect((await records.store.read(asked.id))!.leaseUntil).toBeGreaterThan(first));
    await k.close();
  });

  it('leaves the call with its job when the forwarder cannot bridge it, and does not ask the forwarder again at once', async () => {
    const asked = await askedRecord();
    const failing = new FakeForwarder();
    failing.fail.push('joining a.room: refused');
    let clock = Date.now();
    const { k, logged } = keeper({ startForwarder: () => failing, now: () => clock });
    k.ask(asked);
    await waitFor(() => expect(logged.some((e) => e.event === 'keeper_refused')).toBe(true));
    expect((await records.store.read(asked.id))!).toMatchObject({ owner: 'worker-a/101', fence: asked.fence });
    k.ask(asked);
    await new Promise((r) => setTimeout(r, 50));
    expect(failing.bridged).toEqual([]);
    expect(ASK_RETRY_MS).toBeGreaterThanOrEqual(10_000);
    // Once the retry time has passed, the same ask is carried out.
    clock += ASK_RETRY_MS;
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    await k.close();
  });

  it('lets the bridge go when the call ended while it was being set up (the record is gone)', async () => {
    const asked = await askedRecord();
    const { k, forwarder } = keeper();
    const original = FakeForwarder.prototype.bridge;
    // The job ends the call (a hang-up) just as the forwarder gets ready.
    vi.spyOn(FakeForwarder.prototype, 'bridge').mockImplementation(async function (this: FakeForwarder, spec) {
      await records.store.remove(asked.id, asked.fence, asked.callerRoom);
      return original.call(this, spec);
    });
    k.ask(asked);
    await waitFor(() => expect(forwarder().stopped).toEqual([asked.id]));
    expect(k.kept.size).toBe(0);
    vi.restoreAllMocks();
    await k.close();
  });

  it('does not take what it cannot carry: a relayed call without a forwarder, a record of an older version, a call not bridged', async () => {
    const { k } = keeper({ noForwarder: true });
    expect(k.wants(await askedRecord())).toBe(false);
    expect(k.wants(await askedRecord({ topology: 'move' }))).toBe(true);
    const { k: withForwarder } = keeper();
    expect(withForwarder.wants(await askedRecord({ holdRoom: 'hold-1' }))).toBe(false);
    expect(withForwarder.wants(await askedRecord({ phase: { kind: 'connecting', source: 'keypad' } }))).toBe(false);
    expect(withForwarder.wants(await askedRecord({ keeperFailures: KEEPER_TRIES }))).toBe(false);
  });
});

describe('a kept call ends', () => {
  it.each([
    ['caller', 'caller_hung_up'],
    ['destination', 'destination_hung_up'],
  ] as const)('when the %s hangs up: both rooms deleted, the record closed as handed off, the timeline ended', async (side, endedBy) => {
    const asked = await askedRecord();
    const { k, forwarder, room, timeline } = keeper();
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    if (side === 'caller') forwarder().emit('left', asked.id, asked.callerRoom, CALLER);
    else forwarder().emit('left', asked.id, asked.consultationRoom!, DESTINATION_IDENTITY);
    await waitFor(() => expect(timeline.at(-1)).toMatchObject({ type: 'ended', outcome: 'accepted', endedBy, carrier: 'forwarder' }));
    expect(room.deleted.sort()).toEqual([asked.callerRoom, asked.consultationRoom].sort());
    expect(await records.store.read(asked.id)).toBeUndefined();
    // A late key press or tool call on that call starts nothing.
    expect(await records.store.openFor(asked.callerRoom)).toBe(HANDED_OFF);
    expect(k.kept.size).toBe(0);
    await k.close();
  });

  it('by hanging the two up, not deleting the rooms, while the job that asked still runs (it may be deleting them); the rooms go once it has', async () => {
    const asked = await askedRecord();
    let jobRuns = true;
    const { k, forwarder, room, timeline } = keeper({ jobAlive: (pid) => pid === 101 && jobRuns });
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    forwarder().emit('left', asked.id, asked.callerRoom, CALLER);
    await waitFor(() => expect(timeline.at(-1)).toMatchObject({ type: 'ended', endedBy: 'caller_hung_up' }));
    expect(room.deleted).toEqual([]);
    expect(room.removed.sort()).toEqual([`${asked.callerRoom} ${CALLER}`, `${asked.consultationRoom} ${DESTINATION_IDENTITY}`].sort());
    // The job has gone, having deleted the consultation room itself: the caller's room, still there, goes now.
    await room.api.deleteRoom(asked.consultationRoom!);
    jobRuns = false;
    await waitFor(() => expect(room.deleted).toEqual([asked.consultationRoom, asked.callerRoom]));
    await k.close();
  });

  it('deletes the rooms after JOB_GONE_WAIT_MS even if the job that asked never seems to go', async () => {
    const asked = await askedRecord();
    const { k, forwarder, room, timeline } = keeper({ jobAlive: (pid) => pid === 101 });
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    forwarder().emit('left', asked.id, asked.callerRoom, CALLER);
    await waitFor(() => expect(timeline.at(-1)).toMatchObject({ type: 'ended', endedBy: 'caller_hung_up' }));
    expect(room.deleted).toEqual([]);
    await waitFor(() => expect(room.deleted.sort()).toEqual([asked.callerRoom, asked.consultationRoom].sort()), JOB_GONE_WAIT_MS + 2000);
    await k.close();
  });

  it('when MAX_BRIDGED_CALL_S has passed since the bridge (counted from the record, not from the keeping)', async () => {
    const created = await records.store.create(bridgedRecord('worker-a/101'));
    await records.store.write(created.id, created.fence, { handoff: { askedAt: Date.now() }, bridgedAt: Date.now() - 5000 });
    const asked = (await records.store.read(created.id))!;
    const { k, timeline, room } = keeper({ maxBridgedMs: 5200 });
    k.ask(asked);
    await waitFor(() => expect(timeline.at(-1)).toMatchObject({ type: 'ended', endedBy: 'max_duration' }), 2000);
    expect(timeline.map((e) => e.type)).toEqual(['kept', 'max_duration', 'ended']);
    expect(room.deleted).toHaveLength(2);
    await k.close();
  });

  it('at once when the caller hung up while the bridge was being made (the job may have stood down before it saw it)', async () => {
    const asked = await askedRecord();
    const { k, room, timeline } = keeper();
    const original = FakeForwarder.prototype.bridge;
    vi.spyOn(FakeForwarder.prototype, 'bridge').mockImplementation(async function (this: FakeForwarder, spec) {
      await original.call(this, spec);
      room.put(asked.callerRoom, 'warm-transfer-agent');
    });
    k.ask(asked);
    await waitFor(() => expect(timeline.at(-1)).toMatchObject({ type: 'ended', endedBy: 'caller_hung_up' }));
    expect(timeline.map((e) => e.type)).toEqual(['kept', 'ended']);
    expect(room.deleted).toContain(asked.consultationRoom);
    vi.restoreAllMocks();
    await k.close();
  });

  it('when a room is closed under the bridge', async () => {
    const asked = await askedRecord();
    const { k, forwarder, timeline } = keeper();
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    forwarder().emit('room_closed', asked.id, asked.consultationRoom!);
    await waitFor(() => expect(timeline.at(-1)).toMatchObject({ type: 'ended', endedBy: 'room_closed' }));
    await k.close();
  });

  it('is let go, untouched, when another keeper took its record over (this worker was taken for dead)', async () => {
    const asked = await askedRecord();
    const { k, forwarder, room, logged } = keeper();
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    await records.store.claim(asked.id, 'keeper:worker-b', true);
    await waitFor(() => expect(logged.some((e) => e.event === 'keeper_fenced')).toBe(true));
    expect(forwarder().stopped).toEqual([asked.id]);
    expect(room.deleted).toEqual([]);
    expect((await records.store.read(asked.id))!.owner).toBe('keeper:worker-b');
    await k.close();
  });
});

describe('the forwarder fails under a kept call', () => {
  it('bridges again with a new forwarder when the process dies', async () => {
    const asked = await askedRecord();
    const { k, forwarders, timeline } = keeper();
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    forwarders[0]!.crash();
    await waitFor(() => expect(forwarders).toHaveLength(2));
    await waitFor(() => expect(forwarders[1]!.bridged.map((b) => b.id)).toEqual([asked.id]));
    expect(timeline.at(-1)).toMatchObject({ type: 'kept', from: 'rebridge' });
    expect(k.kept.has(asked.id)).toBe(true);
    await k.close();
  });

  it('bridges again when the forwarder lost one bridge', async () => {
    const asked = await askedRecord();
    const { k, forwarder } = keeper();
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    forwarder().emit('lost', asked.id, 'connection to a.room lost');
    await waitFor(() => expect(forwarder().bridged).toHaveLength(2));
    expect(forwarder().stopped).toContain(asked.id);
    await k.close();
  });

  it('gives the call up when it cannot bridge it again: counted in the record, and a watcher then sends a job to relay it', async () => {
    const asked = await askedRecord();
    const { k, forwarder, logged } = keeper();
    k.ask(asked);
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    forwarder().fail.push(...Array.from({ length: REBRIDGE_TRIES }, () => 'refused'));
    forwarder().emit('lost', asked.id, 'gone');
    await waitFor(() => expect(logged.some((e) => e.event === 'keeper_gave_up')).toBe(true), 5000);
    const stored = (await records.store.read(asked.id))!;
    expect(stored).toMatchObject({ keeperFailures: 1, owner: 'keeper:worker-a' });
    expect(k.kept.size).toBe(0);
    // Once the lease runs out, a watcher claims it; a keeper that failed KEEPER_TRIES times is not asked again.
    const dispatched: string[] = [];
    // (A minute later, by the watcher's clock and its store's: the lease has run out, Redis was there all along.)
    let later = 60_000;
    const now = () => Date.now() + later;
    const watcher = new TakeoverWatcher({
      store: new TransferRecordStore({ redis: records.redis, prefix: records.prefix, now }),
      workerKey: 'worker-b',
      keeper: k,
      dispatch: async (record) => void dispatched.push(record.id),
      abandon: async () => undefined,
      now,
      log: () => undefined,
    });
    await records.store.write(asked.id, stored.fence, { keeperFailures: KEEPER_TRIES });
    await watcher.sweep();
    later += REACHABLE_BEFORE_CLAIM_MS;
    await watcher.sweep();
    expect(dispatched).toEqual([asked.id]);
    await k.close();
  });
});

describe('calls the server carries (Cloud)', () => {
  it('are taken once both are seen in the caller room, and ended when either leaves it (looked at every PRESENCE_POLL_MS)', async () => {
    const asked = await askedRecord({ topology: 'move' });
    const { k, room, forwarders, timeline } = keeper();
    room.put(asked.callerRoom, CALLER, DESTINATION_IDENTITY, 'warm-transfer-agent');
    k.ask(asked);
    await waitFor(() => expect(k.kept.get(asked.id)).toMatchObject({ carrier: 'server' }));
    expect(forwarders).toEqual([]);
    room.rooms.get(asked.callerRoom)!.delete(DESTINATION_IDENTITY);
    const left = Date.now();
    await waitFor(() => expect(timeline.at(-1)).toMatchObject({ type: 'ended', endedBy: 'destination_hung_up', carrier: 'server' }), PRESENCE_POLL_MS + 2000);
    expect(Date.now() - left).toBeLessThan(PRESENCE_POLL_MS + 1000);
    expect(room.deleted).toContain(asked.callerRoom);
    expect(await records.store.read(asked.id)).toBeUndefined();
    await k.close();
  });

  it('are left with their job while the person is not in the caller room yet', async () => {
    const asked = await askedRecord({ topology: 'move' });
    const { k, room, logged } = keeper();
    room.put(asked.callerRoom, CALLER, 'warm-transfer-agent');
    k.ask(asked);
    await waitFor(() => expect(logged.some((e) => e.event === 'keeper_refused')).toBe(true));
    expect((await records.store.read(asked.id))!.owner).toBe('worker-a/101');
  });
});

describe('taken over through the watcher, without a job', () => {
  it('carries on a bridged call whose job process died, at once, counting one resume; nobody is dispatched', async () => {
    const created = await records.store.create(bridgedRecord('worker-a/102'));
    const { k, forwarder } = keeper();
    const dispatched: string[] = [];
    const watcher = new TakeoverWatcher({
      store: records.store,
      workerKey: 'worker-a',
      keeper: k,
      isAlive: (pid) => pid !== 102,
      dispatch: async (record) => void dispatched.push(record.id),
      abandon: async () => undefined,
      log: () => undefined,
    });
    await watcher.sweep();
    await waitFor(() => expect(k.kept.has(created.id)).toBe(true));
    expect(forwarder().bridged.map((b) => b.id)).toEqual([created.id]);
    expect((await records.store.read(created.id))!).toMatchObject({ owner: 'keeper:worker-a', resumes: 1 });
    expect(dispatched).toEqual([]);
    await k.close();
  });

  it('ends what is left of a call whose person hung up while nobody attended it, without a bridge or a job', async () => {
    const created = await records.store.create(bridgedRecord('worker-a/104'));
    const { k, forwarders, room, timeline } = keeper();
    room.put(created.consultationRoom!, 'warm-transfer-agent');
    const dispatched: string[] = [];
    const watcher = new TakeoverWatcher({
      store: records.store,
      workerKey: 'worker-a',
      keeper: k,
      isAlive: (pid) => pid !== 104,
      dispatch: async (record) => void dispatched.push(record.id),
      abandon: async () => undefined,
      log: () => undefined,
    });
    await watcher.sweep();
    await waitFor(() => expect(timeline.at(-1)).toMatchObject({ type: 'ended', endedBy: 'destination_hung_up' }));
    expect(room.deleted.sort()).toEqual([created.callerRoom, created.consultationRoom].sort());
    expect(forwarders).toEqual([]);
    expect(dispatched).toEqual([]);
    expect(await records.store.read(created.id)).toBeUndefined();
    await k.close();
  });

  it('sends a job when the forwarder cannot carry it, under the fence the watcher claimed', async () => {
    const created = await records.store.create(bridgedRecord('worker-a/103'));
    const failing = new FakeForwarder();
    failing.fail.push('joining b.room: refused');
    const { k } = keeper({ startForwarder: () => failing });
    const dispatched: Array<{ id: string; fence: number; mode: string }> = [];
    const watcher = new TakeoverWatcher({
      store: records.store,
      workerKey: 'worker-a',
      keeper: k,
      isAlive: (pid) => pid !== 103,
      dispatch: async (_record, order) => void dispatched.push(order),
      abandon: async () => undefined,
      log: () => undefined,
    });
    await watcher.sweep();
    await waitFor(() => expect(dispatched).toEqual([{ id: created.id, fence: created.fence + 1, mode: 'resume' }]));
    expect(k.kept.size).toBe(0);
    expect((await records.store.read(created.id))!.fence).toBe(created.fence + 1);
    await k.close();
  });

  it("passes a live job's ask to the keeper, and only its own worker's", async () => {
    const asked = await askedRecord();
    const { k } = keeper();
    const ask = vi.spyOn(k, 'ask');
    const other = new TakeoverWatcher({
      store: records.store,
      workerKey: 'worker-b',
      keeper: k,
      dispatch: async () => undefined,
      abandon: async () => undefined,
      log: () => undefined,
    });
    await other.sweep();
    expect(ask).not.toHaveBeenCalled();
    const own = new TakeoverWatcher({
      store: records.store,
      workerKey: 'worker-a',
      keeper: k,
      isAlive: () => true,
      isOurJob: () => true,
      dispatch: async () => undefined,
      abandon: async () => undefined,
      log: () => undefined,
    });
    await own.sweep();
    expect(ask).toHaveBeenCalledWith(expect.objectContaining({ id: asked.id }));
    await waitFor(() => expect(k.kept.has(asked.id)).toBe(true));
    await k.close();
  });
});
