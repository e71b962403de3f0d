// The bench's stack: the local stack with the trunks applied, as the integration tests use it.
import { applyTrunks } from '../../sip-trunk/apply.ts';
import { startLocalStack, type LocalStack } from '../../stack/local-stack.ts';
import type { StackInfo } from '../../stack/stack-info.ts';

export async function benchStack(): Promise<{ local: LocalStack; stack: StackInfo }> {
  const local = await startLocalStack();
  try {
    const ids = await applyTrunks({ url: local.livekitUrl, apiKey: local.apiKey, apiSecret: local.apiSecret });
    return {
      local,
      stack: {
        livekitUrl: local.livekitUrl,
        apiKey: local.apiKey,
        apiSecret: local.apiSecret,
        redisUrl: `redis://${local.redisAddress}`,
        logDir: local.logDir,
        ...ids,
      },
    };
  } catch (error) {
    await local.stop();
    throw error;
  }
}
