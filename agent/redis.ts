// The worker's Redis (REDIS_URL; the same Redis LiveKit uses): state shared between the worker's main process,
// its job processes and other workers lives there, never in one process's memory.
import { Redis } from 'ioredis';

/** A client that fails fast instead of queueing commands while Redis is away: callers bound their own waits. */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  // ioredis reports connection trouble as 'error' events; without a listener they would crash the process.
  redis.on('error', () => undefined);
  return redis;
}
