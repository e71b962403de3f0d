// Events out: each event reaches the agent's webhook as a JSON POST signed like LiveKit's own webhooks,
// which livekit-server-sdk's WebhookReceiver accepts; a failed delivery is retried with the same event id.
import { createServer, type Server } from 'node:http';
import { WebhookReceiver } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startWebhookSender } from '../../settings-service/webhooks.ts';
import { eventually } from '../support/rooms.ts';
import { testStore, type TestStore } from '../support/settings-store.ts';

const KEY = 'test-key';
const SECRET = 'test-secret-that-is-long-enough-0123';
let db: TestStore;
let server: Server;
let url: string;
const received: Array<{ body: string; authorization: string | undefined }> = [];
let failNext = 0;

beforeAll(async () => {
  db = testStore(inject('redisAddress'), 'webhooks');
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ body, authorization: request.headers.authorization });
      response.statusCode = failNext-- > 0 ? 500 : 200;
      response.end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks`;
  await db.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
  await db.store.putAgent('support', { organizationId: 'acme' }, url);
  await db.store.putAgent('quiet', { organizationId: 'acme' }, undefined);
});
afterAll(async () => {
  await new Promise((done) => server?.close(done));
  await db?.close();
});

describe('webhooks', () => {
  it('deliver signed events that WebhookReceiver verifies, retrying a refused one with the same id', async () => {
    const sender = startWebhookSender(db.store, { apiKey: KEY, apiSecret: SECRET, backoffMs: [100, 200] });
    try {
      await new Promise((r) => setTimeout(r, 300)); // the consumer group exists once the sender runs
      failNext = 1;
      const timeline = await db.store.appendEvent('support', 'transfer.timeline', { transferId: 't-1', type: 'ended', outcome: 'bridged' });
      await db.store.appendEvent('quiet', 'message.taken', { name: 'Nobody listens' });
      const message = await db.store.appendEvent('support', 'message.taken', { name: 'Dana', message: 'Call me.' });
      await eventually(() => received.length >= 3, 10_000, 'three deliveries');

      const bodies = received.map((r) => JSON.parse(r.body) as { id: string; event: string; agentId: string; data: Record<string, unknown> });
      expect(bodies.map((b) => b.id)).toEqual([timeline.id, timeline.id, message.id]);
      expect(bodies[2]).toMatchObject({ event: 'message.taken', agentId: 'support', data: { name: 'Dana', message: 'Call me.' } });
      expect(bodies[0]).toMatchObject({ event: 'transfer.timeline', data: { transferId: 't-1', type: 'ended', outcome: 'bridged' } });

      const receiver = new WebhookReceiver(KEY, SECRET);
      for (const { body, authorization } of received) {
        const event = await receiver.receive(body, authorization);
        expect(event.id).toBe(JSON.parse(body).id);
      }
      // A body changed on the way no longer matches its signature.
      await expect(receiver.receive(received[2]!.body.replace('Dana', 'Eve'), received[2]!.authorization)).rejects.toThrow('sha256 checksum');
      await expect(new WebhookReceiver(KEY, 'another-secret-0123456789-abcdef').receive(received[2]!.body, received[2]!.authorization)).rejects.toThrow();
    } finally {
      await sender.stop();
    }
  });

  it('deliver what a dead sender took and never acknowledged, once it has been idle long enough', async () => {
    received.length = 0;
    failNext = 0;
    const outbox = db.store.keys.outbox();
    const lost = await db.store.appendEvent('support', 'message.taken', { name: 'Lost', message: 'Taken by a sender that died.' });
    // A sender that read the event and died before delivering it: the entry stays pending under its name.
    await db.store.redis.xreadgroup('GROUP', 'webhooks', 'sender-dead', 'COUNT', 10, 'STREAMS', outbox, '>');
    const sender = startWebhookSender(db.store, { apiKey: KEY, apiSecret: SECRET, backoffMs: [100], claimIdleMs: 200 }, 'sender-alive');
    try {
      await eventually(() => received.some((r) => (JSON.parse(r.body) as { id: string }).id === lost.id), 10_000, 'the lost event delivered');
      await eventually(async () => ((await db.store.redis.xpending(outbox, 'webhooks')) as [number])[0] === 0, 5000, 'nothing left pending');
    } finally {
      await sender.stop();
    }
  });
});

describe('webhooks for events written before any sender ran', () => {
  it('are delivered when the first sender starts', async () => {
    const early = testStore(inject('redisAddress'), 'webhooks-early');
    try {
      await early.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
      await early.store.putAgent('support', { organizationId: 'acme' }, url);
      received.length = 0;
      const first = await early.store.appendEvent('support', 'transfer.timeline', { transferId: 't-early', type: 'started' });
      const sender = startWebhookSender(early.store, { apiKey: KEY, apiSecret: SECRET, backoffMs: [100] });
      try {
        await eventually(() => received.some((r) => (JSON.parse(r.body) as { id: string }).id === first.id), 10_000, 'the early event delivered');
      } finally {
        await sender.stop();
      }
    } finally {
      await early.close();
    }
  });
});
