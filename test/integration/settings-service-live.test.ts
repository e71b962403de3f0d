// The settings service with a running worker on the local stack: rules and hold music changed through
// the API while the worker runs. The call in progress keeps its music and rules; the next call transfers
// by the new rules (to the PBX extension they name) and the caller hears the new music, told apart by
// pitch at the phone. A loopback webhook receiver (allowed by SETTINGS_WEBHOOK_ALLOWED_HOSTS, as an operator
// would) gets the timeline and message events, signed with the organization's own webhook secret.
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { WebhookReceiver } from 'livekit-server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../settings-service/app.ts';
import { startWebhookSender } from '../../settings-service/webhooks.ts';
import {
  allOf,
  FakeOpenAI,
  hadToolResult,
  hasToolResult,
  lastUserMessageIncludes,
  not,
  systemPromptIncludes,
  toolsInclude,
} from '../support/fake-openai/index.ts';
import type { ChatRequest } from '../support/fake-openai/matchers.ts';
import { startCallee, type Phone } from '../support/phone/index.ts';
import { personalDataOutsidePii } from '../support/pii.ts';
import { eventually } from '../support/rooms.ts';
import { ADMIN_TOKEN } from '../support/settings-api.ts';
import { testStore, toneWav, type TestStore } from '../support/settings-store.ts';
import {
  at,
  CALLER_REQUEST,
  DESTINATION_NUMBER,
  HOLD_TONE_HZ,
  PBX_PORT,
  placeTransferCall,
  startTransferWorker,
  timelineEntry,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
const AGENT = 'warm-transfer-agent'; // the worker's AGENT_NAME: the agent of a call whose dispatch names none
const NEW_TONE_HZ = 660;
const OLD_RULES = `If the caller has a billing dispute, warm transfer to ${DESTINATION_NUMBER}.`;
const NEW_RULES = 'If the caller has a billing dispute, warm transfer to ext:1002.';

let db: TestStore;
let app: FastifyInstance;
let api: string;
let token: string;
let webhookSecret: string;
let sender: { stop(): Promise<void> };
let hooks: Server;
const delivered: Array<{ body: string; authorization: string | undefined }> = [];
let cast: TransferCast;
let call: TransferCall | undefined;
let pbx: Phone | undefined;

function model(): FakeOpenAI {
  const fake = new FakeOpenAI({ defaultChatReply: { text: 'Okay.' } });
  const noTransferYet = (request: ChatRequest) => !request.messages.some((m) => m.role === 'tool');
  const transferTo = (destination: string) => ({
    toolCalls: [{ name: 'warm_transfer', arguments: { destination, reason: 'Billing dispute about a double charge.', caller_confirmed: true } }],
  });
  fake.onChat(systemPromptIncludes('Summarise this phone conversation'), { text: 'The caller has a billing dispute.' });
  fake.onChat(hasToolResult('take_message'), { text: 'Thanks, your message is passed on.' });
  // With the new rules, a refused transfer ends in a message (the webhook's message event).
  fake.onChat(allOf(systemPromptIncludes('ext:1002'), hadToolResult('warm_transfer'), not(hadToolResult('take_message'))), {
    toolCalls: [
      { name: 'take_message', arguments: { name: 'Dana Caller', callback_number: '+15125550142', message: 'Please call me about the double charge.' } },
    ],
  });
  fake.onChat(hasToolResult('warm_transfer'), { text: 'Anything else?' });
  // The model transfers to whatever the rules in its instructions name: the old rules' number, or the new extension.
  fake.onChat(
    allOf(toolsInclude('warm_transfer'), lastUserMessageIncludes('billing'), noTransferYet, systemPromptIncludes('ext:1002')),
    transferTo('ext:1002'),
  );
  fake.onChat(allOf(toolsInclude('warm_transfer'), lastUserMessageIncludes('billing'), noTransferYet), transferTo(DESTINATION_NUMBER));
  fake.onTranscription(...Array.from({ length: 200 }, () => CALLER_REQUEST));
  return fake;
}

// Response bodies of many shapes, read field by field in the assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function request(method: string, path: string, body?: unknown, type = 'application/json', bearer = token): Promise<{ status: number; json: any }> {
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(payload ? { 'content-type': type } : {}) },
    ...(payload ? { body: payload } : {}),
  });
  return { status: response.status, json: await response.json().catch(() => undefined) };
}

beforeAll(async () => {
  process.env.SETTINGS_WEBHOOK_ALLOWED_HOSTS = '127.0.0.1';
  db = testStore(stack.redisAddress ?? '127.0.0.1:6379', 'live');
  app = await buildApp({ store: db.store, adminToken: ADMIN_TOKEN });
  api = await app.listen({ host: '127.0.0.1', port: 0 });
  sender = startWebhookSender(db.store, { firstPauseMs: 200 });
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      delivered.push({ body, authorization: req.headers.authorization });
      res.end();
    });
  });
  await new Promise<void>((done) => hooks.listen(0, '127.0.0.1', done));
  const hookPort = (hooks.address() as { port: number }).port;

  expect((await request('PUT', '/v1/organizations/acme', { warmTransferAvailable: true }, 'application/json', ADMIN_TOKEN)).status).toBe(200);
  token = (await request('POST', '/v1/organizations/acme/tokens', undefined, 'application/json', ADMIN_TOKEN)).json.token;
  webhookSecret = (await request('POST', '/v1/organizations/acme/webhook-secret')).json.secret; // the organization makes its own
  // The default agent is reserved: the administrator gives it to acme, whose token changes it from then on.
  const agent = await request(
    'PUT',
    `/v1/agents/${AGENT}`,
    {
      organizationId: 'acme',
      webhookUrl: `http://127.0.0.1:${hookPort}/hooks`,
      warmTransfer: { enabled: true, rules: OLD_RULES, ringingTimeoutSeconds: 15 },
      trunks: { pstnOutboundTrunkId: stack.pstnTrunkId, pbx: { outboundTrunkId: stack.pbxTrunkId } },
    },
    'application/json',
    ADMIN_TOKEN,
  );
  expect(agent.status).toBe(200);
  expect((await request('POST', `/v1/agents/${AGENT}/hold-music`, toneWav(HOLD_TONE_HZ), 'audio/wav')).status).toBe(201);
  cast = await startTransferWorker(stack, 'settings-live', { SETTINGS_REDIS_URL: db.url, SETTINGS_KEY_PREFIX: db.prefix }, model());
});
afterEach(async () => {
  await call?.close();
  await pbx?.close();
  call = pbx = undefined;
});
afterAll(async () => {
  await cast?.close();
  await sender?.stop();
  await app?.close();
  await new Promise((done) => hooks?.close(done));
  await db?.close();
});

describe('settings changed through the service while the worker runs', () => {
  it('the call in progress keeps its settings; the next call uses the new rules and hold music', async () => {
    // Call 1, on the old settings: the number the old rules name, and 440 Hz on hold.
    let started = Date.now();
    call = await placeTransferCall(stack, 'live-before');
    await call.callee.waitAnswered(45_000);
    const held = at(await timelineEntry(cast.worker, 'hold_started', 5000, started));
    await timelineEntry(cast.worker, 'answered', 10_000, started);
    await new Promise((r) => setTimeout(r, 1000)); // some music before the change, to compare with

    const rules = await request('PUT', `/v1/agents/${AGENT}/warm-transfer`, { enabled: true, rules: NEW_RULES, ringingTimeoutSeconds: 15 });
    expect(rules.status).toBe(200);
    expect(rules.json.plan.lines).toEqual(['billing dispute → ext:1002 (confirm first: no)', 'never: (nothing forbidden)']);
    const music = await request('POST', `/v1/agents/${AGENT}/hold-music`, toneWav(NEW_TONE_HZ), 'audio/wav');
    expect(music.status).toBe(201);
    const changed = Date.now();

    await new Promise((r) => setTimeout(r, 2000));
    expect(call.caller.received.toneRatio(HOLD_TONE_HZ, held + 300, changed)).toBeGreaterThan(0.6);
    expect(call.caller.received.toneRatio(HOLD_TONE_HZ, changed + 300, changed + 1800)).toBeGreaterThan(0.6);
    expect(call.caller.received.toneRatio(NEW_TONE_HZ, held, changed + 1800)).toBeLessThan(0.05);
    await call.callee.press('9');
    expect(await timelineEntry(cast.worker, 'ended', 15_000, started)).toMatchObject({ outcome: 'rejected' });
    const firstCaller = call.from;
    await call.close();
    call = undefined;

    // Call 2: the worker was not restarted; the new rules send it to the PBX, and the caller hears 660 Hz.
    started = Date.now();
    pbx = await startCallee({ port: PBX_PORT, ringMs: 500, audio: { tone: 1000 }, name: 'live-ext-1002' });
    call = await placeTransferCall(stack, 'live-after');
    await pbx.waitAnswered(45_000);
    const dialing = await timelineEntry(cast.worker, 'dialing', 5000, started);
    expect(dialing['lk.pii.destination']).toBe('ext:1002');
    const held2 = at(await timelineEntry(cast.worker, 'hold_started', 5000, started));
    const prompted = at(await timelineEntry(cast.worker, 'prompted', 30_000, started));
    expect(call.caller.received.toneRatio(NEW_TONE_HZ, held2 + 300, prompted)).toBeGreaterThan(0.6);
    expect(call.caller.received.toneRatio(HOLD_TONE_HZ, held2 + 300, prompted)).toBeLessThan(0.05);
    expect(call.callee.events.some((e) => e.type === 'invite-received')).toBe(false); // the old rules' number was not dialled
    await pbx.press('9');
    expect(await timelineEntry(cast.worker, 'ended', 15_000, started)).toMatchObject({ outcome: 'rejected' });

    // The message the model took, and both timelines, are in the agent's streams and reached the webhook, signed.
    await eventually(async () => (await request('GET', `/v1/agents/${AGENT}/messages`)).json.messages.length === 1, 30_000, 'the message in the store');
    const transfers = (await request('GET', `/v1/agents/${AGENT}/transfers`)).json.transfers as Array<{ entries: Array<{ data: Record<string, unknown> }> }>;
    expect(transfers).toHaveLength(2);
    expect(transfers.map((t) => t.entries.at(-1)?.data.type)).toEqual(['ended', 'ended']);
    expect(JSON.stringify(transfers)).not.toContain('lk.pii');

    const receiver = new WebhookReceiver('acme', webhookSecret); // the organization's id and secret, not the LiveKit keys
    await eventually(() => delivered.some((d) => d.body.includes('"message.taken"')), 15_000, 'the message webhook');
    const events = [];
    for (const { body, authorization } of delivered) {
      await receiver.receive(body, authorization); // throws unless signed with acme's secret and the body's SHA-256
      events.push(JSON.parse(body) as { id: string; event: string; data: Record<string, unknown> });
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const ended = events.filter((e) => e.event === 'transfer.timeline' && e.data.type === 'ended');
    expect(ended.map((e) => e.data.outcome)).toEqual(['rejected', 'rejected']);
    expect(events.find((e) => e.event === 'message.taken')?.data).toMatchObject({ name: 'Dana Caller', callbackNumber: '+15125550142' });

    // The callers' numbers, the destinations and the SIP errors are in the worker's timeline lines under lk.pii
    // keys only, and in no stream or webhook at all (the message's own callback number is what it is for).
    const lines = cast.worker.timeline();
    expect(lines.filter((e) => e.type === 'dialing').map((e) => e['lk.pii.destination'])).toEqual([DESTINATION_NUMBER, 'ext:1002']);
    expect(lines.filter((e) => e.type === 'dialing').map((e) => e.destinationMasked)).toEqual(['+1********34', 'ext:***2']);
    const personal = [firstCaller, call.from, DESTINATION_NUMBER, '1002'];
    expect(personalDataOutsidePii(lines, personal)).toEqual([]);
    // Every other JSON line of the worker's log too, but for one field of @livekit/agents 1.9's own: it logs the
    // caller's track publications, whose names are the SIP identity (sip_<number>), outside lk.pii.
    const logged = cast.worker
      .log()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      personalDataOutsidePii(
        logged.map(({ trackPublications, ...line }) => line),
        personal,
      ),
    ).toEqual([]);
    expect(personalDataOutsidePii([...events, ...transfers], personal)).toEqual([]);
    expect(JSON.stringify([events, transfers])).not.toContain('lk.pii');
  });
});
