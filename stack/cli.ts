// `npm run stack`: starts the local stack, prints how to reach it, and stops it on Ctrl-C.
// `npm run stack -- --nodes 2` starts a second livekit-server node on the same Redis (ws://127.0.0.1:7890).
import { parseArgs } from 'node:util';
import { startLocalStack } from './local-stack.ts';
import { applyTrunks } from '../sip-trunk/apply.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1' } } });
const nodes = Number(values.nodes);
if (!Number.isInteger(nodes) || nodes < 1) {
  console.error(`--nodes wants a whole number of nodes, 1 or more (got ${values.nodes})`);
  process.exit(2);
}

const stack = await startLocalStack({ nodes }).catch((error: Error) => {
  console.error(`[stack] ${error.message}`);
  process.exit(1);
});
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
try {
  const ids = await applyTrunks({ url: stack.livekitUrl, apiKey: stack.apiKey, apiSecret: stack.apiSecret });
  const info: Record<string, unknown> = {
    LIVEKIT_URL: stack.livekitUrl,
    LIVEKIT_API_KEY: stack.apiKey,
    LIVEKIT_API_SECRET: stack.apiSecret,
    REDIS_URL: `redis://${stack.redisAddress}`,
    ...ids,
  };
  // With several nodes, where each one is: a worker takes any of them as its LIVEKIT_URL.
  if (stack.nodes.length > 1) info.nodes = stack.nodes.map(({ url, nodeId, region }) => ({ url, nodeId, region }));
  console.log(JSON.stringify(info, null, 2));
  console.log('local stack running; Ctrl-C stops it');
} catch (error) {
  console.error(error);
  await stop();
}
