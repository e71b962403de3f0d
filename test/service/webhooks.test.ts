// Events out: each event reaches the agent's webhook as a JSON POST signed like LiveKit's own webhooks, with the
// organization's own secret and its id as the key, which livekit-server-sdk's WebhookReceiver accepts; a failed
// delivery is retried with the same event id. (The attacks on webhooks are in hostile-webhooks.test.ts.)
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { WebhookReceiver } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rotateWebhookSecret } from '../../settings-service/webhook-secrets.ts';
import { webhookHostPolicy } from '../../settings/webhook-url.ts';
import { startWebhookSender, type WebhookOptions } from '../../settings-service/webhooks.ts';
import { personalDataOutsidePii } from '../support/pii.ts';
import { eventually } from '../support/rooms.ts';
import { testStore, type TestStore } from '../support/settings-store.ts';

const KEY = 'acme'; // the organization id is the key a receiver passes with its secret
let SECRET: string;
// The receiver listens on loopback, which the operator's allow list must name.
const OPTIONS: WebhookOptions = { allowedHosts: webhookHostPolicy('127.0.0.1'), firstPauseMs: 100, pollMs: 50 };
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
  SECRET = (await rotateWebhookSecret(db.store, 'acme')).secret;
  await db.store.putAgent('support', { organizationId: 'acme' }, url);
  await db.store.putAgent('quiet', { organizationId: 'acme' }, undefined);
});
afterAll(async () => {
  await new Promise((done) => server?.close(done));
  await db?.close();
});

describe('webhooks', () => {
  it('deliver signed events that WebhookReceiver verifies, retrying a refused one with the same id', async () => {
    const sender = startWebhookSender(db.store, OPTIONS);
    try {
      await new Promise((r) => setTimeout(r, 300)); // the consumer group exists once the sender runs
      failNext = 1;
      const timeline = await db.store.appendEvent('support', 'transfer.timeline', { transferId: 't-1', type: 'ended', outcome: 'bridged' });
      await db.store.appendEvent('quiet', 'message.taken', { name: 'Nobody listens' });
      const message = await db.store.appendEvent('support', 'message.taken', { name: 'Dana', message: 'Call me.' });
      await eventually(() => received.length >= 3, 10_000, 'three deliveries');

      const bodies = received.map((r) => JSON.parse(r.body) as { id: string; event: string; agentId: string; data: Record<string, unknown> });
      expect(bodies.map((b) => b.id)).toEqual([timeline.id, timeline.id, message.id]);
      expect(bodies[2]).toMatchObject({ event: 'message.taken', organizationId: 'acme', agentId: 'support', data: { name: 'Dana', message: 'Call me.' } });
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

  it('deliver what a dead sender took and never acknowledged, once another sender takes the fan-out over', async () => {
    received.length = 0;
    failNext = 0;
    const outbox = db.store.keys.outbox();
    const lost = await db.store.appendEvent('support', 'message.taken', { name: 'Lost', message: 'Taken by a sender that died.' });
    // A sender that read the event and died before delivering it: the entry stays pending under its name.
    await db.store.redis.xreadgroup('GROUP', 'webhooks', 'sender-dead', 'COUNT', 10, 'STREAMS', outbox, '>');
    const sender = startWebhookSender(db.store, { ...OPTIONS, claimIdleMs: 200 }, 'sender-alive');
    try {
      await eventually(() => received.some((r) => (JSON.parse(r.body) as { id: string }).id === lost.id), 10_000, 'the lost event delivered');
      await eventually(async () => ((await db.store.redis.xpending(outbox, 'webhooks')) as [number])[0] === 0, 5000, 'nothing left pending');
    } finally {
      await sender.stop();
    }
  });
});

describe('webhooks from several service instances', () => {
  it('two senders share the queues: each event delivered once, in order for its endpoint', async () => {
    received.length = 0;
    failNext = 0;
    const senders = [startWebhookSender(db.store, OPTIONS, 'sender-one'), startWebhookSender(db.store, OPTIONS, 'sender-two')];
    try {
      const written: string[] = [];
      for (let i = 0; i < 30; i++)
        written.push((await db.store.appendEvent('support', 'transfer.timeline', { transferId: `t-many-${i}`, type: 'started' })).id);
      await eventually(() => written.every((id) => received.some((r) => (JSON.parse(r.body) as { id: string }).id === id)), 15_000, 'the 30 events');
      await new Promise((r) => setTimeout(r, 300)); // time for a repeat to show up, if there were one
      expect(received.map((r) => (JSON.parse(r.body) as { id: string }).id).filter((id) => written.includes(id))).toEqual(written);
    } finally {
      await Promise.all(senders.map((s) => s.stop()));
    }
  });
});

describe('personal data in events', () => {
  it('no lk.pii.* field reaches a stream, the outbox, the API or a webhook, not even from an event stored whole by an older worker', async () => {
    received.length = 0;
    failNext = 0;
    const at = new Date().toISOString();
    const entry = {
      transferId: 't-pii',
      type: 'dialing',
      at,
      elapsedMs: 5,
      destinationKind: 'phone',
      destinationMasked: '+1********34',
      'lk.pii.destination': '+15125551234',
      'lk.pii.phone_number': '+15125550142',
    };
    const taken = {
      at,
      name: 'Dana',
      callbackNumber: '+15125550142',
      message: 'Call me.',
      'lk.pii.caller_number': '+15125550199',
      'lk.pii.room_name': 'call_+15125550199_Ab3',
    };
    const timeline = await db.store.appendEvent('support', 'transfer.timeline', entry);
    const message = await db.store.appendEvent('support', 'message.taken', taken);
    // Written whole, as workers did before events were scrubbed when stored: still sent and read without them.
    const old = { id: randomUUID(), type: 'message.taken', agentId: 'support', at, data: { name: 'Old', 'lk.pii.caller_number': '+15125550177' } };
    await db.store.redis.xadd(db.store.keys.outbox(), '*', 'event', JSON.stringify(old));
    await db.store.redis.xadd(db.store.keys.stream('support', 'messages'), '*', 'event', JSON.stringify(old));

    const sender = startWebhookSender(db.store, OPTIONS);
    try {
      const ids = [timeline.id, message.id, old.id];
      await eventually(() => ids.every((id) => received.some((r) => (JSON.parse(r.body) as { id: string }).id === id)), 10_000, 'the three events delivered');
    } finally {
      await sender.stop();
    }
    const stored = await Promise.all(
      [db.store.keys.stream('support', 'transfers'), db.store.keys.stream('support', 'messages')].map((key) => db.store.redis.xrange(key, '-', '+')),
    );
    const read = [...(await db.store.recentEvents('support', 'transfers', 50)), ...(await db.store.recentEvents('support', 'messages', 50))];
    const bodies = received.map((r) => r.body);
    expect(bodies.join('\n')).not.toContain('lk.pii');
    expect(JSON.stringify(read)).not.toContain('lk.pii');
    // The streams hold new events scrubbed; only the older worker's raw entry still has its field there.
    expect(
      stored
        .flat()
        .map(([, fields]) => fields[1] ?? '')
        .filter((json) => json.includes('lk.pii')),
    ).toEqual([JSON.stringify(old)]);
    const sent = bodies.map((b) => JSON.parse(b) as { id: string; data: Record<string, unknown> });
    expect(personalDataOutsidePii([...sent, ...read], ['+15125551234', '+15125550199', '+15125550177'])).toEqual([]);

    // A taken message is the team's to act on: its words and callback number go to the agent's own webhook.
    expect(sent.find((b) => b.id === message.id)?.data).toEqual({ at, name: 'Dana', callbackNumber: '+15125550142', message: 'Call me.' });
    expect(sent.find((b) => b.id === timeline.id)?.data).toEqual({
      transferId: 't-pii',
      type: 'dialing',
      at,
      elapsedMs: 5,
      destinationKind: 'phone',
      destinationMasked: '+1********34',
    });
  });
});

describe('webhooks for events written before any sender ran', () => {
  it('are delivered when the first sender starts', async () => {
    const early = testStore(inject('redisAddress'), 'webhooks-early');
    try {
      await early.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
      await early.store.putAgent('support', { organizationId: 'acme' }, url);
      await rotateWebhookSecret(early.store, 'acme');
      received.length = 0;
      const first = await early.store.appendEvent('support', 'transfer.timeline', { transferId: 't-early', type: 'started' });
      const sender = startWebhookSender(early.store, OPTIONS);
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
