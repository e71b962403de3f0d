// A call whose settings store stops answering is not left in silence. The worker reads its agents through a
// TCP relay of the test's own to the machine's Redis; once the worker runs, the relay keeps every connection
// open but passes nothing more (a store that hangs, not one that refuses). At the phone: the caller hears the
// apology in the worker's voice within seconds, and then the call is ended by the far side.
import { createServer, Socket, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rms, startCaller, type Phone } from '../../phones/index.ts';
import { startWorker, type RunningWorker } from '../../stack/worker-process.ts';
import { AGENT_NUMBER, callerNumber } from '../support/calls.ts';

const stack = inject('stack');
let relay: Server;
let relayPort: number;
let hanging = false;
/** Every socket the relay holds (accepted and upstream), destroyed at the end so the relay can close. */
const sockets = new Set<Socket>();
let worker: RunningWorker;
let phone: Phone | undefined;

beforeAll(async () => {
  const [host, port] = (stack.redisAddress ?? '127.0.0.1:6379').split(':') as [string, string];
  relay = createServer((client) => {
    client.on('error', () => undefined);
    sockets.add(client);
    if (hanging) return; // accepted, never answered
    const upstream = new Socket();
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.connect(Number(port), host);
    client.on('data', (data) => void (hanging || upstream.write(data)));
    upstream.on('data', (data) => void (hanging || client.write(data)));
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  relayPort = (relay.address() as { port: number }).port;
  worker = await startWorker(stack, 'store-hangs', {
    SETTINGS_REDIS_URL: `redis://127.0.0.1:${relayPort}/11`,
    SETTINGS_KEY_PREFIX: `wt-test-hangs-${process.pid}:`,
    TTS_PROVIDER: 'espeak',
  });
});
afterAll(async () => {
  await phone?.close();
  await worker?.stop();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => relay.close(resolve));
});

describe('a call while the settings store hangs', { timeout: 90_000 }, () => {
  it('hears an apology, then the call ends', async () => {
    hanging = true;
    phone = await startCaller({ to: AGENT_NUMBER, from: callerNumber(), audio: { silence: true }, name: 'store-hangs-caller' });
    const answeredAt = (await phone.waitAnswered(20_000)).at;
    const heardAt = await phone.waitForAudio({ minRms: 500, withinMs: 25_000, after: answeredAt });
    // Speech, not a click: more than a second of loud audio in the eight seconds from the first sound.
    await new Promise((r) => setTimeout(r, Math.max(0, heardAt + 8000 - Date.now())));
    const loud = phone.received.chunks.filter((c) => c.at >= heardAt && c.at < heardAt + 8000 && rms(c.samples) > 500);
    expect(loud.length * 20).toBeGreaterThan(1000);
    const end = await phone.waitEnded(30_000);
    expect(end.hungUpBy).toBe('remote');
    expect(worker.log()).toContain('no settings for this call: the caller hears an apology');
  });
});
