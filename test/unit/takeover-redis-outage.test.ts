// The takeover watcher tells a dead owner from an unreachable Redis: a lease that ran out while Redis was away
// is not read as a death until the watcher has reached Redis without a break for REACHABLE_BEFORE_CLAIM_MS
// (live owners renew first); a process seen to exit is still claimed at once, and an owner that really died
// during the outage is still taken over afterwards. Against real Redis: the unit project's for the clocked
// cases, and a redis-server of the test's own, stopped and started again, for the restart.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectedSince, connectRedis } from '../../agent/redis.ts';
import { REACHABLE_BEFORE_CLAIM_MS, TakeoverWatcher, type TakeoverOptions } from '../../agent/takeover/watcher.ts';
import { TransferRecordStore, type NewRecord, type TransferRecord } from '../../agent/transfer/record/store.ts';
import { TransferRecordHandle } from '../../agent/transfer/record/handle.ts';
import { startOwnRedis, type OwnRedis } from '../support/own-redis.ts';
import { testRecords } from '../support/records.ts';

let records: ReturnType<typeof testRecords>;
beforeEach(() => {
  records = testRecords();
});
afterEach(async () => {
  await records.cleanup();
});

function fresh(owner: string): NewRecord {
  return {
    id: randomUUID(),
    owner,
    agentId: 'support',
    callerRoom: `call_${randomUUID()}`,
    callerIdentity: 'sip_caller',
    chain: ['+15125551234'],
    index: 0,
    phase: { kind: 'briefing', prompted: true, reprompted: false },
    consultationRoom: `wt-${randomUUID()}`,
    deadlineAt: Date.now() + 300_000,
  };
}

/** A watcher of worker-b on a clock the test moves; its claims are recorded. */
function clocked(store: TransferRecordStore, clock: { t: number }, overrides: Partial<TakeoverOptions> = {}) {
  const claimed: string[] = [];
  const w = new TakeoverWatcher({
    store,
    workerKey: 'worker-b',
    now: () => clock.t,
    isAlive: () => true,
    log: () => undefined,
    dispatch: async (record) => void claimed.push(record.id),
    abandon: async (record) => void claimed.push(record.id),
    ...overrides,
  });
  return { w, claimed };
}

describe('a watcher just after a Redis outage', () => {
  it('leaves a lease that ran out alone until its Redis has been connected for REACHABLE_BEFORE_CLAIM_MS, then claims it', async () => {
    const clock = { t: Date.now() };
    const store = new TransferRecordStore({ redis: records.redis, prefix: records.prefix, now: () => clock.t });
    const created = await store.create(fresh('worker-a/101'));
    clock.t += 10_000; // the lease ran out long ago: the owner's worker never renewed it
    let since: number | undefined = clock.t; // and the watcher's client has only now reconnected
    const { w, claimed } = clocked(store, clock, { connectedSince: () => since });
    await w.sweep();
    expect(claimed).toEqual([]);
    clock.t += REACHABLE_BEFORE_CLAIM_MS - 1;
    await w.sweep();
    expect(claimed).toEqual([]);
    since = undefined; // lost again: no claim, however long the lease is over
    clock.t += 60_000;
    await w.sweep();
    expect(claimed).toEqual([]);
    since = clock.t;
    clock.t += REACHABLE_BEFORE_CLAIM_MS;
    await w.sweep();
    expect(claimed).toEqual([created.id]);
  });

  it('counts from the first sweep that read Redis again after one that failed', async () => {
    const clock = { t: Date.now() };
    let away = true;
    // The real store, whose reads fail while `away` (as they do when the client finds no Redis).
    const flaky = new (class extends TransferRecordStore {
      override all(): Promise<TransferRecord[]> {
        return away ? Promise.reject(new Error('connect ECONNREFUSED')) : super.all();
      }
    })({ redis: records.redis, prefix: records.prefix, now: () => clock.t });
    const created = await flaky.create(fresh('worker-a/102'));
    const { w, claimed } = clocked(flaky, clock);
    clock.t += 10_000;
    await expect(w.sweep()).rejects.toThrow('ECONNREFUSED');
    away = false;
    await w.sweep();
    clock.t += REACHABLE_BEFORE_CLAIM_MS - 1;
    await w.sweep();
    expect(claimed).toEqual([]);
    clock.t += 1;
    await w.sweep();
    expect(claimed).toEqual([created.id]);
  });

  it('still claims at once the record of its own job process that exited', async () => {
    const clock = { t: Date.now() };
    const store = new TransferRecordStore({ redis: records.redis, prefix: records.prefix, now: () => clock.t });
    const created = await store.create(fresh('worker-b/103'));
    const { w, claimed } = clocked(store, clock, { connectedSince: () => clock.t, isAlive: (pid) => pid !== 103 });
    await w.sweep();
    expect(claimed).toEqual([created.id]);
  });
});

describe('two workers while their Redis restarts', { timeout: 30_000 }, () => {
  let own: OwnRedis | undefined;
  afterAll(async () => {
    await own?.stop();
  });

  it('the live owner keeps its transfer; the owner that died during the outage is taken over once Redis is steady', async () => {
    own = await startOwnRedis();
    const prefix = `restart-${randomUUID()}:`;
    const ownerRedis = connectRedis(own.url);
    const watcherRedis = connectRedis(own.url);
    const ownerStore = new TransferRecordStore({ redis: ownerRedis, prefix });
    const watcherStore = new TransferRecordStore({ redis: watcherRedis, prefix });
    const claimed: Array<{ id: string; at: number }> = [];
    const watcher = new TakeoverWatcher({
      store: watcherStore,
      workerKey: 'worker-b',
      connectedSince: connectedSince(watcherRedis),
      log: () => undefined,
      dispatch: async (record) => void claimed.push({ id: record.id, at: Date.now() }),
      abandon: async () => undefined,
    });
    let live: TransferRecordHandle | undefined;
    try {
      const opened = await TransferRecordHandle.open(
        ownerStore,
        fresh('worker-a/201'),
        () => undefined,
        () => undefined,
      );
      if (!opened.ok) throw new Error(opened.reason);
      live = opened.record;
      // The other one's owner renews only until the outage: its whole worker dies while Redis is away.
      const dead = await ownerStore.create(fresh('worker-a/202'));
      const deadRenewals = setInterval(() => void ownerStore.renew(dead.id, 1, dead.callerRoom).catch(() => undefined), 500);
      watcher.start();
      await new Promise((r) => setTimeout(r, 1000));
      await own.stop();
      clearInterval(deadRenewals);
      await new Promise((r) => setTimeout(r, 3000)); // twice the lease
      await own.start();
      const back = Date.now();
      await new Promise((r) => setTimeout(r, REACHABLE_BEFORE_CLAIM_MS + 2000));
      expect(claimed.map((c) => c.id)).toEqual([dead.id]);
      expect(claimed[0]!.at - back).toBeGreaterThanOrEqual(REACHABLE_BEFORE_CLAIM_MS - 250);
      expect(live.fenced).toBe(false);
      expect(await watcherStore.read(live.id)).toMatchObject({ fence: 1, owner: 'worker-a/201' });
    } finally {
      await watcher.stop();
      await live?.close('ended');
      ownerRedis.disconnect();
      watcherRedis.disconnect();
    }
  });
});
