// Attack: waits without end. A Redis that accepts connections and never answers (overloaded, half-dead,
// or a wrong port) must make every settings-store call fail within a couple of seconds, in the workers that
// use the same client as in the service; the service answers a quick 503 naming the store when its Redis
// falls silent or goes down while it runs; and a client that opens a connection and sends nothing must not
// hold it for ever.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../settings-service/app.ts';
import { SettingsStore } from '../../settings/store/store.ts';
import { ADMIN_TOKEN } from '../support/settings-api.ts';
import { testStore, type TestStore } from '../support/settings-store.ts';

/** The bound the store promises: a call fails within this (2 s command timeout, plus scheduling slack). */
const STORE_BOUND_MS = 3000;

let silent: Server;
let silentPort: number;
const held: Socket[] = [];
const stores: SettingsStore[] = [];
const proxies: Array<Server | Socket[]> = [];

beforeAll(async () => {
  // Accepts every connection, reads what it is sent and never writes a byte.
  silent = createServer((socket) => {
    held.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const store of stores) store.redis.disconnect();
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  for (const proxy of proxies) {
    if (Array.isArray(proxy)) for (const socket of proxy) socket.destroy();
    else if (proxy.listening) await new Promise((resolve) => proxy.close(resolve));
  }
});

function silentStore(): SettingsStore {
  const store = SettingsStore.connect(`redis://127.0.0.1:${silentPort}/11`, 'wt-test-silent:');
  stores.push(store);
  return store;
}

/** Settles `promise` or says it did not within `ms`: the test itself never waits without a bound. */
async function within<T>(
  ms: number,
  promise: Promise<T>,
): Promise<{ settled: 'resolved' | 'rejected'; value?: T; error?: unknown; elapsedMs: number } | { settled: 'no'; elapsedMs: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ settled: 'resolved' as const, value }),
      (error: unknown) => ({ settled: 'rejected' as const, error }),
    ),
    new Promise<{ settled: 'no' }>((resolve) => (timer = setTimeout(() => resolve({ settled: 'no' }), ms))),
  ]);
  clearTimeout(timer);
  return { ...outcome, elapsedMs: performance.now() - started };
}

describe('a settings store whose Redis never answers', () => {
  it.each<[string, (s: SettingsStore) => Promise<unknown>]>([
    ['agent', (s: SettingsStore) => s.agent('support')],
    ['agentVersion (a call start)', (s: SettingsStore) => s.agentVersion('support')],
    ['appendEvent (take_message)', (s: SettingsStore) => s.appendEvent('support', 'message.taken', { name: 'Dana' })],
    ['tokenOrganization', (s: SettingsStore) => s.tokenOrganization('wto_x')],
  ])('%s fails within the bound', async (_name, call) => {
    const outcome = await within(STORE_BOUND_MS + 2000, call(silentStore()));
    expect(outcome.settled).toBe('rejected');
    expect(outcome.elapsedMs).toBeLessThan(STORE_BOUND_MS);
  });
});

/**
 * A TCP proxy to the test Redis that can fall silent (it keeps every connection open and forwards nothing
 * either way) or go down (it closes every connection and its port). The service starts through it while it
 * forwards: starting needs Redis.
 */
async function redisProxy(): Promise<{ port: number; silence(): void; kill(): Promise<void> }> {
  const [host = '127.0.0.1', port = '6379'] = inject('redisAddress').split(':');
  let silenced = false;
  const sockets: Socket[] = [];
  const server = createServer((client) => {
    const upstream = connect(Number(port), host);
    sockets.push(client, upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('data', (data) => void (silenced || upstream.write(data)));
    upstream.on('data', (data) => void (silenced || client.write(data)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxies.push(server, sockets);
  return {
    port: (server.address() as AddressInfo).port,
    silence: () => void (silenced = true),
    kill: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

describe('the service when its Redis stops answering or goes down', () => {
  let db: TestStore;
  beforeAll(() => {
    db = testStore(inject('redisAddress'), 'timeouts');
  });
  afterAll(async () => {
    await db?.close();
  });

  async function appThrough(proxyPort: number) {
    const store = SettingsStore.connect(`redis://127.0.0.1:${proxyPort}/11`, db.prefix);
    stores.push(store);
    return buildApp({ store, adminToken: ADMIN_TOKEN });
  }

  it('answers 503 quickly, naming the store, on the API and on the page, when Redis falls silent', async () => {
    const proxy = await redisProxy();
    const app = await appThrough(proxy.port);
    try {
      proxy.silence();
      const response = await within(
        STORE_BOUND_MS + 2000,
        app.inject({ method: 'GET', url: '/v1/agents/acme.support', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
      );
      expect(response.settled).toBe('resolved');
      expect(response.elapsedMs).toBeLessThan(STORE_BOUND_MS);
      const answer = response.settled === 'resolved' ? response.value : undefined;
      expect(answer?.statusCode).toBe(503);
      expect(answer?.headers['retry-after']).toBe('5');
      expect(answer?.json()).toEqual({ error: 'the settings store (Redis) is not answering; nothing was changed, try again shortly' });
      // An organization token needs the store to be identified at all: 503 as well, not 401 or 500.
      const org = await within(
        STORE_BOUND_MS + 2000,
        app.inject({ method: 'GET', url: '/v1/agents/acme.support', headers: { authorization: 'Bearer wto_some-token' } }),
      );
      expect(org.settled === 'resolved' && org.value?.statusCode).toBe(503);
      const page = await within(
        STORE_BOUND_MS + 2000,
        app.inject({ method: 'GET', url: '/agents/acme.support', headers: { cookie: `wt_session=${'A'.repeat(43)}` } }),
      );
      expect(page.settled === 'resolved' && page.value?.statusCode).toBe(503);
    } finally {
      await app.close();
    }
  });

  it('answers 503, not 500, and quickly, when Redis is down (connection refused)', async () => {
    const proxy = await redisProxy();
    const app = await appThrough(proxy.port);
    try {
      await proxy.kill();
      const response = await within(
        STORE_BOUND_MS + 2000,
        app.inject({ method: 'GET', url: '/v1/agents/acme.support', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
      );
      expect(response.settled).toBe('resolved');
      expect(response.elapsedMs).toBeLessThan(STORE_BOUND_MS);
      expect(response.settled === 'resolved' && response.value?.statusCode).toBe(503);
    } finally {
      await app.close();
    }
  });
});

describe('the HTTP server', () => {
  let db: TestStore;
  beforeAll(() => {
    db = testStore(inject('redisAddress'), 'http-timeouts');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('has request, socket and keep-alive timeouts (none was set: Fastify defaults to waiting for ever)', async () => {
    const app = await buildApp({ store: db.store, adminToken: ADMIN_TOKEN });
    try {
      expect(app.server.requestTimeout).toBe(60_000);
      expect(app.server.timeout).toBe(60_000);
      expect(app.server.keepAliveTimeout).toBe(10_000);
    } finally {
      await app.close();
    }
  });

  it('closes a connection that sends half a request and then nothing', async () => {
    const app = await buildApp({ store: db.store, adminToken: ADMIN_TOKEN, timeouts: { connectionTimeoutMs: 1000 } });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write('GET /v1/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const closed = await within(5000, new Promise<void>((resolve) => socket.once('close', () => resolve())));
      socket.destroy();
      expect(closed.settled).toBe('resolved');
      expect(closed.elapsedMs).toBeLessThan(3000);
    } finally {
      await app.close();
    }
  });
});
