// The takeover watcher against the real Redis (the unit project's database and a prefix of its own): which
// records it claims and when, how many times a transfer is carried on, and that two watchers never both
// take one record. Process liveness and the dispatch are the test's (no LiveKit here); the integration
// file transfer-takeover.test.ts kills real job processes and workers.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isChildProcess, MAX_RESUMES, ownerOf, processAlive, TakeoverWatcher, type TakeoverOptions } from '../../agent/takeover/watcher.ts';
import { FencedError, HANDOVER_MS, TransferRecordStore, type NewRecord, type TransferRecord } from '../../agent/transfer/record/store.ts';
import { type ResumeOrder, resumeOrderFromMetadata } from '../../agent/takeover/resume.ts';
import { manualClock } from '../support/clock.ts';
import { testRecords } from '../support/records.ts';

let records: ReturnType<typeof testRecords>;
beforeEach(() => {
  records = testRecords();
});
afterEach(async () => {
  await records.cleanup();
});

function fresh(owner: string, overrides: Partial<NewRecord> = {}): NewRecord {
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
    ...overrides,
  };
}

/**
 * A watcher for worker `key` whose dispatches and abandons are recorded; `dead` pids count as exited.
 * `laterMs` runs its clock (and its store's) ahead, as a sweep that much later would see the leases.
 */
function watcher(key: string, dead: Set<number>, overrides: Partial<TakeoverOptions> = {}, laterMs = 0) {
  const now = () => Date.now() + laterMs;
  const store = laterMs === 0 ? records.store : new TransferRecordStore({ redis: records.redis, prefix: records.prefix, now });
  const dispatched: Array<{ record: TransferRecord; order: ResumeOrder }> = [];
  const abandoned: TransferRecord[] = [];
  const logged: Array<Record<string, unknown>> = [];
  const w = new TakeoverWatcher({
    store,
    now,
    workerKey: key,
    dispatch: async (record, order) => void dispatched.push({ record, order }),
    abandon: async (record) => void abandoned.push(record),
    isAlive: (pid) => !dead.has(pid),
    log: (entry) => void logged.push(entry),
    ...overrides,
  });
  return { w, dispatched, abandoned, logged };
}

describe('the takeover watcher', () => {
  it('leaves a record alone while its owner runs and renews it', async () => {
    await records.store.create(fresh('worker-a/101'));
    const { w, dispatched } = watcher('worker-a', new Set());
    await w.sweep();
    expect(dispatched).toEqual([]);
  });

  it('claims at once the record of one of its own job processes that exited, fencing the old owner out', async () => {
    const created = await records.store.create(fresh('worker-a/102'));
    const { w, dispatched, logged } = watcher('worker-a', new Set([102]));
    await w.sweep();
    expect(dispatched).toHaveLength(1);
    expect(dispatched[0]!.order).toEqual({ id: created.id, fence: 2, mode: 'resume' });
    expect(dispatched[0]!.record).toMatchObject({ callerRoom: created.callerRoom, agentId: 'support', resumes: 1 });
    expect(logged[0]).toMatchObject({ event: 'takeover', why: 'job process exited', phase: 'briefing' });
    // The old owner's writes fail from now on; the dispatched job adopts under the new fence.
    await expect(records.store.write(created.id, 1, { index: 0 })).rejects.toBeInstanceOf(FencedError);
    const adopted = await records.store.adopt(created.id, 2, 'worker-a/103');
    expect(adopted.owner).toBe('worker-a/103');
    // What the previous owner left: its last renewal, not the adoption, is when the transfer went unattended.
    expect(adopted.renewedAt).toBe(created.renewedAt);
    // Adopted and renewed by a running process: nothing more to do.
    await w.sweep();
    expect(dispatched).toHaveLength(1);
  });

  it("does not judge another worker's processes by pid: their records wait for the lease to run out", async () => {
    const short = testRecords();
    try {
      const clock = manualClock();
      const store = new TransferRecordStore({ redis: short.redis, prefix: short.prefix, leaseMs: 150, now: clock.now });
      const created = await store.create(fresh('worker-b/104'));
      const { w, dispatched } = watcher('worker-a', new Set([104]), { store, now: clock.now });
      await w.sweep();
      expect(dispatched).toEqual([]);
      clock.advance(200);
      await w.sweep();
      expect(dispatched.map((d) => d.order)).toEqual([{ id: created.id, fence: 2, mode: 'resume' }]);
    } finally {
      await short.cleanup();
    }
  });

  it('leaves the record of its own job process alone while that process runs, however late its lease (a busy machine, not a death)', async () => {
    const short = testRecords();
    try {
      const clock = manualClock();
      const store = new TransferRecordStore({ redis: short.redis, prefix: short.prefix, leaseMs: 150, now: clock.now });
      const created = await store.create(fresh('worker-a/107'));
      clock.advance(200);
      const running = watcher('worker-a', new Set(), { store, now: clock.now, isOurJob: (pid) => pid === 107 });
      await running.w.sweep();
      expect(running.dispatched).toEqual([]);
      // It vouches for its job: the lease is renewed, so another worker's watcher leaves it alone too.
      const vouched = await store.read(created.id);
      expect(vouched!.leaseUntil).toBeGreaterThan(clock.now());
      expect(vouched).toMatchObject({ fence: 1, owner: 'worker-a/107' });
      const other = watcher('worker-b', new Set(), { store, now: clock.now });
      await other.w.sweep();
      expect(other.dispatched).toEqual([]);
      clock.advance(200);
      // The same pid alive but not a child of this worker (reused after a restart): the lease decides.
      const reused = watcher('worker-a', new Set(), { store, now: clock.now, isOurJob: () => false });
      await reused.w.sweep();
      expect(reused.dispatched.map((d) => d.order)).toEqual([{ id: created.id, fence: 2, mode: 'resume' }]);
      expect(reused.logged[0]).toMatchObject({ why: 'lease expired' });
    } finally {
      await short.cleanup();
    }
  });

  it('lets only one of two watchers take a record', async () => {
    const created = await records.store.create(fresh('worker-a/105'));
    const a = watcher('worker-a', new Set([105]));
    const b = watcher('worker-b', new Set([105]), {}, 10_000);
    await Promise.all([a.w.sweep(), b.w.sweep()]);
    expect(a.dispatched.length + b.dispatched.length).toBe(1);
    expect((await records.store.read(created.id))?.fence).toBe(2);
  });

  it('claims again a record whose dispatched job never adopted it, once the handover lease runs out', async () => {
    const created = await records.store.create(fresh('worker-a/106'));
    const first = watcher('worker-a', new Set([106]));
    await first.w.sweep();
    const later = watcher('worker-a', new Set(), {}, HANDOVER_MS + 1000);
    await later.w.sweep();
    expect(later.dispatched.map((d) => d.order)).toEqual([{ id: created.id, fence: 3, mode: 'resume' }]);
    expect(later.logged[0]).toMatchObject({ why: 'dispatched job never took over', resumes: 2 });
  });

  it('reports each claim for the metrics: what it did with the record, and why it claimed it', async () => {
    const claims: string[] = [];
    const onClaim: TakeoverOptions['onClaim'] = (mode, reason) => void claims.push(`${mode}/${reason}`);
    await records.store.create(fresh('worker-a/107'));
    await watcher('worker-a', new Set([107]), { onClaim }).w.sweep();
    await watcher('worker-a', new Set(), { onClaim }, HANDOVER_MS + 1000).w.sweep();
    await records.store.create(fresh('worker-a/108'));
    await watcher('worker-a', new Set([108]), { onClaim, callGone: async () => true }).w.sweep();
    expect(claims).toEqual(['resume/job_exited', 'resume/dispatch_lost', 'abandon/job_exited']);
  });

  it(`carries a transfer on ${MAX_RESUMES} times, then only ends it, then ends both legs itself`, async () => {
    const created = await records.store.create(fresh('worker-a/200'));
    const modes: string[] = [];
    for (let failure = 1; failure <= MAX_RESUMES + 2; failure++) {
      const pid = 200 + failure - 1;
      const { w, dispatched, abandoned } = watcher('worker-a', new Set([pid]));
      await w.sweep();
      if (abandoned.length > 0) {
        modes.push('abandon');
        expect(abandoned[0]).toMatchObject({ id: created.id, resumes: failure });
        break;
      }
      const { order } = dispatched[0]!;
      modes.push(order.mode);
      await records.store.adopt(created.id, order.fence, `worker-a/${pid + 1}`);
    }
    expect(modes).toEqual([...Array.from({ length: MAX_RESUMES }, () => 'resume'), 'end', 'abandon']);
  });

  it('dispatches nobody for a call that ended while its job was dead: only what is left is ended', async () => {
    const created = await records.store.create(fresh('worker-a/400'));
    const { w, dispatched, abandoned, logged } = watcher('worker-a', new Set([400]), { callGone: async () => true });
    await w.sweep();
    expect(dispatched).toEqual([]);
    expect(abandoned.map((r) => r.id)).toEqual([created.id]);
    expect(logged[0]).toMatchObject({ mode: 'abandon', callGone: true });
  });

  it('logs a failed dispatch and tries again when the handover lease runs out', async () => {
    const created = await records.store.create(fresh('worker-a/300'));
    const { w, logged } = watcher('worker-a', new Set([300]), { dispatch: async () => Promise.reject(new Error('server away')) });
    await w.sweep();
    expect(logged.at(-1)).toMatchObject({ event: 'takeover_failed', transfer: created.id, errorType: 'Error', 'lk.pii.error': 'server away' });
    const later = watcher('worker-a', new Set(), {}, HANDOVER_MS + 1000);
    await later.w.sweep();
    expect(later.dispatched).toHaveLength(1);
  });
});

describe('owners, processes and metadata', () => {
  it('reads owners and the resume order a dispatch carries', () => {
    expect(ownerOf('worker-a/123')).toEqual({ workerKey: 'worker-a', pid: 123 });
    expect(ownerOf('watcher:worker-a')).toEqual({ workerKey: 'worker-a' });
    expect(ownerOf('no-pid')).toEqual({ workerKey: 'no-pid' });
    expect(resumeOrderFromMetadata(JSON.stringify({ agentId: 'x', resume: { id: 'r1', fence: 3, mode: 'end' } }))).toEqual({ id: 'r1', fence: 3, mode: 'end' });
    expect(resumeOrderFromMetadata(JSON.stringify({ resume: { id: 'r1', fence: 'x', mode: 'resume' } }))).toBeUndefined();
    expect(resumeOrderFromMetadata('support')).toBeUndefined();
    expect(resumeOrderFromMetadata(undefined)).toBeUndefined();
  });

  it('tells a running process from one that has gone', async () => {
    expect(processAlive(process.pid)).toBe(true);
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(processAlive(child.pid!)).toBe(false);
  });

  it('tells a job process of this worker (a running child) from any other process', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      expect(isChildProcess(child.pid!)).toBe(true);
      expect(isChildProcess(process.pid)).toBe(false);
      expect(isChildProcess(process.ppid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(isChildProcess(child.pid!)).toBe(false);
  });
});
