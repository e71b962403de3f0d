// The one way tests open Redis. A test that writes keys of its own gets a database index named here and a
// random key prefix, and removes everything under that prefix when it is done, so tests running at the same
// time (or a stack on the same Redis) never meet each other's keys. Integration tests read what the workers
// wrote, under the workers' own prefix, and open a plain client instead.
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';

/** Which database each kind of test keeps its keys in: one table, so two kinds never share one by accident. */
export const TEST_DBS = {
  /** Transfer records, carried-load leases and transfer limits (unit). */
  transfers: 8,
  /** Hold music decoded once and shared through Redis (unit). */
  holdMusic: 9,
  /** The settings store (service and integration). */
  settings: 11,
} as const;

export type TestDb = keyof typeof TEST_DBS;

/** The client options tests choose; the rest are ioredis's defaults. */
export type ClientOptions = Pick<RedisOptions, 'db' | 'maxRetriesPerRequest' | 'connectTimeout' | 'enableOfflineQueue' | 'lazyConnect' | 'retryStrategy'>;

/** A client that fails a command after one retry rather than queueing it for ever: a test's waits stay bounded. */
export function openRedis(url: string, options: ClientOptions = {}): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, ...options });
  // A Redis a test stops on purpose makes the client report errors; the commands that fail say so themselves.
  redis.on('error', () => undefined);
  return redis;
}

/** A client for a Redis that is not there (a closed loopback port): every command fails at once. */
export function unreachableRedis(options: ClientOptions = {}): Redis {
  return openRedis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, connectTimeout: 500, enableOfflineQueue: false, retryStrategy: () => null, ...options });
}

/** Deletes every key under `prefix` (SCAN, not KEYS: the database may be shared and large). */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export interface TestRedis {
  redis: Redis;
  /** The test's own key prefix, ending in a colon. */
  prefix: string;
  /** The keys under the prefix that match `pattern` (the part after the prefix). */
  keys(pattern?: string): Promise<string[]>;
  /** Deletes every key under the prefix and disconnects. */
  close(): Promise<void>;
}

/** A client on `db` of the Redis at `url`, with a fresh key prefix that names the test (`name`). */
export function testRedis(url: string, db: TestDb, name: string): TestRedis {
  const redis = openRedis(url, { db: TEST_DBS[db] });
  const prefix = `test-${name}-${randomUUID()}:`;
  return {
    redis,
    prefix,
    keys: (pattern = '*') => redis.keys(`${prefix}${pattern}`),
    async close() {
      await deleteKeysUnder(redis, prefix);
      await redis.quit();
    },
  };
}

/** The URL of database `db` at `address` (host:port), for a process the test starts. */
export function testRedisUrl(address: string, db: TestDb): string {
  return `redis://${address}/${TEST_DBS[db]}`;
}
