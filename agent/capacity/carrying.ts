// What a worker carries: its open transfers and bridged calls. Transfers run in job processes while the load
// is reported by the main process (agents-js calls loadFunc there), so each job holds a lease per transfer in
// Redis under the worker's key, renewed every second; the main process counts the leases that are still
// alive. A job that dies stops renewing, and its transfers stop counting within one lease.
import type { Redis } from 'ioredis';
import { LeasedMember } from './leased-member.ts';

export const CARRY_LEASE_MS = 3000;
export const CARRY_RENEW_MS = 1000;
/** Releasing a lease at the end of a transfer; a Redis that never answers must not hold the transfer's end. */
export const CARRY_RELEASE_TIMEOUT_MS = 2000;

export interface CarryOptions {
  redis: Redis;
  workerKey: string;
  /** Key prefix, so tests (and several deployments sharing a Redis) keep apart. */
  prefix?: string;
  leaseMs?: number;
  renewMs?: number;
  now?: () => number;
}

/** A transfer counted toward the worker's load; release() stops counting it (it ended). Idempotent. */
export type CarryLease = Pick<LeasedMember, 'release'>;

const keyOf = (prefix: string, workerKey: string) => `${prefix}carrying:${workerKey}`;

/** Counts `id` toward the worker's load until released (or until its process dies and the lease runs out). */
export function carry(options: CarryOptions, id: string): CarryLease {
  const { redis, workerKey, prefix = 'wt:', leaseMs = CARRY_LEASE_MS, renewMs = CARRY_RENEW_MS, now = Date.now } = options;
  const key = keyOf(prefix, workerKey);
  const renew = () =>
    redis
      .multi()
      .zadd(key, now() + leaseMs, id)
      .pexpire(key, leaseMs * 10)
      .exec();
  // Redis away: the transfer goes on; it only counts less until Redis is back.
  void renew().catch(() => undefined);
  return new LeasedMember({ redis, key, member: id, renew, renewMs, releaseTimeoutMs: CARRY_RELEASE_TIMEOUT_MS, what: 'releasing a carried transfer' });
}

/** How many live leases the worker holds: expired ones (from a dead process) are dropped on the way. */
export async function carried(options: Pick<CarryOptions, 'redis' | 'workerKey' | 'prefix' | 'now'>): Promise<number> {
  const { redis, workerKey, prefix = 'wt:', now = Date.now } = options;
  const key = keyOf(prefix, workerKey);
  const [, count] = (await redis.multi().zremrangebyscore(key, '-inf', now()).zcard(key).exec()) ?? [];
  if (!count || count[0]) throw count?.[0] ?? new Error('no answer from Redis');
  return Number(count[1]);
}
