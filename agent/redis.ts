// The worker's Redis (REDIS_URL; the same Redis LiveKit uses): state shared between the worker's main process,
// its job processes and other workers lives there, never in one process's memory.
import { Redis } from 'ioredis';

/**
 * The longest wait between two reconnection attempts. A restarted Redis is found again by every client within
 * this long, so the owners of transfers renew their leases soon after it is back, before any watcher may
 * take them for dead (takeover/watcher.ts waits for that).
 */
export const RECONNECT_MAX_MS = 500;

/** A client that fails fast instead of queueing commands while Redis is away: callers bound their own waits. */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_MAX_MS),
  });
  // ioredis reports connection trouble as 'error' events; without a listener they would crash the process.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Since when `redis` has been connected without a break (epoch ms), or undefined while it is not: a watcher
 * must not read a lease that ran out while Redis was away as a dead owner (takeover/watcher.ts).
 */
export function connectedSince(redis: Redis, now: () => number = Date.now): () => number | undefined {
  let since = redis.status === 'ready' ? now() : undefined;
  redis.on('ready', () => (since = now()));
  for (const lost of ['close', 'end', 'reconnecting'] as const) redis.on(lost, () => (since = undefined));
  return () => since;
}
