// Attacks on webhook delivery (issue 18), the second half of hostile-webhooks.test.ts: one secret for every
// tenant (each receiver had to hold the platform's LiveKit secret, and could verify, or be sent, another tenant's
// bodies), one tenant's hanging endpoint holding every tenant's events, and undelivered events trimmed away.
import { WebhookReceiver } from 'livekit-server-sdk';
import { describe, expect, inject, it } from 'vitest';
import { WebhookQueues } from '../../settings-service/webhook-queue.ts';
import { PREVIOUS_SIGNATURE_HEADER, rotateWebhookSecret } from '../../settings-service/webhook-secrets.ts';
import { webhookHostPolicy } from '../../settings/webhook-url.ts';
import { startWebhookSender, type WebhookOptions } from '../../settings-service/webhooks.ts';
import { eventually } from '../support/rooms.ts';
import { ADMIN_TOKEN, startApi } from '../support/settings-api.ts';
import { testStore, type TestStore } from '../support/settings-store.ts';
import { startReceiver } from '../support/webhook-receivers.ts';

type Logs = Array<{ message: string; fields: Record<string, unknown> }>;

function sender(db: TestStore, logs: Logs, options: WebhookOptions = {}) {
  return startWebhookSender(db.store, {
    allowedHosts: webhookHostPolicy('127.0.0.1'),
    firstPauseMs: 200,
    pollMs: 50,
    log: (message, fields) => logs.push({ message, fields }),
    ...options,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('each organization signs with its own secret', () => {
  it('made by the organization or the administrator, shown once; a body for acme never verifies as globex; rotation overlaps', async () => {
    const api = await startApi(inject('redisAddress'), 'hostile-webhook-secrets');
    const receiver = await startReceiver();
    const logs: Logs = [];
    const rotate = (token: string, orgId: string) => api.call(token, { method: 'POST', url: `/v1/organizations/${orgId}/webhook-secret` });
    let running: { stop(): Promise<void> } | undefined;
    try {
      expect((await rotate(api.globexToken, 'acme')).statusCode).toBe(403);
      expect((await rotate(ADMIN_TOKEN, 'nobody')).statusCode).toBe(404);
      const made = await rotate(api.acmeToken, 'acme');
      expect(made.statusCode).toBe(201);
      expect(made.json()).toMatchObject({ key: 'acme', previousValidUntil: null });
      const acme = (made.json() as { secret: string }).secret;
      const globex = ((await rotate(ADMIN_TOKEN, 'globex')).json() as { secret: string }).secret;
      expect(acme).not.toBe(globex);

      await api.db.store.putAgent('a', { organizationId: 'acme' }, receiver.url);
      await api.db.store.putAgent('g', { organizationId: 'globex' }, receiver.url);
      running = sender(api.db, logs);
      const forAcme = await api.db.store.appendEvent('a', 'message.taken', { name: 'Dana', message: 'Call me.' });
      const forGlobex = await api.db.store.appendEvent('g', 'message.taken', { name: 'Eve', message: 'Me too.' });
      await eventually(() => receiver.received.length >= 2, 5000, 'both deliveries');
      const [a, g] = [forAcme, forGlobex].map((e) => receiver.received.find((r) => JSON.parse(r.body).id === e.id)!);
      expect(JSON.parse(a!.body)).toMatchObject({ organizationId: 'acme', agentId: 'a' });
      expect((await new WebhookReceiver('acme', acme).receive(a!.body, a!.headers.authorization)).id).toBe(forAcme.id);
      expect((await new WebhookReceiver('globex', globex).receive(g!.body, g!.headers.authorization)).id).toBe(forGlobex.id);
      // acme's body replayed to globex's receiver does not verify, neither does globex's at acme's.
      await expect(new WebhookReceiver('globex', globex).receive(a!.body, a!.headers.authorization)).rejects.toThrow();
      await expect(new WebhookReceiver('acme', acme).receive(g!.body, g!.headers.authorization)).rejects.toThrow();

      // Rotation: the new secret signs Authorization at once; the previous one signs the overlap header.
      const rotated = (await rotate(api.acmeToken, 'acme')).json() as { secret: string; previousValidUntil: string };
      expect(Date.parse(rotated.previousValidUntil) - Date.now()).toBeGreaterThan(23 * 3600_000);
      const next = await api.db.store.appendEvent('a', 'message.taken', { name: 'Finn', message: 'After the rotation.' });
      await eventually(() => receiver.received.some((r) => JSON.parse(r.body).id === next.id), 5000, 'the delivery after the rotation');
      const after = receiver.received.find((r) => JSON.parse(r.body).id === next.id)!;
      expect((await new WebhookReceiver('acme', rotated.secret).receive(after.body, after.headers.authorization)).id).toBe(next.id);
      await expect(new WebhookReceiver('acme', acme).receive(after.body, after.headers.authorization)).rejects.toThrow();
      expect((await new WebhookReceiver('acme', acme).receive(after.body, after.headers[PREVIOUS_SIGNATURE_HEADER] as string)).id).toBe(next.id);
    } finally {
      await running?.stop();
      await receiver.close();
      await api.close();
    }
  });

  it('an organization without a secret gets nothing signed with another key: its events wait', async () => {
    const db = testStore(inject('redisAddress'), 'hostile-webhook-nosecret');
    const receiver = await startReceiver();
    const logs: Logs = [];
    await db.store.putOrganization({ id: 'initech', warmTransferAvailable: true });
    await db.store.putAgent('i', { organizationId: 'initech' }, receiver.url);
    const running = sender(db, logs);
    try {
      const event = await db.store.appendEvent('i', 'transfer.timeline', { transferId: 't-1', type: 'started' });
      const waiting = () => logs.some((l) => l.fields.eventId === event.id && String(l.fields.why).includes('no webhook secret'));
      await eventually(() => waiting() || receiver.received.length > 0, 5000, 'the wait logged or a delivery');
      expect(receiver.received).toEqual([]);
      expect(waiting()).toBe(true);
      await rotateWebhookSecret(db.store, 'initech');
      await eventually(() => receiver.received.length === 1, 5000, 'the delivery once a secret exists');
    } finally {
      await running.stop();
      await receiver.close();
      await db.close();
    }
  });
});

describe("one organization's endpoint does not hold another's events", () => {
  it("acme's endpoint hangs; globex's event, written after acme's, arrives within 2 s", async () => {
    const db = testStore(inject('redisAddress'), 'hostile-webhook-isolation');
    for (const id of ['acme', 'globex']) {
      await db.store.putOrganization({ id, warmTransferAvailable: true });
      await rotateWebhookSecret(db.store, id);
    }
    const hanging = await startReceiver(() => undefined); // reads the request, never answers
    const healthy = await startReceiver();
    const logs: Logs = [];
    await db.store.putAgent('a', { organizationId: 'acme' }, hanging.url);
    await db.store.putAgent('g', { organizationId: 'globex' }, healthy.url);
    const running = sender(db, logs, { timeoutMs: 5000 });
    try {
      for (let i = 0; i < 3; i++) await db.store.appendEvent('a', 'transfer.timeline', { transferId: `t-a${i}`, type: 'started' });
      await eventually(() => hanging.received.length === 1, 5000, "acme's endpoint hanging on the first event");
      const written = Date.now();
      const event = await db.store.appendEvent('g', 'transfer.timeline', { transferId: 't-g', type: 'started' });
      await eventually(() => healthy.received.length === 1, 2000, "globex's event while acme's endpoint hangs");
      expect(healthy.events()[0]?.id).toBe(event.id);
      expect(healthy.received[0]!.at - written).toBeLessThan(2000);
      expect(await new WebhookQueues(db.store).queuedFor('acme')).toBe(3); // acme's events wait, in their queue
    } finally {
      await running.stop();
      await Promise.all([hanging.close(), healthy.close()]);
      await db.close();
    }
  });
});

describe('events are kept until delivered or expired by the policy', () => {
  it('an event written while no sender ran survives 10 500 later events (past the old 10 000 trim) and is delivered', async () => {
    const db = testStore(inject('redisAddress'), 'hostile-webhook-trim');
    await db.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
    await rotateWebhookSecret(db.store, 'acme');
    const receiver = await startReceiver();
    await db.store.putAgent('a', { organizationId: 'acme' }, receiver.url);
    await db.store.putAgent('quiet', { organizationId: 'acme' }, undefined);
    const first = await db.store.appendEvent('a', 'message.taken', { name: 'Dana', message: 'Written first.' });
    for (let batch = 0; batch < 21; batch++) {
      await Promise.all(
        Array.from({ length: 500 }, (_, i) => db.store.appendEvent('quiet', 'transfer.timeline', { transferId: `t-${batch}-${i}`, type: 'started' })),
      );
    }
    const running = sender(db, []);
    try {
      await eventually(() => receiver.received.some((r) => JSON.parse(r.body).id === first.id), 20_000, 'the first event delivered');
    } finally {
      await running.stop();
      await receiver.close();
      await db.close();
    }
  });

  it('an undelivered event expires after the retention time, logged, and does not block the next', async () => {
    const db = testStore(inject('redisAddress'), 'hostile-webhook-expiry');
    await db.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
    await rotateWebhookSecret(db.store, 'acme');
    const down = Date.now() + 2500;
    const receiver = await startReceiver((response) => response.writeHead(Date.now() < down ? 503 : 200).end());
    const logs: Logs = [];
    await db.store.putAgent('a', { organizationId: 'acme' }, receiver.url);
    const running = sender(db, logs, { retentionMs: 1000 });
    try {
      const old = await db.store.appendEvent('a', 'message.taken', { name: 'Dana', message: 'Too old by then.' });
      // Past the receiver's outage and then some: by then the event is over its 1 s retention.
      await sleep(Math.max(0, down - Date.now()) + 1000);
      const fresh = await db.store.appendEvent('a', 'message.taken', { name: 'Eve', message: 'In time.' });
      await eventually(() => receiver.received.some((r) => JSON.parse(r.body).id === fresh.id), 5000, 'the fresh event');
      // Tried while the receiver was down, never once it was up: it had expired by then.
      expect(receiver.received.filter((r) => JSON.parse(r.body).id === old.id && r.at >= down)).toEqual([]);
      expect(receiver.received.some((r) => JSON.parse(r.body).id === old.id && r.at < down)).toBe(true);
      expect(logs.some((l) => l.message === 'webhook event expired undelivered' && l.fields.eventId === old.id)).toBe(true);
      expect(await new WebhookQueues(db.store).queuedFor('acme')).toBe(0);
    } finally {
      await running.stop();
      await receiver.close();
      await db.close();
    }
  });

  it('an organization past its cap of queued events has the excess dropped and counted in the log', async () => {
    const db = testStore(inject('redisAddress'), 'hostile-webhook-cap');
    await db.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
    await rotateWebhookSecret(db.store, 'acme');
    const failing = await startReceiver((response) => response.writeHead(500).end());
    const logs: Logs = [];
    await db.store.putAgent('a', { organizationId: 'acme' }, failing.url);
    const running = sender(db, logs, { maxQueuedPerOrganization: 3, firstPauseMs: 60_000 });
    try {
      for (let i = 0; i < 5; i++) await db.store.appendEvent('a', 'transfer.timeline', { transferId: `t-${i}`, type: 'started' });
      await eventually(() => logs.filter((l) => l.message.startsWith('webhook event dropped')).length === 2, 5000, 'two drops logged');
      expect(logs.filter((l) => l.message.startsWith('webhook event dropped')).map((l) => l.fields.droppedTotal)).toEqual([1, 2]);
      expect(await new WebhookQueues(db.store).queuedFor('acme')).toBe(3);
    } finally {
      await running.stop();
      await failing.close();
      await db.close();
    }
  });
});
