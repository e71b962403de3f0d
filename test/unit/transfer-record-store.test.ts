// The transfer record in the real Redis (its own database index and key prefix here, removed afterwards):
// one open transfer per call, writes fenced by the owner's token, leases that run out when renewals stop,
// and a claim that fences the old owner out for good.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CallBusyError, FencedError, TransferRecordStore, type NewRecord } from '../../agent/transfer/record/store.ts';
import { manualClock } from '../support/clock.ts';
import { testRedis, unreachableRedis } from '../support/redis.ts';

const { redis, prefix, close } = testRedis(inject('redisUrl'), 'transfers', 'record-store');
beforeAll(() => redis.ping());
afterAll(close);

function fresh(overrides: Partial<NewRecord> = {}): NewRecord {
  return {
    id: randomUUID(),
    owner: 'worker-a/job-1',
    callerRoom: `call_${randomUUID()}`,
    callerIdentity: 'sip_caller',
    chain: ['extension 1002', '+1 512 555 1234'],
    index: 0,
    phase: { kind: 'idle' },
    deadlineAt: Date.now() + 300_000,
    ...overrides,
  };
}

describe('the transfer record store', () => {
  it("writes at every transition under the owner's fence, keeping what it was not told to change", async () => {
    const store = new TransferRecordStore({ redis, prefix });
    const record = await store.create(fresh());
    expect(record).toMatchObject({ fence: 1, version: 1, resumes: 0 });
    expect(await store.write(record.id, 1, { phase: { kind: 'dialing', ringing: false }, consultationRoom: 'wt-1' })).toBe(2);
    expect(await store.write(record.id, 1, { phase: { kind: 'briefing', prompted: true, reprompted: false } })).toBe(3);
    const read = await store.read(record.id);
    expect(read).toMatchObject({
      version: 3,
      phase: { kind: 'briefing', prompted: true, reprompted: false },
      consultationRoom: 'wt-1',
      chain: ['extension 1002', '+1 512 555 1234'],
      deadlineAt: record.deadlineAt,
    });
  });

  it('lets one transfer be open per call: a second request for the same room is refused', async () => {
    const store = new TransferRecordStore({ redis, prefix });
    const first = fresh();
    const [a, b] = await Promise.allSettled([store.create(first), store.create({ ...fresh(), callerRoom: first.callerRoom })]);
    expect([a.status, b.status].sort()).toEqual(['fulfilled', 'rejected']);
    const refused = (a.status === 'rejected' ? a : (b as PromiseRejectedResult)).reason;
    expect(refused).toBeInstanceOf(CallBusyError);
    const open = await store.openFor(first.callerRoom);
    expect(open).toBeDefined();
    const record = (await store.read(open!))!;
    await store.remove(record.id, record.fence, first.callerRoom);
    expect(await store.openFor(first.callerRoom)).toBeUndefined();
    await expect(store.create({ ...fresh(), callerRoom: first.callerRoom })).resolves.toMatchObject({ fence: 1 });
  });

  it('lists a record whose owner stopped renewing, and only that one', async () => {
    const clock = manualClock();
    const store = new TransferRecordStore({ redis, prefix, leaseMs: 300, now: clock.now });
    const renewed = await store.create(fresh());
    const abandoned = await store.create(fresh());
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      await store.renew(renewed.id, 1, renewed.callerRoom);
    }
    const expired = await store.expired();
    expect(expired).toContain(abandoned.id);
    expect(expired).not.toContain(renewed.id);
  });

  it('claims an expired record by raising the fence: the old owner can never write or renew again', async () => {
    const clock = manualClock();
    const store = new TransferRecordStore({ redis, prefix, leaseMs: 200, now: clock.now });
    const record = await store.create(fresh({ phase: { kind: 'dialing', ringing: true } }));
    expect(await store.claim(record.id, 'worker-b/job-7')).toBeUndefined(); // the lease still holds
    clock.advance(250);
    const fence = await store.claim(record.id, 'worker-b/job-7');
    expect(fence).toBe(2);
    expect(await store.claim(record.id, 'worker-c/job-1')).toBeUndefined(); // the new owner's lease holds
    await expect(store.write(record.id, 1, { phase: { kind: 'ended', outcome: 'no_answer' } })).rejects.toBeInstanceOf(FencedError);
    await expect(store.renew(record.id, 1, record.callerRoom)).rejects.toBeInstanceOf(FencedError);
    await expect(store.remove(record.id, 1, record.callerRoom)).rejects.toBeInstanceOf(FencedError);
    const read = (await store.read(record.id))!;
    expect(read).toMatchObject({ owner: 'worker-b/job-7', fence: 2, resumes: 1, phase: { kind: 'dialing', ringing: true } });
    await store.write(record.id, 2, { phase: { kind: 'dialing', ringing: false } });
    await store.remove(record.id, 2, record.callerRoom);
    expect(await store.read(record.id)).toBeUndefined();
  });

  it("claims at once, lease or not, when the owner's process was seen to exit", async () => {
    const store = new TransferRecordStore({ redis, prefix });
    const record = await store.create(fresh());
    expect(await store.claim(record.id, 'worker-a/job-2', true)).toBe(2);
    await store.remove(record.id, 2, record.callerRoom);
  });

  it('leaves nothing behind once a transfer is removed', async () => {
    const store = new TransferRecordStore({ redis, prefix });
    const record = await store.create(fresh());
    await store.remove(record.id, 1, record.callerRoom);
    expect(await redis.exists(`${prefix}transfer:${record.id}`, `${prefix}call:${record.callerRoom}`)).toBe(0);
    expect(await redis.zscore(`${prefix}transfer-leases`, record.id)).toBeNull();
  });
});

describe('opening a record when Redis is not there', () => {
  it('refuses the request as unavailable, in bounded time, so nobody is put on hold without a record', async () => {
    const { TransferRecordHandle } = await import('../../agent/transfer/record/handle.ts');
    // A closed loopback port: nothing answers.
    const down = unreachableRedis();
    const problems: unknown[] = [];
    const started = Date.now();
    const opened = await TransferRecordHandle.open(new TransferRecordStore({ redis: down, prefix }), fresh(), (e) => void problems.push(e));
    expect(opened).toEqual({ ok: false, reason: 'unavailable' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(problems).toHaveLength(1);
    down.disconnect();
  });
});
