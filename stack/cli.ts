// `npm run stack`: starts the local stack, prints how to reach it, and stops it on Ctrl-C.
import { startLocalStack } from './local-stack.ts';
import { applyTrunks } from '../sip-trunk/apply.ts';

const stack = await startLocalStack();
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
  console.log(JSON.stringify({ LIVEKIT_URL: stack.livekitUrl, LIVEKIT_API_KEY: stack.apiKey, LIVEKIT_API_SECRET: stack.apiSecret, ...ids }, null, 2));
  console.log('local stack running; Ctrl-C stops it');
} catch (error) {
  console.error(error);
  await stop();
}
