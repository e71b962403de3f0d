// Who may do what: no token or an unknown one is 401 on every route; an organization's token gets 403 on
// the administrator's routes and on another organization's agent, and never its data. Tokens are stored
// only as hashes.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { acmeAgent, ADMIN_TOKEN, startApi, type ApiCast } from '../support/settings-api.ts';

let api: ApiCast;

// Every route of the API but the public OpenAPI document, with a body each accepts from the right caller.
const routes = [
  { method: 'PUT', url: '/v1/organizations/acme', payload: { warmTransferAvailable: true } },
  { method: 'GET', url: '/v1/organizations/acme' },
  { method: 'GET', url: '/v1/organizations/acme/agents' },
  { method: 'POST', url: '/v1/organizations/acme/tokens' },
  { method: 'DELETE', url: '/v1/organizations/acme/tokens' },
  { method: 'PUT', url: '/v1/agents/support', payload: acmeAgent() },
  { method: 'GET', url: '/v1/agents/support' },
  { method: 'GET', url: '/v1/agents/support/warm-transfer' },
  { method: 'PUT', url: '/v1/agents/support/warm-transfer', payload: { enabled: false, rules: '' } },
  { method: 'POST', url: '/v1/rules/read-back', payload: { rules: 'If they ask for Eric, warm transfer to ext:1001.' } },
  { method: 'POST', url: '/v1/agents/support/hold-music', headers: { 'content-type': 'audio/wav' }, payload: Buffer.from('RIFF') },
  { method: 'GET', url: '/v1/agents/support/hold-music' },
  { method: 'DELETE', url: '/v1/agents/support/hold-music' },
  { method: 'GET', url: '/v1/agents/support/messages' },
  { method: 'GET', url: '/v1/agents/support/transfers' },
  { method: 'DELETE', url: '/v1/agents/support' },
] as const;

beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'auth');
  // The administrator creates 'support' for acme (an organization creates only 'acme.*' ids itself).
  const put = await api.call(ADMIN_TOKEN, { method: 'PUT', url: '/v1/agents/support', payload: acmeAgent() });
  expect(put.statusCode).toBe(200);
});
afterAll(async () => {
  await api?.close();
});

describe('authentication', () => {
  it.each(routes)('$method $url without a token is 401', async (route) => {
    const response = await api.call(undefined, { ...route });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.json()).toEqual({ error: expect.stringContaining('bearer token is required') });
  });

  it.each(routes)('$method $url with an unknown token is 401', async (route) => {
    const response = await api.call('wto_not-a-token-anyone-was-given', { ...route });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'unknown token' });
  });

  it('a malformed Authorization header is 401', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/v1/agents/support', headers: { authorization: `Basic ${api.acmeToken}` } });
    expect(response.statusCode).toBe(401);
  });

  it('the OpenAPI document is public and describes every route', async () => {
    const response = await api.call(undefined, { method: 'GET', url: '/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toMatch(/^3\./);
    for (const route of routes) {
      const path = route.url.replace('/acme', '/{orgId}').replace('/support', '/{agentId}');
      expect(Object.keys(document.paths[path] ?? {}), `${route.method} ${path}`).toContain(route.method.toLowerCase());
    }
  });
});

describe('authorization', () => {
  it("an organization's token cannot switch warm transfer, issue tokens or revoke them: 403, and nothing changes", async () => {
    const put = await api.call(api.globexToken, { method: 'PUT', url: '/v1/organizations/globex', payload: { warmTransferAvailable: true } });
    expect(put.statusCode).toBe(403);
    expect((await api.db.store.organization('globex'))?.warmTransferAvailable).toBe(false);
    const tokens = await api.call(api.acmeToken, { method: 'POST', url: '/v1/organizations/acme/tokens' });
    expect(tokens.statusCode).toBe(403);
    expect(tokens.body).not.toContain('wto_');
    const revoke = await api.call(api.acmeToken, { method: 'DELETE', url: '/v1/organizations/globex/tokens' });
    expect(revoke.statusCode).toBe(403);
    expect((await api.call(api.globexToken, { method: 'GET', url: '/v1/organizations/globex' })).statusCode).toBe(200);
  });

  it.each(routes.filter((r) => r.url.startsWith('/v1/agents/')))(
    "$method $url with another organization's token is 403 and shows none of the agent's data",
    async (route) => {
      const before = await api.db.store.agent('support');
      const response = await api.call(api.globexToken, { ...route });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({ error: 'this token belongs to another organization' });
      expect(response.body).not.toContain('ext:1002');
      expect((await api.db.store.agent('support'))?.version).toBe(before?.version);
    },
  );

  it('an organization cannot create an agent in another organization', async () => {
    const response = await api.call(api.globexToken, { method: 'PUT', url: '/v1/agents/stolen', payload: acmeAgent() });
    expect(response.statusCode).toBe(403);
    expect(await api.db.store.agent('stolen')).toBeUndefined();
  });

  it('the administrator may read and write any agent', async () => {
    expect((await api.call(ADMIN_TOKEN, { method: 'GET', url: '/v1/agents/support' })).statusCode).toBe(200);
    expect((await api.call(ADMIN_TOKEN, { method: 'GET', url: '/v1/organizations/globex' })).json()).toEqual({ id: 'globex', warmTransferAvailable: false });
  });

  it("an organization reads its own organization, not another's", async () => {
    expect((await api.call(api.acmeToken, { method: 'GET', url: '/v1/organizations/acme' })).statusCode).toBe(200);
    expect((await api.call(api.acmeToken, { method: 'GET', url: '/v1/organizations/globex' })).statusCode).toBe(403);
  });

  it('tokens are stored only as their SHA-256: no key or value in Redis holds a token', async () => {
    const keys = await api.db.store.redis.keys(`${api.db.prefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain(api.acmeToken);
      const type = await api.db.store.redis.type(key);
      const values = type === 'hash' ? Object.values(await api.db.store.redis.hgetall(key)) : type === 'string' ? [await api.db.store.redis.get(key)] : [];
      for (const value of values) expect(value).not.toContain(api.acmeToken.slice(4));
    }
  });
});
