// `npm run demo`: the main job on the embedded defaults. Starts the local stack, applies the SIP trunks,
// runs the worker (espeak-ng voice, no cloud model), places a real SIP call to the agent's number with a
// SIPp phone, and reports what the caller heard; the call's audio is saved as a WAV file to listen to.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyTrunks } from '../sip-trunk/apply.ts';
import { AGENT_NUMBER } from '../test/support/calls.ts';
import { startCaller, type Phone } from '../test/support/phone/index.ts';
import { wavBytes } from '../test/support/wav.ts';
import { startWorker, type RunningWorker } from '../test/support/worker.ts';
import { startLocalStack } from './local-stack.ts';

const CALL_SECONDS = 12;

const stack = await startLocalStack();
let worker: RunningWorker | undefined;
let phone: Phone | undefined;
let failed = false;
try {
  const ids = await applyTrunks({ url: stack.livekitUrl, apiKey: stack.apiKey, apiSecret: stack.apiSecret });
  const info = { livekitUrl: stack.livekitUrl, apiKey: stack.apiKey, apiSecret: stack.apiSecret, redisUrl: `redis://${stack.redisAddress}`, logDir: stack.logDir, ...ids };
  console.log(`[demo] trunks applied: ${JSON.stringify(ids)}`);
  worker = await startWorker(info, 'demo', {});
  console.log(`[demo] worker registered (log: ${worker.logFile})`);
  phone = await startCaller({ to: AGENT_NUMBER, from: '+15125550199', audio: { silence: true }, name: 'demo-caller' });
  console.log(`[demo] calling sip:${AGENT_NUMBER}@127.0.0.1:5060 ...`);
  const answeredAt = await phone.answered;
  console.log('[demo] the agent answered');
  const heardAt = await phone.waitForAudio({ minRms: 300, withinMs: 20_000, after: answeredAt });
  console.log(`[demo] first speech ${heardAt - answeredAt} ms after the answer; listening for ${CALL_SECONDS} s`);
  await new Promise((r) => setTimeout(r, CALL_SECONDS * 1000));
  const speechMs = phone.received.chunks.filter((c) => phone!.received.rms(c.at, c.at + 20) > 300).length * 20;
  const file = join(stack.logDir, 'demo-call.wav');
  writeFileSync(file, wavBytes(phone.received.samples(), 8000));
  console.log(`[demo] the caller heard ${(speechMs / 1000).toFixed(1)} s of speech; recording: ${file}`);
  await phone.hangup();
  if (speechMs < 500) throw new Error('the caller heard no greeting');
  console.log('[demo] done: a real SIP call was answered by the agent with speech');
} catch (error) {
  failed = true;
  console.error('[demo] failed:', error instanceof Error ? error.message : error);
} finally {
  await phone?.close();
  await worker?.stop();
  await stack.stop();
}
process.exit(failed ? 1 : 0);
