// The one mechanism behind the carried transfers and the organization's places, against the real Redis (the
// unit project's, a prefix of the test's own): a member kept alive by its renewals, removed at once by a
// release that may be called any number of times, and a release that returns within its bound even when
// Redis never answers.
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeasedMember } from '../../agent/capacity/leased-member.ts';
import { testRecords } from '../support/records.ts';

const records = testRecords();
let silent: Server;
const sockets = new Set<Socket>();
let hanging: Redis;

beforeAll(async () => {
  // Accepts, reads and never writes a byte.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  hanging = new Redis(`redis://127.0.0.1:${(silent.address() as { port: number }).port}`, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
});
afterAll(async () => {
  hanging.disconnect();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
  await records.cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A member of `key` leased for `leaseMs` from each renewal, as carrying.ts and transfer-limits.ts write it. */
function lease(redis: Redis, key: string, member: string, leaseMs: number, renewMs: number): { member: LeasedMember; renewals: () => number } {
  let renewals = 0;
  const renew = async () => {
    renewals++;
    await redis.zadd(key, Date.now() + leaseMs, member);
  };
  void renew().catch(() => undefined); // the first lease, written by the owner (its failure only shortens it)
  const leased = new LeasedMember({ redis, key, member, renew, renewMs, releaseTimeoutMs: 300, what: 'releasing a test member' });
  return { member: leased, renewals: () => renewals };
}

const alive = (redis: Redis, key: string) => redis.zrangebyscore(key, `(${Date.now()}`, '+inf');

describe('a leased member of a sorted set', () => {
  it('outlives its lease while renewed, and is gone at once when released, however often', async () => {
    const key = `${records.prefix}leased`;
    const { member, renewals } = lease(records.redis, key, 'kept', 200, 50);
    await sleep(500);
    expect(renewals()).toBeGreaterThanOrEqual(5);
    expect(await alive(records.redis, key)).toEqual(['kept']);
    await Promise.all([member.release(), member.release()]);
    await member.release();
    expect(await records.redis.zcard(key)).toBe(0);
    const after = renewals();
    await sleep(200);
    expect(renewals()).toBe(after);
  });

  it('runs out by itself within one lease once its renewals stop (its process died)', async () => {
    const key = `${records.prefix}died`;
    await records.redis.zadd(key, Date.now() + 200, 'died');
    const { member } = lease(records.redis, key, 'living', 200, 50);
    await sleep(400);
    expect(await alive(records.redis, key)).toEqual(['living']);
    await member.release();
  });

  it('is released within its bound when Redis never answers, and never throws', async () => {
    const { member } = lease(hanging, 'never-answered', 'm', 200, 50);
    const started = Date.now();
    await expect(member.release()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
