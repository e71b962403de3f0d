// The owner of a transfer rides out a Redis restart: its own redis-server (append-only, so the record survives)
// is stopped and started again on the same port while the transfer goes on. Renewals and writes that fail for
// want of Redis end nothing and never count as being fenced; what a write said while Redis was away is in the
// record once Redis is back, and a close that failed is done once Redis answers again.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectRedis } from '../../agent/redis.ts';
import { TransferRecordStore, type NewRecord } from '../../agent/transfer/record/store.ts';
import { TransferRecordHandle } from '../../agent/transfer/record/handle.ts';
import { startOwnRedis, type OwnRedis } from '../support/own-redis.ts';
import { eventually } from '../support/rooms.ts';

let own: OwnRedis;
let redis: Redis;
let store: TransferRecordStore;

beforeAll(async () => {
  own = await startOwnRedis();
  redis = connectRedis(own.url);
  store = new TransferRecordStore({ redis, prefix: `outage-${randomUUID()}:` });
});
// Each case starts with Redis up, whatever the one before left.
beforeEach(() => own.start());
afterAll(async () => {
  redis.disconnect();
  await own.stop();
});

function fresh(): NewRecord {
  return {
    id: randomUUID(),
    owner: 'worker-a/101',
    callerRoom: `call_${randomUUID()}`,
    callerIdentity: 'sip_caller',
    chain: ['+15125551234'],
    index: 0,
    phase: { kind: 'dialing', ringing: true },
    deadlineAt: Date.now() + 300_000,
  };
}

async function opened(problems: unknown[], fenced: string[]): Promise<TransferRecordHandle> {
  const result = await TransferRecordHandle.open(
    store,
    fresh(),
    (error) => void problems.push(error),
    () => void fenced.push('fenced'),
  );
  if (!result.ok) throw new Error(`not opened: ${result.reason}`);
  return result.record;
}

describe("a transfer record's owner while Redis restarts", { timeout: 30_000 }, () => {
  it('writes what happened during the outage once Redis is back, and is never taken for fenced', async () => {
    const problems: unknown[] = [];
    const fenced: string[] = [];
    const record = await opened(problems, fenced);
    await own.stop();
    // The destination answered while Redis was away: the write fails, and nothing ends.
    await record.update({ phase: { kind: 'briefing', prompted: false, reprompted: false }, summary: 'A billing dispute.' });
    await new Promise((r) => setTimeout(r, 1200));
    expect(record.fenced).toBe(false);
    expect(problems.length).toBeGreaterThan(0);
    await own.start();
    const back = Date.now();
    await eventually(async () => (await store.read(record.id))?.summary === 'A billing dispute.', 5000, 'the missed write written again');
    expect(await store.read(record.id)).toMatchObject({ phase: { kind: 'briefing' }, fence: 1 });
    expect(record.behind).toBe(false);
    // Renewed again: the lease runs from after the restart.
    await eventually(async () => ((await store.read(record.id))?.leaseUntil ?? 0) > back + 1000, 3000, 'a renewal');
    expect(fenced).toEqual([]);
    expect(record.fenced).toBe(false);
    // Later writes land in order on top of it.
    await record.update({ phase: { kind: 'bridged', source: 'keypad' } });
    expect(await store.read(record.id)).toMatchObject({ phase: { kind: 'bridged' }, summary: 'A billing dispute.' });
    await record.close('ended');
    expect(await store.read(record.id)).toBeUndefined();
  });

  it('closes the record once Redis is back when closing failed during the outage', async () => {
    const record = await opened([], []);
    const { id, callerRoom } = record;
    await own.stop();
    await record.close('ended');
    await own.start();
    await eventually(async () => (await store.read(id)) === undefined && (await store.openFor(callerRoom)) === undefined, 5000, 'the record closed');
  });

  it('stops at once when another owner claimed the record: only that is being fenced', async () => {
    const fenced: string[] = [];
    const record = await opened([], fenced);
    expect(await store.claim(record.id, 'watcher:worker-b', true)).toBe(2);
    await record.update({ index: 0 });
    expect(fenced).toEqual(['fenced']);
    expect(record.fenced).toBe(true);
  });
});
