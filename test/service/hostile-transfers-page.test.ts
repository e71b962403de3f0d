// What a stranger tries against the transfers summary and page: another organization's token or session on an
// agent that is not its own, unknown and malformed agent ids, no credentials or bad ones, and the sign-in form's
// way back used as an open redirect. Each refusal carries none of the agent's transfers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { acmeAgent, ADMIN_TOKEN, startApi, type ApiCast } from '../support/settings-api.ts';
import { storeTransfers } from '../support/transfer-history.ts';

let api: ApiCast;
beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'hostile-transfers');
  expect((await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.support', payload: acmeAgent() })).statusCode).toBe(200);
  const globex = { organizationId: 'globex', warmTransfer: { enabled: false } };
  expect((await api.call(api.globexToken, { method: 'PUT', url: '/v1/agents/globex.desk', payload: globex })).statusCode).toBe(200);
  await storeTransfers(api.db, 'acme.support', [
    {
      transferId: 'acme-secret-transfer',
      startMs: Date.now() - 60_000,
      caller: '+15125550142',
      attempts: [{ destination: 'ext:1002', outcome: 'accepted', ringS: 3 }],
    },
  ]);
});
afterAll(async () => {
  await api?.close();
});

const get = (url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** Nothing of acme.support's transfers in an answer. */
const leaksNothing = (body: string) => {
  expect(body).not.toContain('acme-secret-transfer');
  expect(body).not.toContain('ext:•••2');
  expect(body).not.toContain('transfer-count');
  expect(body).not.toContain('"totals"');
};

async function sessionCookie(token: string): Promise<string> {
  const response = await api.app.inject({
    method: 'POST',
    url: '/agents/globex.desk/session',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    payload: `token=${encodeURIComponent(token)}`,
  });
  expect(response.statusCode).toBe(303);
  return String(response.headers['set-cookie']).split(';')[0]!;
}

describe("another organization's agent", () => {
  it("globex's token gets 403 from the summary and the page, without acme's data", async () => {
    const json = await get('/v1/agents/acme.support/transfers/summary', bearer(api.globexToken));
    expect(json.statusCode).toBe(403);
    leaksNothing(json.body);
    const page = await get('/agents/acme.support/transfers', bearer(api.globexToken));
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('This token belongs to another organization.');
    leaksNothing(page.body);
  });

  it("globex's page session gets 403 too", async () => {
    const cookie = await sessionCookie(api.globexToken);
    for (const url of ['/v1/agents/acme.support/transfers/summary', '/agents/acme.support/transfers']) {
      const response = await get(url, { cookie });
      expect(response.statusCode, url).toBe(403);
      leaksNothing(response.body);
    }
    // Its own agent it sees.
    expect((await get('/agents/globex.desk/transfers', { cookie })).statusCode).toBe(200);
  });
});

describe('unknown and malformed agent ids', () => {
  it.each(['acme.nobody', 'globex.nobody', 'support'])("'%s' is 404, for the API and the page", async (agentId) => {
    expect((await get(`/v1/agents/${agentId}/transfers/summary`, bearer(api.acmeToken))).statusCode).toBe(404);
    const page = await get(`/agents/${agentId}/transfers`, bearer(api.acmeToken));
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('There is no agent');
  });

  it.each(['acme%20support', '..%2Facme.support', 'acme.support%00', `${'a'.repeat(65)}`, 'acme.support%0d%0aSet-Cookie:x=1', '%E2%80%AEacme'])(
    "'%s' is refused (4xx) without data",
    async (agentId) => {
      for (const url of [`/v1/agents/${agentId}/transfers/summary`, `/agents/${agentId}/transfers`]) {
        const response = await get(url, bearer(api.acmeToken));
        expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
        expect(response.statusCode, url).toBeLessThan(500);
        leaksNothing(response.body);
      }
    },
  );
});

describe('no credentials, or bad ones', () => {
  it('the summary is 401 without a token, with an unknown one, a malformed header or a revoked token', async () => {
    const revoked = (await api.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/organizations/acme/tokens' })).json() as { token: string; tokenId: string };
    expect((await api.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/organizations/acme/tokens/${revoked.tokenId}` })).statusCode).toBe(200);
    for (const headers of [{}, bearer('wto_guess'), { authorization: 'Basic YWNtZTp4' }, { authorization: 'Bearer' }, bearer(revoked.token)]) {
      const response = await get('/v1/agents/acme.support/transfers/summary', headers);
      expect(response.statusCode, JSON.stringify(headers)).toBe(401);
      leaksNothing(response.body);
    }
  });

  it('the page asks for a token instead (and forgets an ended session), showing nothing', async () => {
    const signIn = await get('/agents/acme.support/transfers');
    expect(signIn.statusCode).toBe(200);
    expect(signIn.body).toContain('id="token"');
    expect(signIn.body).toContain('name="then" value="transfers"');
    leaksNothing(signIn.body);
    const ended = await get('/agents/acme.support/transfers', { cookie: 'wt_session=not-a-session' });
    expect(ended.statusCode).toBe(401);
    expect(String(ended.headers['set-cookie'])).toContain('Max-Age=0');
    leaksNothing(ended.body);
  });
});

describe("the sign-in form's way back", () => {
  const post = (then: string) =>
    api.app.inject({
      method: 'POST',
      url: '/agents/acme.support/session',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      payload: `token=${encodeURIComponent(api.acmeToken)}&then=${encodeURIComponent(then)}`,
    });

  it('leads to the transfers page it came from', async () => {
    const response = await post('transfers');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/agents/acme.support/transfers');
  });

  it.each(['https://evil.example/', '//evil.example', '/agents/globex.desk/transfers', 'transfers/../../x'])(
    "is no redirect anywhere else: then='%s' is refused",
    async (then) => {
      const response = await post(then);
      expect(response.statusCode).toBe(422);
      expect(response.headers.location).toBeUndefined();
      expect(response.headers['set-cookie']).toBeUndefined();
    },
  );
});
