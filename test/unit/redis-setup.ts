// Unit tests of what lives in Redis run against a real one: the machine's (REDIS_URL or 127.0.0.1:6379),
// or a redis-server started for the run and stopped after it. Each test file uses its own database index
// and key prefix and removes what it wrote.
import type { TestProject } from 'vitest/node';
import { startLocalRedis } from '../../stack/local-stack.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const redis = await startLocalRedis({ log: () => undefined });
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
