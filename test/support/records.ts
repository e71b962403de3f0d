// Transfer records for unit tests of the tools, in the real Redis (the unit project's global setup provides
// it): the transfers' database and a key prefix of the test's own (test/support/redis.ts), everything under
// that prefix removed after.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { inject } from 'vitest';
import { TransferRecordStore } from '../../agent/transfer/record/store.ts';
import { testRedis } from './redis.ts';

export interface TestRecords {
  redis: Redis;
  prefix: string;
  /** A store under the test's prefix. */
  store: TransferRecordStore;
  /** A store under a prefix of its own within the test's: a call whose records no other call of the test sees. */
  callStore(): TransferRecordStore;
  cleanup(): Promise<void>;
}

export function testRecords(): TestRecords {
  const { redis, prefix, close } = testRedis(inject('redisUrl'), 'transfers', 'records');
  return {
    redis,
    prefix,
    store: new TransferRecordStore({ redis, prefix }),
    callStore: () => new TransferRecordStore({ redis, prefix: `${prefix}${randomUUID()}:` }),
    cleanup: close,
  };
}
