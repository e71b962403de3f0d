// Starts the local stack once for all integration tests and applies the SIP trunks and dispatch rule.
import type { TestProject } from 'vitest/node';
import { ensureBuilt } from '../../stack/build.ts';
import { startLocalStack } from '../../stack/local-stack.ts';
import { applyTrunks } from '../../sip-trunk/apply.ts';
import type { StackInfo } from '../../stack/stack-info.ts';

export type { StackInfo } from '../../stack/stack-info.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject) {
  // The tests run the compiled worker, as production does: compile once here, not in every test file.
  ensureBuilt();
  const stack = await startLocalStack();
  try {
    const ids = await applyTrunks({ url: stack.livekitUrl, apiKey: stack.apiKey, apiSecret: stack.apiSecret });
    project.provide('stack', {
      livekitUrl: stack.livekitUrl,
      nodes: stack.nodes.map(({ url, nodeId, region }) => ({ url, nodeId, region })),
      apiKey: stack.apiKey,
      apiSecret: stack.apiSecret,
      redisUrl: `redis://${stack.redisAddress}`,
      logDir: stack.logDir,
      redisAddress: stack.redisAddress,
      ...ids,
    });
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return () => stack.stop();
}
