// Attack: over-long text in any field. Every text field of every route has a cap (settings/limits.ts):
// a longer value is refused with 422 naming the field, before anything is compiled, and nothing is stored.
// JSON bodies are capped far below the old 1 MiB; 100k characters of rules are refused at once.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEXT_LIMITS } from '../../settings/limits.ts';
import { acmeAgent, startApi, type ApiCast } from '../support/settings-api.ts';

let api: ApiCast;
/** JSON bodies: 256 KiB (settings-service/app.ts), not Fastify's 1 MiB. */
const JSON_BODY_LIMIT_BYTES = 256 * 1024;

beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'lengths');
  expect((await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.support', payload: acmeAgent() })).statusCode).toBe(200);
});
afterAll(async () => {
  await api?.close();
});

const RULE = 'If the caller asks for sales, warm transfer to ext:1002.\n\n';
/** Valid rules of exactly `chars` characters: whole sentences, padded with spaces. */
const rulesOf = (chars: number) => RULE.repeat(Math.floor(chars / RULE.length)).padEnd(chars, ' ');
const longSip = (chars: number) => `sip:${'a'.repeat(chars - 'sip:@pbx.example.com'.length)}@pbx.example.com`;
const trunks = { pstnOutboundTrunkId: 'ST_pstn', pbx: { outboundTrunkId: 'ST_pbx' } };

// Each over-long field of PUT /v1/agents/{agentId}: the settings, the field's path as a problem names it.
const overLong: Array<{ field: string; settings: Record<string, unknown> }> = [
  { field: 'instructions', settings: acmeAgent({ instructions: 'Be kind. '.repeat(TEXT_LIMITS.instructions / 9 + 1) }) },
  { field: 'greeting', settings: acmeAgent({ greeting: 'Hello. '.repeat(TEXT_LIMITS.greeting / 7 + 1) }) },
  { field: 'warmTransfer.rules', settings: acmeAgent({ warmTransfer: { enabled: true, rules: rulesOf(TEXT_LIMITS.rules + 1) } }) },
  { field: 'trunks.pstnOutboundTrunkId', settings: acmeAgent({ trunks: { ...trunks, pstnOutboundTrunkId: `ST_${'a'.repeat(TEXT_LIMITS.trunkId)}` } }) },
  { field: 'trunks.pbx.outboundTrunkId', settings: acmeAgent({ trunks: { ...trunks, pbx: { outboundTrunkId: `ST_${'b'.repeat(TEXT_LIMITS.trunkId)}` } } }) },
  { field: 'keypad.1', settings: acmeAgent({ keypad: { '1': longSip(TEXT_LIMITS.destination + 1) } }) },
  { field: 'keypad.2.destination', settings: acmeAgent({ keypad: { '2': { destination: longSip(TEXT_LIMITS.destination + 1) } } }) },
  { field: 'keypad.3.fallbacks.0', settings: acmeAgent({ keypad: { '3': { destination: 'ext:2001', fallbacks: [longSip(TEXT_LIMITS.destination + 1)] } } }) },
];

describe('over-long fields of PUT /v1/agents/{agentId}', () => {
  it.each(overLong)('$field over its cap: 422 naming it, and nothing stored', async ({ field, settings }) => {
    const before = await api.db.store.agent('acme.support');
    const response = await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.support', payload: settings });
    expect(response.statusCode).toBe(422);
    const { problems } = response.json() as { problems: string[] };
    expect(
      problems.some((p) => p.startsWith(`${field}: `) && /more than \d+ characters|at most \d+ characters/.test(p)),
      JSON.stringify(problems),
    ).toBe(true);
    expect(await api.db.store.agent('acme.support')).toEqual(before);
    // A new agent is not created either.
    const created = await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.fresh', payload: settings });
    expect(created.statusCode).toBe(422);
    expect(await api.db.store.agent('acme.fresh')).toBeUndefined();
  });
});

describe('rules: the same cap everywhere, and 100k characters refused at once', () => {
  it('100 000 characters of rules are refused in PUT /v1/agents/{agentId} quickly, naming warmTransfer.rules', async () => {
    const before = await api.db.store.agent('acme.support');
    // This process's CPU time (the service runs in it), not the wall clock: `npm test` runs this lane beside
    // the integration tests, where a wall-clock bound would measure their load.
    const started = process.cpuUsage();
    const response = await api.call(api.acmeToken, {
      method: 'PUT',
      url: '/v1/agents/acme.support',
      payload: acmeAgent({ warmTransfer: { enabled: true, rules: rulesOf(100_000) } }),
    });
    const used = process.cpuUsage(started);
    const elapsedMs = (used.user + used.system) / 1000;
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('warmTransfer.rules: must NOT have more than 20000 characters');
    expect(elapsedMs).toBeLessThan(500);
    expect(await api.db.store.agent('acme.support')).toEqual(before);
  });

  it('the cap of PUT equals that of read-back: 20 000 accepted by both, 20 001 refused by both', async () => {
    const atCap = rulesOf(TEXT_LIMITS.rules);
    const overCap = rulesOf(TEXT_LIMITS.rules + 1);
    const readBack = (rules: string) => api.call(api.acmeToken, { method: 'POST', url: '/v1/rules/read-back', payload: { rules } });
    const putAgent = (rules: string) =>
      api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.support', payload: acmeAgent({ warmTransfer: { enabled: true, rules } }) });
    expect((await readBack(atCap)).statusCode).toBe(200);
    expect((await readBack(overCap)).statusCode).toBe(422);
    expect((await putAgent(overCap)).statusCode).toBe(422);
    expect((await putAgent(atCap)).statusCode).toBe(200);
  });
});

describe('the JSON body limit', () => {
  it(`a JSON body over ${JSON_BODY_LIMIT_BYTES} bytes is 413 with the limit named, and nothing is stored`, async () => {
    const before = await api.db.store.agent('acme.support');
    const payload = JSON.stringify(acmeAgent({ instructions: 'x'.repeat(JSON_BODY_LIMIT_BYTES) }));
    const response = await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.support', headers: { 'content-type': 'application/json' }, payload });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: `the request body is larger than ${JSON_BODY_LIMIT_BYTES} bytes` });
    expect(await api.db.store.agent('acme.support')).toEqual(before);
  });
});
