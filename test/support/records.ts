// Transfer records for unit tests of the tools, in the real Redis (the unit project's global setup provides
// it): a database index and a key prefix of the test's own, and everything under that prefix removed after.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { TransferRecordStore } from '../../agent/transfer/record/store.ts';

export const TEST_REDIS_DB = 8;

export function testRecords(): { redis: Redis; prefix: string; store: TransferRecordStore; cleanup(): Promise<void> } {
  const redis = new Redis(inject('redisUrl'), { db: TEST_REDIS_DB, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  const prefix = `test-wt8-${randomUUID()}:`;
  return {
    redis,
    prefix,
    store: new TransferRecordStore({ redis, prefix }),
    async cleanup() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}
