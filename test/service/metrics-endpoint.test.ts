// The settings service's metrics (`npm run settings` with SETTINGS_METRICS_PORT): after real webhook deliveries,
// one refused by the endpoint and then sent again, a scrape of the metrics port counts them by result; only
// aggregates are exported (no organization, agent or endpoint), and the service's own port does not serve them.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../stack/local-stack.ts';
import { rotateWebhookSecret } from '../../settings-service/webhook-secrets.ts';
import { ADMIN_TOKEN } from '../support/settings-api.ts';
import { eventually } from '../support/rooms.ts';
import { testStore } from '../support/settings-store.ts';
import { startReceiver, type Receiver } from '../support/webhook-receivers.ts';

const db = testStore(inject('redisAddress'), 'metrics');
let receiver: Receiver;
let child: ChildProcess | undefined;
let output = '';

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });

function start(env: Record<string, string>): ChildProcess {
  output = '';
  const started = spawn(process.execPath, [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'settings-service/main.ts'], {
    cwd: repoRoot,
    detached: true,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL: db.url, SETTINGS_KEY_PREFIX: db.prefix, SETTINGS_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
  });
  started.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  started.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return started;
}

const exited = (c: ChildProcess) => new Promise<number | null>((done) => (c.exitCode !== null ? done(c.exitCode) : c.once('exit', (code) => done(code))));

/** The value of one sample line (`name{labels} value`) of a scrape, undefined when absent. */
const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

beforeAll(async () => {
  let answered = 0;
  // The first delivery is refused (500): the endpoint pauses, then the event is sent again.
  receiver = await startReceiver((response) => {
    response.statusCode = answered++ === 0 ? 500 : 200;
    response.end();
  });
  await db.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
  await rotateWebhookSecret(db.store, 'acme');
  await db.store.putAgent('acme.support', { organizationId: 'acme' }, receiver.url);
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    process.kill(-child.pid!, 'SIGTERM');
    await exited(child);
  }
  await receiver?.close();
  await db.close();
});

describe('the settings service metrics', () => {
  it('refuses to start with a SETTINGS_METRICS_PORT that is not a port, or is taken', async () => {
    const refused = start({ SETTINGS_PORT: String(await freePort()), SETTINGS_METRICS_PORT: 'metrics' });
    expect(await exited(refused)).toBe(1);
    expect(output).toContain("SETTINGS_METRICS_PORT must be a TCP port, not 'metrics'");
    // A port already taken is said at start, not left to a stack trace.
    const taken = createServer();
    const takenPort = await new Promise<number>((done) => taken.listen(0, '127.0.0.1', () => done((taken.address() as { port: number }).port)));
    try {
      const clash = start({ SETTINGS_PORT: String(await freePort()), SETTINGS_METRICS_PORT: String(takenPort) });
      expect(await exited(clash)).toBe(1);
      expect(output).toContain(`SETTINGS_METRICS_PORT: cannot serve metrics on 127.0.0.1:${takenPort}: listen EADDRINUSE`);
    } finally {
      await new Promise((done) => taken.close(done));
    }
  });

  it('counts webhook deliveries by result on a loopback port of their own, aggregates only', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    child = start({ SETTINGS_PORT: String(port), SETTINGS_METRICS_PORT: String(metricsPort), SETTINGS_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    await eventually(() => output.includes('Server listening at http://127.0.0.1:'), 30_000, 'the service to listen');
    const first = await db.store.appendEvent('acme.support', 'transfer.timeline', { transferId: 't-1', type: 'ended', outcome: 'accepted' });
    const second = await db.store.appendEvent('acme.support', 'message.taken', { name: 'Dana', message: 'Call me.' });
    const delivered = (id: string) => receiver.received.filter((r) => (JSON.parse(r.body) as { id: string }).id === id).length;
    // The first event twice (refused, then sent), the second once.
    await eventually(() => delivered(first.id) === 2 && delivered(second.id) === 1, 20_000, 'the deliveries');

    const scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(5000) });
      expect(response.status).toBe(200);
      return response.text();
    };
    let text = '';
    // Counted once the endpoint's answer is in: give the sender the moment between the answer and the count.
    await eventually(
      async () => sample((text = await scrape()), 'warm_transfer_webhook_deliveries_total{result="delivered"}') === 2,
      5000,
      'two deliveries counted',
    );
    expect(sample(text, 'warm_transfer_webhook_deliveries_total{result="failed"}')).toBe(1);
    expect(sample(text, 'warm_transfer_webhook_deliveries_total{result="expired"}')).toBe(0);
    expect(sample(text, 'warm_transfer_webhook_deliveries_total{result="dropped"}')).toBe(0);
    // The process's own metrics, and nothing that names an organization, an agent or an endpoint.
    expect(text).toContain('process_cpu_user_seconds_total');
    for (const named of ['acme', 'support', String(receiver.port), 'Dana']) expect(text).not.toContain(named);

    // The service's own port, which organizations reach, does not serve them.
    const onService = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
    expect(onService.status).not.toBe(200);
    expect(await onService.text()).not.toContain('warm_transfer_webhook_deliveries_total');
  });
});
