// The load a worker reports counts the transfers its job processes carry, through the real Redis (its own
// database index and key prefix here, removed afterwards): leases add up per worker, a released transfer
// stops counting at once, and one whose process died (no more renewals) stops counting within its lease.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { carried, carry } from '../../agent/capacity/carrying.ts';
import { manualClock } from '../support/clock.ts';
import { testRedis } from '../support/redis.ts';

const { redis, prefix, close } = testRedis(inject('redisUrl'), 'transfers', 'carrying');
beforeAll(() => redis.ping());
afterAll(close);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('transfers carried, counted in Redis', () => {
  it("counts each worker's live transfers, and drops a released one at once", async () => {
    const a = { redis, workerKey: 'worker-a', prefix };
    const b = { redis, workerKey: 'worker-b', prefix };
    const first = carry(a, 'transfer-1');
    const second = carry(a, 'transfer-2');
    const other = carry(b, 'transfer-3');
    await sleep(100);
    expect(await carried(a)).toBe(2);
    expect(await carried(b)).toBe(1);
    await first.release();
    await first.release();
    expect(await carried(a)).toBe(1);
    await Promise.all([second.release(), other.release()]);
    expect(await carried(a)).toBe(0);
    expect(await carried(b)).toBe(0);
  });

  it('keeps counting a transfer whose lease is renewed, and stops within a lease once renewals stop', async () => {
    const clock = manualClock();
    const options = { redis, workerKey: 'worker-c', prefix, leaseMs: 400, renewMs: 100, now: clock.now };
    const alive = carry(options, 'alive');
    // A process that died: its lease was written once and never renewed (nor released).
    await redis.zadd(`${prefix}carrying:worker-c`, clock.now() + 400, 'died');
    await expect.poll(() => carried(options)).toBe(2);
    // Past the lease: the live one's next renewal (on its own timer) writes a lease from the new time.
    clock.advance(700);
    await expect.poll(() => carried(options), { timeout: 5000 }).toBe(1);
    await sleep(300);
    expect(await carried(options)).toBe(1);
    await alive.release();
  });
});
