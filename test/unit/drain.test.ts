// A worker stopping (agent/drain.ts): its kept calls and its jobs' asks offered to the other workers' keepers
// over the real Redis, each taken by exactly one of them, the draining keeper letting go only once the other
// has the call; and the bound: whatever never ends (a call nobody takes, jobs that run on, a close that hangs),
// the drain is over within it. The phones, the forwarder and a real rolling restart are the integration test's
// (worker-drain.test.ts).
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLOSE_RESERVE_MS, drainWorker, type DrainParts } from '../../agent/drain.ts';
import { REPLACED_WAIT_MS } from '../../agent/keeper/forwarding.ts';
import { OFFER_AGAIN_MS, TakeoverWatcher } from '../../agent/takeover/watcher.ts';
import type { TransferRecord } from '../../agent/transfer/record/store.ts';
import { bridgedRecord, testKeeper, type TestKeeperOptions } from '../support/keeper.ts';
import { testRecords } from '../support/records.ts';

let records: ReturnType<typeof testRecords>;
const closers: Array<() => Promise<void> | void> = [];
beforeEach(() => {
  records = testRecords();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await records.cleanup();
});

const waitFor = (check: () => unknown, timeout = 3000) => vi.waitFor(check, { timeout, interval: 10 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A worker: its keeper (fake forwarders and rooms) and its watcher (no sweeps; `jobs` are its job processes). */
function worker(workerKey: string, jobs: number[] = [], options: TestKeeperOptions = {}) {
  const keeper = testKeeper(records.store, { workerKey, ...options });
  const logged: Array<Record<string, unknown>> = [];
  const watcher = new TakeoverWatcher({
    store: records.store,
    workerKey,
    keeper: keeper.k,
    isOurJob: (pid) => jobs.includes(pid),
    intervalMs: 3_600_000, // no sweep: what happens here comes from the asks and offers as they are published
    dispatch: async () => undefined,
    abandon: async () => undefined,
    log: (entry) => void logged.push(entry),
  });
  watcher.start();
  closers.push(async () => {
    await watcher.stop();
    await keeper.k.close();
  });
  return { ...keeper, watcher, logged, key: workerKey };
}

/** A framework server whose jobs have all ended. */
const idleServer = { drain: async () => undefined, close: async () => undefined };

/** A bridged call worker `from`'s keeper carries (asked for by its job 101, as request.ts writes it). */
async function keptBy(from: ReturnType<typeof worker>): Promise<TransferRecord> {
  const created = await records.store.create(bridgedRecord(`${from.key}/101`));
  await records.store.write(created.id, created.fence, { handoff: { askedAt: Date.now() }, bridgedAt: Date.now() });
  from.k.ask((await records.store.read(created.id))!);
  await waitFor(() => expect(from.k.kept.has(created.id)).toBe(true));
  return (await records.store.read(created.id))!;
}

function drain(from: ReturnType<typeof worker>, overrides: Partial<DrainParts> = {}) {
  const logged: Array<Record<string, unknown>> = [];
  const done = drainWorker({
    server: idleServer,
    keeper: from.k,
    watcher: from.watcher,
    store: records.store,
    boundMs: 10_000,
    log: (e) => void logged.push(e),
    ...overrides,
  });
  return { done, logged };
}

describe('a stopping worker hands its bridged calls to another worker', () => {
  it('offers each kept call; the other keeper bridges it, then takes the record; only then does this one let go', async () => {
    const a = worker('worker-a');
    const b = worker('worker-b');
    const kept = await keptBy(a);
    b.k.warm();
    const order: string[] = [];
    const bridge = b.forwarder().bridge.bind(b.forwarder());
    b.forwarder().bridge = async (spec) => {
      await bridge(spec);
      order.push(`b bridged ${spec.id}`);
    };
    const stop = a.forwarder().stop.bind(a.forwarder());
    a.forwarder().stop = async (id) => {
      order.push(`a stopped ${id}`);
      await stop(id);
    };

    const { done, logged } = drain(a);
    const report = await done;

    expect(report).toMatchObject({ handedOver: 1, notTaken: 0, jobsEnded: true });
    expect(report.ms).toBeLessThan(2000);
    expect(order).toEqual([`b bridged ${kept.id}`, `a stopped ${kept.id}`]);
    // Each keeper's forwarder joins as itself, so the new one does not push the old one out before it carries the call.
    expect(a.forwarder().bridged[0]!.a.token).toMatch(/-as-transfer-forwarder-worker-a$/);
    expect(b.forwarder().bridged[0]!.a.token).toMatch(/-as-transfer-forwarder-worker-b$/);
    expect(await records.store.read(kept.id)).toMatchObject({ owner: 'keeper:worker-b', fence: kept.fence + 1, resumes: 0 });
    expect(b.k.kept.has(kept.id)).toBe(true);
    expect(a.k.kept.size).toBe(0);
    expect(b.timeline.find((e) => e.type === 'kept')).toMatchObject({
      transferId: kept.id,
      carrier: 'forwarder',
      from: 'drain',
      previous: 'keeper:worker-a',
      held: { oldLeft: true },
    });
    // Bridged held (nothing carried while the old forwarder still is), released once the old one has left.
    expect(b.forwarder().bridged[0]!.held).toBe(true);
    expect(b.forwarder().released).toEqual([kept.id]);
    expect(logged.map((e) => e.event)).toEqual(['drain_started', 'drain_handed_over', 'drain_finished']);
    expect(logged[1]).toMatchObject({ transfer: kept.id, to: 'keeper:worker-b' });
  });

  it("sends a job's ask made during the stop to another worker's keeper, not its own", async () => {
    const a = worker('worker-a', [105]);
    const b = worker('worker-b');
    a.k.drain();
    a.watcher.drain();
    const created = await records.store.create(bridgedRecord('worker-a/105'));
    await records.store.write(created.id, created.fence, { handoff: { askedAt: Date.now() }, bridgedAt: Date.now() });
    await waitFor(() => expect(b.k.kept.has(created.id)).toBe(true));
    expect(await records.store.read(created.id)).toMatchObject({ owner: 'keeper:worker-b', resumes: 0 });
    expect(a.forwarders.flatMap((f) => f.bridged)).toEqual([]);
    expect(b.timeline.find((e) => e.type === 'kept')).toMatchObject({ from: 'drain', sinceAskMs: expect.any(Number) });
    // From a job that still relays it: held until the phones hear the forwarder, released once the record is taken.
    expect(b.forwarders.flatMap((f) => f.bridged).map((spec) => spec.held)).toEqual([true]);
    expect(b.forwarders.flatMap((f) => f.released)).toEqual([created.id]);
  });

  it('is taken by exactly one of the other workers, and never by another worker that is stopping too', async () => {
    const a = worker('worker-a');
    const b = worker('worker-b');
    const c = worker('worker-c');
    const d = worker('worker-d');
    d.k.drain();
    d.watcher.drain();
    const kept = await keptBy(a);
    const report = await drain(a).done;
    expect(report.handedOver).toBe(1);
    await sleep(300); // a second taker would have bridged by now
    const bridgedBy = [b, c, d].filter((w) => w.forwarders.some((f) => f.bridged.some((s) => s.id === kept.id))).map((w) => w.key);
    expect(bridgedBy).toHaveLength(1);
    expect(bridgedBy[0]).not.toBe('worker-d');
    expect((await records.store.read(kept.id))!.owner).toBe(`keeper:${bridgedBy[0]}`);
  });

  it('does not take a call from a line where one side is gone: the keeper carrying it now ends it', async () => {
    const a = worker('worker-a');
    const b = worker('worker-b');
    const kept = await keptBy(a);
    b.room.put(kept.callerRoom, 'warm-transfer-agent'); // the caller has hung up
    const report = await drain(a, { boundMs: 1200 }).done;
    expect(report).toMatchObject({ handedOver: 0, notTaken: 1 });
    expect(b.k.kept.size).toBe(0);
    expect((await records.store.read(kept.id))!.owner).toBe('keeper:worker-a');
  });
});

describe('a forwarder pushed out of its rooms by another with the same identity (DUPLICATE_IDENTITY)', () => {
  const pushedOut = 'disconnected from room "wt-1": DUPLICATE_IDENTITY';

  it('lets the call go once another keeper has the record, without bridging it again (which would push that one out)', async () => {
    const a = worker('worker-a');
    const kept = await keptBy(a);
    a.forwarder().emit('lost', kept.id, pushedOut);
    await sleep(200);
    expect(await records.store.handOver(kept.id, kept.fence, 'keeper:worker-b')).toBe(kept.fence + 1);
    await waitFor(() => expect(a.k.kept.size).toBe(0));
    expect(a.forwarder().bridged.map((b) => b.id)).toEqual([kept.id]); // the first bridge only
    expect(a.timeline.find((e) => e.type === 'error')).toMatchObject({ effect: 'forward', lost: true, replaced: true });
  });

  it('bridges again when no keeper takes the record within REPLACED_WAIT_MS', async () => {
    const a = worker('worker-a');
    const kept = await keptBy(a);
    const pushed = Date.now();
    a.forwarder().emit('lost', kept.id, pushedOut);
    await waitFor(() => expect(a.forwarder().bridged.map((b) => b.id)).toEqual([kept.id, kept.id]), REPLACED_WAIT_MS + 2000);
    expect(Date.now() - pushed).toBeGreaterThanOrEqual(REPLACED_WAIT_MS - 100);
    expect(a.k.kept.has(kept.id)).toBe(true);
  });
});

describe('the drain is over within its bound', () => {
  it('with a kept call nobody takes: offered again every OFFER_AGAIN_MS, then left to the next worker', async () => {
    const a = worker('worker-a');
    const kept = await keptBy(a);
    const offers: string[] = [];
    const store = { offer: async (id: string) => void offers.push(id), read: (id: string) => records.store.read(id) };
    // Given up at the bound less its reserve for closing (a quarter of a short bound): at 5 s here, so offered
    // at 0, 2 and 4 s.
    const boundMs = 6700;
    expect(boundMs - Math.min(CLOSE_RESERVE_MS, boundMs / 4)).toBeGreaterThan(2 * OFFER_AGAIN_MS);
    expect(boundMs - Math.min(CLOSE_RESERVE_MS, boundMs / 4)).toBeLessThan(3 * OFFER_AGAIN_MS);
    const started = Date.now();
    const report = await drain(a, { store, boundMs }).done;
    expect(Date.now() - started).toBeLessThanOrEqual(boundMs + 200);
    expect(report).toMatchObject({ handedOver: 0, notTaken: 1, jobsEnded: true });
    expect(offers).toEqual([kept.id, kept.id, kept.id]);
    // Left as it is: the record still says this keeper (its lease runs out once the process has gone).
    expect((await records.store.read(kept.id))!.owner).toBe('keeper:worker-a');
  });

  it('with jobs that never end and a close that never returns', async () => {
    const a = worker('worker-a');
    const drained: number[] = [];
    const server = {
      drain: (timeout?: number) =>
        new Promise<void>((_, reject) => (drained.push(timeout!), setTimeout(() => reject(new Error('timed out draining')), timeout))),
      close: () => new Promise<void>(() => undefined),
    };
    const started = Date.now();
    const { done, logged } = drain(a, { server, boundMs: 2000 });
    const report = await done;
    expect(Date.now() - started).toBeLessThanOrEqual(2100);
    expect(report.jobsEnded).toBe(false);
    expect(drained[0]).toBeLessThanOrEqual(1500);
    expect(logged.map((e) => e.event)).toEqual(['drain_started', 'drain_bound_reached', 'drain_finished']);
  });

  it('whenever the calls are taken, the jobs end and the close returns (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.integer({ min: 0, max: 900 }), { nil: undefined }), { maxLength: 4 }),
        fc.option(fc.integer({ min: 0, max: 900 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 900 }), { nil: undefined }),
        fc.integer({ min: 400, max: 1000 }),
        async (takenAfter, jobsEndAfter, closeAfter, boundMs) => {
          // Pure fakes: call i is taken by another keeper `takenAfter[i]` ms after the drain starts (or never); the
          // jobs end after `jobsEndAfter` (or never), whatever timeout the drain is given; the close likewise.
          const started = Date.now();
          const ids = takenAfter.map((_, i) => `call-${i}`);
          const kept = new Map(ids.map((id) => [id, { carrier: 'forwarder' as const, fence: 2 }]));
          const letGo: string[] = [];
          const keeper = {
            owner: 'keeper:a',
            kept,
            drain: () => undefined,
            close: async () => undefined,
            letGo: async (id: string) => void (kept.delete(id), letGo.push(id)),
          };
          const store = {
            offer: async () => undefined,
            read: async (id: string) => {
              const after = takenAfter[ids.indexOf(id)];
              return { owner: after !== undefined && Date.now() - started >= after ? 'keeper:b' : 'keeper:a' } as TransferRecord;
            },
          };
          const never = new Promise<void>(() => undefined);
          const server = {
            drain: (timeout?: number): Promise<void> =>
              jobsEndAfter === undefined
                ? new Promise<void>((_, reject) => setTimeout(() => reject(new Error('timed out')), timeout))
                : sleep(jobsEndAfter).then(() => undefined),
            close: (): Promise<void> => (closeAfter === undefined ? never : sleep(closeAfter).then(() => undefined)),
          };
          const report = await drainWorker({
            server,
            keeper,
            watcher: { drain: () => undefined, stop: async () => undefined },
            store,
            boundMs,
            log: () => undefined,
          });
          const elapsed = Date.now() - started;
          expect(elapsed).toBeLessThanOrEqual(boundMs + 400);
          expect(report.handedOver + report.notTaken).toBe(ids.length);
          // Let go only of what another keeper has; anything taken well before the give-up is let go.
          for (const id of letGo) expect(takenAfter[ids.indexOf(id)]).toBeDefined();
          const giveUp = boundMs - Math.min(CLOSE_RESERVE_MS, boundMs / 4);
          for (const [i, after] of takenAfter.entries()) if (after !== undefined && after < giveUp - 250) expect(letGo).toContain(ids[i]);
        },
      ),
      { numRuns: 15 },
    );
  }, 60_000);
});
