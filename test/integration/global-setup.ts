// Starts the local stack once for all integration tests and applies the SIP trunks and dispatch rule.
import type { TestProject } from 'vitest/node';
import { startLocalStack } from '../../stack/local-stack.ts';
import { applyTrunks, type TrunkIds } from '../../sip-trunk/apply.ts';

export interface StackInfo extends TrunkIds {
  livekitUrl: string;
  apiKey: string;
  apiSecret: string;
  /** The stack's Redis, as a worker's REDIS_URL (default: the worker's own default, 127.0.0.1:6379). */
  redisUrl?: string;
  logDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject) {
  const stack = await startLocalStack();
  try {
    const ids = await applyTrunks({ url: stack.livekitUrl, apiKey: stack.apiKey, apiSecret: stack.apiSecret });
    project.provide('stack', {
      livekitUrl: stack.livekitUrl,
      apiKey: stack.apiKey,
      apiSecret: stack.apiSecret,
      redisUrl: `redis://${stack.redisAddress}`,
      logDir: stack.logDir,
      ...ids,
    });
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return () => stack.stop();
}
