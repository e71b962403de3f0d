// The settings service's tests need only Redis: the one at REDIS_URL or 127.0.0.1:6379 when it answers,
// otherwise a redis-server started for the run and stopped after it (the same as the unit tests'). Tests use
// their own database index and key prefix (test/support/redis.ts), so they never meet the stack's keys.
import type { TestProject } from 'vitest/node';
import { startLocalRedis } from '../../stack/local-stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisAddress: string;
  }
}

export default async function setup(project: TestProject) {
  const redis = await startLocalRedis({ log: () => undefined });
  project.provide('redisAddress', new URL(redis.url).host);
  return () => redis.stop();
}
