// Attacks on webhooks, as an organization holding its own token would make them (issue 18): a webhookUrl that
// reaches the operator's own network (in any spelling of an address, through DNS, through a redirect), a body
// signed with a secret shared by every tenant, one tenant's dead endpoint stalling everyone's events, and
// undelivered events trimmed away. Receivers listen on 127.0.0.1; where one must be reached, the sender is
// given the allow list an operator would set (SETTINGS_WEBHOOK_ALLOWED_HOSTS=127.0.0.1).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebhookQueues } from '../../settings-service/webhook-queue.ts';
import { rotateWebhookSecret } from '../../settings-service/webhook-secrets.ts';
import { webhookHostPolicy } from '../../settings/webhook-url.ts';
import { startWebhookSender, type WebhookOptions } from '../../settings-service/webhooks.ts';
import { eventually } from '../support/rooms.ts';
import { acmeAgent, startApi, type ApiCast } from '../support/settings-api.ts';
import { testStore, type TestStore } from '../support/settings-store.ts';
import { startReceiver } from '../support/webhook-receivers.ts';

const LOOPBACK_ALLOWED = webhookHostPolicy('127.0.0.1');
const NOTHING_ALLOWED = webhookHostPolicy('');
const PUBLIC_URL = 'https://hooks.example.com/warm-transfer';

/** A store of the test's own with organizations acme and globex, each with a webhook secret. */
async function organizations(name: string): Promise<{ db: TestStore }> {
  const db = testStore(inject('redisAddress'), name);
  for (const id of ['acme', 'globex']) {
    await db.store.putOrganization({ id, warmTransferAvailable: true });
    await rotateWebhookSecret(db.store, id);
  }
  return { db };
}

function sender(db: TestStore, logs: Array<{ message: string; fields: Record<string, unknown> }>, options: WebhookOptions = {}) {
  return startWebhookSender(db.store, {
    allowedHosts: LOOPBACK_ALLOWED,
    firstPauseMs: 200,
    pollMs: 50,
    log: (message, fields) => logs.push({ message, fields }),
    ...options,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a webhookUrl in a restricted range is refused at save, in any spelling', () => {
  let api: ApiCast;
  beforeAll(async () => {
    api = await startApi(inject('redisAddress'), 'hostile-webhook-urls');
    expect((await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.hooked', payload: acmeAgent({ webhookUrl: PUBLIC_URL }) })).statusCode).toBe(
      200,
    );
  });
  afterAll(async () => {
    delete process.env.SETTINGS_WEBHOOK_ALLOWED_HOSTS;
    await api?.close();
  });
  const put = (webhookUrl: string) => api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.hooked', payload: acmeAgent({ webhookUrl }) });
  const refusedAndUnchanged = async (webhookUrl: string) => {
    const response = await put(webhookUrl);
    expect(response.statusCode, webhookUrl).toBe(422);
    expect((response.json() as { problems: string[] }).problems.some((p) => p.startsWith('webhookUrl: '))).toBe(true);
    const stored = await api.call(api.acmeToken, { method: 'GET', url: '/v1/agents/acme.hooked' });
    expect((stored.json() as { webhookUrl: string }).webhookUrl).toBe(PUBLIC_URL);
  };

  const byte = fc.integer({ min: 0, max: 255 });
  const restrictedV4 = fc.oneof(
    fc.tuple(fc.constantFrom(0, 10, 127), byte, byte, byte),
    fc.tuple(fc.constant(169), fc.constant(254), byte, byte),
    fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), byte, byte),
    fc.tuple(fc.constant(192), fc.constant(168), byte, byte),
    fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), byte, byte),
    fc.tuple(fc.integer({ min: 224, max: 255 }), byte, byte, byte),
  );
  const hex = (n: number) => n.toString(16);
  const spellings: Record<string, (p: [number, number, number, number]) => string> = {
    dotted: (p) => p.join('.'),
    decimal: ([a, b, c, d]) => String(a * 2 ** 24 + b * 2 ** 16 + c * 2 ** 8 + d),
    hex: ([a, b, c, d]) => `0x${hex(a * 2 ** 24 + b * 2 ** 16 + c * 2 ** 8 + d)}`,
    octal: ([a, b, c, d]) => `0${(a * 2 ** 24 + b * 2 ** 16 + c * 2 ** 8 + d).toString(8)}`,
    dottedHex: (p) => p.map((n) => `0x${hex(n)}`).join('.'),
    dottedOctal: (p) => p.map((n) => `0${n.toString(8)}`).join('.'),
    twoParts: ([a, b, c, d]) => `${a}.${b * 2 ** 16 + c * 2 ** 8 + d}`,
    threeParts: ([a, b, c, d]) => `${a}.${b}.0x${hex(c * 256 + d)}`,
    trailingDot: (p) => `${p.join('.')}.`,
    mapped: (p) => `[::ffff:${p.join('.')}]`,
    mappedHex: ([a, b, c, d]) => `[::ffff:${hex(a * 256 + b)}:${hex(c * 256 + d)}]`,
    nat64: (p) => `[64:ff9b::${p.join('.')}]`,
  };
  const v6 = fc.constantFrom('[::1]', '[::]', '[0:0:0:0:0:0:0:1]', '[::0001]', '[fe80::1]', '[fc00::1]', '[fd12:3456::7]', '[ff02::1]', '[2002:7f00:1::]');

  it('fast-check: loopback, private, CGNAT, link-local, unspecified, multicast and reserved hosts; 422 naming webhookUrl, nothing changed', async () => {
    const host = fc.oneof(
      fc.tuple(restrictedV4, fc.constantFrom(...Object.keys(spellings))).map(([p, style]) => spellings[style]!(p)),
      v6,
    );
    const url = fc
      .tuple(fc.constantFrom('http', 'https', 'HTTP'), host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.webPath())
      .map(([scheme, h, port, path]) => `${scheme}://${h}${port ? `:${port}` : ''}${path}`);
    await fc.assert(fc.asyncProperty(url, refusedAndUnchanged), { numRuns: 200 });
    await refusedAndUnchanged('http://169.254.169.254/latest/meta-data/');
    await refusedAndUnchanged('http://2130706433/');
    await refusedAndUnchanged('http://0x7f.1/');
    await refusedAndUnchanged('http://0.0.0.0:8790/');
  });

  it('local names, credentials, other schemes and over-long URLs are refused with their reason', async () => {
    for (const [webhookUrl, reason] of [
      ['http://localhost:8790/', 'local name'],
      ['http://printer.local/hooks', 'local name'],
      ['http://LOCALHOST./', 'local name'],
      ['https://user:secret@hooks.example.com/', 'user name or password'],
      ['ftp://hooks.example.com/', 'http:// or https://'],
      ['file:///etc/passwd', 'http:// or https://'],
      [`https://hooks.example.com/${'a'.repeat(2048)}`, 'longer than 2048'],
    ] as const) {
      const response = await put(webhookUrl);
      expect(response.statusCode, webhookUrl).toBe(422);
      expect(
        (response.json() as { problems: string[] }).problems.find((p) => p.startsWith('webhookUrl: ')),
        webhookUrl,
      ).toContain(reason);
    }
    expect((await api.call(api.acmeToken, { method: 'GET', url: '/v1/agents/acme.hooked' })).json()).toMatchObject({ webhookUrl: PUBLIC_URL });
  });

  it('hosts the operator lists are accepted, and only those', async () => {
    process.env.SETTINGS_WEBHOOK_ALLOWED_HOSTS = '127.0.0.1, hooks.internal';
    expect((await put('http://127.0.0.1:9/hooks')).statusCode).toBe(200);
    expect((await put('http://hooks.internal/x')).statusCode).toBe(200);
    expect((await put('http://127.0.0.2:9/hooks')).statusCode).toBe(422);
    expect((await put('http://[::1]:9/hooks')).statusCode).toBe(422);
  });
});

describe('a webhook goes only to a checked address, once resolved', () => {
  it('a host name that resolves to loopback is refused at delivery without the allow setting (an agent stored before the check)', async () => {
    const { db } = await organizations('hostile-webhook-localhost');
    const receiver = await startReceiver();
    const logs: Array<{ message: string; fields: Record<string, unknown> }> = [];
    await db.store.putAgent('old', { organizationId: 'acme' }, `http://localhost:${receiver.port}/hooks`);
    const running = sender(db, logs, { allowedHosts: NOTHING_ALLOWED });
    try {
      const event = await db.store.appendEvent('old', 'transfer.timeline', { transferId: 't-1', type: 'started' });
      const refused = () => logs.some((l) => l.fields.eventId === event.id && String(l.fields.why).includes('local name'));
      await eventually(() => refused() || receiver.received.length > 0, 5000, 'the refusal or a delivery');
      await sleep(500);
      expect(receiver.received).toEqual([]);
      expect(refused()).toBe(true);
    } finally {
      await running.stop();
      await receiver.close();
      await db.close();
    }
  });

  it('every address a name resolves to is checked, and the connection goes to the checked address with no second lookup', async () => {
    const { db } = await organizations('hostile-webhook-dns');
    const receiver = await startReceiver();
    const logs: Array<{ message: string; fields: Record<string, unknown> }> = [];
    // hooks.example.test is in a TLD that never resolves in real DNS: only the sender's own lookup knows it.
    await db.store.putAgent('named', { organizationId: 'acme' }, `http://hooks.example.test:${receiver.port}/hooks`);
    const lookups: string[] = [];
    let answer = ['203.0.113.9', '127.0.0.1'];
    const resolve = async (host: string) => (lookups.push(host), answer);
    const refusing = sender(db, logs, { allowedHosts: NOTHING_ALLOWED, resolve });
    const first = await db.store.appendEvent('named', 'transfer.timeline', { transferId: 't-1', type: 'started' });
    try {
      await eventually(
        () => logs.some((l) => l.fields.eventId === first.id && String(l.fields.why).includes('resolves to 127.0.0.1')),
        5000,
        'the refusal logged',
      );
      expect(receiver.received).toEqual([]);
    } finally {
      await refusing.stop();
    }
    lookups.length = 0;
    answer = ['127.0.0.1'];
    const allowing = sender(db, logs, { resolve, firstPauseMs: 1 });
    try {
      await eventually(() => receiver.received.length === 1, 5000, 'the delivery to the allowed address');
      expect(receiver.events()[0]?.id).toBe(first.id);
      expect(lookups).toEqual(['hooks.example.test']);
    } finally {
      await allowing.stop();
      await receiver.close();
      await db.close();
    }
  });

  it('a redirect to a second loopback receiver is not followed: a failed delivery, logged with its status, the event kept', async () => {
    const { db } = await organizations('hostile-webhook-redirect');
    const inside = await startReceiver();
    const redirecting = await startReceiver((response) => response.writeHead(307, { location: `${inside.url}?from=redirect` }).end());
    const logs: Array<{ message: string; fields: Record<string, unknown> }> = [];
    await db.store.putAgent('redirected', { organizationId: 'acme' }, redirecting.url);
    const running = sender(db, logs);
    try {
      const event = await db.store.appendEvent('redirected', 'message.taken', { name: 'Dana', message: 'Call me.' });
      const logged = () => logs.some((l) => l.fields.eventId === event.id && l.fields.status === 307);
      await eventually(() => logged() || inside.received.length > 0, 5000, 'the 307 logged or the redirect followed');
      await sleep(500);
      expect(inside.received).toEqual([]);
      expect(redirecting.received.length).toBeGreaterThanOrEqual(1);
      expect(logged()).toBe(true);
      expect(await new WebhookQueues(db.store).queuedFor('acme')).toBe(1);
    } finally {
      await running.stop();
      await Promise.all([inside.close(), redirecting.close()]);
      await db.close();
    }
  });
});
