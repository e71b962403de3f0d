// How the settings store talks to Redis, and how a request tells "Redis is away" from a bug. Every command
// is bounded: the service and the workers (agent/call-settings/store.ts) use this client during calls, and a
// Redis that stops answering must turn into a quick error (a 503 in the service), never a hang.
//
// Blocking reads: commandTimeout applies to every command, blocking ones too. A client made with
// `store.redis.duplicate()` for XREAD/XREADGROUP ... BLOCK <ms> must block for less than
// REDIS_COMMAND_TIMEOUT_MS (the webhook sender blocks 1000 ms), or pass its own `commandTimeout` to
// duplicate() (at least the block time plus a margin).
import type { RedisOptions } from 'ioredis';

/** A command that has no answer after this long fails ("Command timed out"). */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;
/** A TCP connection to Redis that is not established after this long is abandoned (and retried). */
export const REDIS_CONNECT_TIMEOUT_MS = 2000;

export const redisOptions = {
  lazyConnect: false,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
  // A command waiting for a reconnect fails after one retry rather than twenty.
  maxRetriesPerRequest: 1,
  // Reconnect quickly at first, then every 2 s for as long as Redis is away.
  retryStrategy: (times: number) => Math.min(times * 200, 2000),
} satisfies RedisOptions;

const UNAVAILABLE = [
  'Command timed out',
  'Connection is closed',
  "Stream isn't writeable",
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'LOADING',
  'MASTERDOWN',
];

/** True for the errors ioredis gives when Redis is away, slow or restarting (not for a bad command). */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  return UNAVAILABLE.some((text) => error.message.includes(text));
}
