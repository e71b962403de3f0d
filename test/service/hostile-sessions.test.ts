// Attack: the settings page's session. The cookie must not carry a token (a stolen cookie would be a
// long-lived bearer token, the administrator's too); sessions end by themselves, on sign-out, when their
// token is revoked and when the administrator token changes; the cookie is Secure behind a trusted TLS
// proxy only; sign-in attempts are limited; every answer carries the security headers; and no cookie,
// however malformed, gets a 500.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../settings-service/app.ts';
import { hashToken } from '../../settings/store/tokens.ts';
import { acmeAgent, ADMIN_TOKEN, startApi, type ApiCast } from '../support/settings-api.ts';

let api: ApiCast;
const extraApps: FastifyInstance[] = [];

beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'sessions');
  expect((await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.support', payload: acmeAgent() })).statusCode).toBe(200);
});
afterAll(async () => {
  for (const app of extraApps) await app.close();
  await api?.close();
});

/** Another app on the same store (another instance, or the same service restarted with other settings). */
async function appWith(options: Omit<Parameters<typeof buildApp>[0], 'store'>): Promise<FastifyInstance> {
  const app = await buildApp({ store: api.db.store, ...options });
  extraApps.push(app);
  return app;
}

/** Signs in through the page's form; each test uses its own client address, so the attempt limit is its own. */
function signIn(token: string, remoteAddress: string, app: FastifyInstance = api.app, extra: Partial<InjectOptions> = {}) {
  return app.inject({
    method: 'POST',
    url: '/agents/acme.support/session',
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(extra.headers ?? {}) },
    payload: new URLSearchParams({ token }).toString(),
  });
}

function setCookie(response: { headers: Record<string, unknown> }): string {
  const header = response.headers['set-cookie'];
  const value = Array.isArray(header) ? header[0] : header;
  expect(typeof value, 'a Set-Cookie header').toBe('string');
  return value as string;
}

const cookieOf = (setCookieHeader: string) => setCookieHeader.split(';')[0] ?? '';
const page = (cookie: string, app: FastifyInstance = api.app) => app.inject({ method: 'GET', url: '/agents/acme.support', headers: { cookie } });
const apiGet = (cookie: string, app: FastifyInstance = api.app) => app.inject({ method: 'GET', url: '/v1/agents/acme.support', headers: { cookie } });

async function issueAcmeToken(): Promise<{ token: string; tokenId: string }> {
  const issued = await api.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/organizations/acme/tokens' });
  expect(issued.statusCode).toBe(201);
  return issued.json() as { token: string; tokenId: string };
}

async function redisValues(): Promise<string[]> {
  const values: string[] = [];
  for (const key of await api.db.store.redis.keys(`${api.db.prefix}*`)) {
    values.push(key);
    const type = await api.db.store.redis.type(key);
    if (type === 'hash') values.push(...Object.values(await api.db.store.redis.hgetall(key)));
    if (type === 'string') values.push((await api.db.store.redis.get(key)) ?? '');
  }
  return values;
}

describe('the session cookie', () => {
  it('carries a random session id, not the token, and the id is kept nowhere in Redis either', async () => {
    const signedIn = await signIn(api.acmeToken, '127.0.1.1');
    expect(signedIn.statusCode).toBe(303);
    const header = setCookie(signedIn);
    expect(header).not.toContain(api.acmeToken);
    expect(header).not.toContain(encodeURIComponent(api.acmeToken));
    const sessionId = cookieOf(header).split('=')[1] ?? '';
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes: 256 bits
    expect(header).toMatch(/; HttpOnly/);
    expect(header).toMatch(/; SameSite=Strict/);
    expect((await page(cookieOf(header))).statusCode).toBe(200);
    for (const value of await redisValues()) expect(value).not.toContain(sessionId);
  });

  it('an administrator session carries no administrator token, and ends when SETTINGS_ADMIN_TOKEN changes', async () => {
    const header = setCookie(await signIn(ADMIN_TOKEN, '127.0.1.2'));
    expect(header).not.toContain(ADMIN_TOKEN);
    expect((await apiGet(cookieOf(header))).statusCode).toBe(200);
    const restarted = await appWith({ adminToken: 'a-new-admin-token-9876543210' });
    expect((await apiGet(cookieOf(header), restarted)).statusCode).toBe(401);
    expect((await page(cookieOf(header), restarted)).statusCode).toBe(401);
  });
});

describe('sessions end', () => {
  it('after their lifetime: the session key expires in Redis and the cookie says so (Max-Age)', async () => {
    const short = await appWith({ adminToken: ADMIN_TOKEN, sessions: { sessionTtlSeconds: 1 } });
    const header = setCookie(await signIn(api.acmeToken, '127.0.1.3', short));
    expect(header).toMatch(/; Max-Age=1(;|$)/);
    expect((await apiGet(cookieOf(header), short)).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await apiGet(cookieOf(header), short)).statusCode).toBe(401);
    expect((await page(cookieOf(header), short)).statusCode).toBe(401);
  });

  it('at most 8 hours after sign-in by default', async () => {
    const header = setCookie(await signIn(api.acmeToken, '127.0.1.4'));
    expect(header).toMatch(/; Max-Age=28800(;|$)/);
    const keys = await api.db.store.redis.keys(`${api.db.prefix}session:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const ttl = await api.db.store.redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(28_800);
    }
  });

  it('on sign-out: the page has the button, the cookie is cleared and the old cookie no longer works', async () => {
    const cookie = cookieOf(setCookie(await signIn(api.acmeToken, '127.0.1.5')));
    const shown = await page(cookie);
    expect(shown.body).toContain('action="/agents/acme.support/sign-out"');
    expect(shown.body).toContain('id="sign-out"');
    const out = await api.app.inject({ method: 'POST', url: '/agents/acme.support/sign-out', headers: { cookie } });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/agents/acme.support');
    expect(setCookie(out)).toMatch(/^wt_session=; .*Max-Age=0/);
    expect((await apiGet(cookie)).statusCode).toBe(401);
    expect((await page(cookie)).statusCode).toBe(401);
  });

  it('when the administrator revokes the token they came from: at once, on every route', async () => {
    const { token, tokenId } = await issueAcmeToken();
    expect(tokenId).toBe(hashToken(token).slice(0, 16));
    const cookie = cookieOf(setCookie(await signIn(token, '127.0.1.6')));
    expect((await apiGet(cookie)).statusCode).toBe(200);
    // An organization cannot revoke tokens, not even its own.
    expect((await api.call(token, { method: 'DELETE', url: `/v1/organizations/acme/tokens/${tokenId}` })).statusCode).toBe(403);
    const revoked = await api.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/organizations/acme/tokens/${tokenId}` });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toEqual({ revoked: [tokenId] });
    expect((await apiGet(cookie)).statusCode).toBe(401);
    expect((await page(cookie)).statusCode).toBe(401);
    expect((await api.call(token, { method: 'GET', url: '/v1/agents/acme.support' })).statusCode).toBe(401);
    // The organization's other token still works.
    expect((await api.call(api.acmeToken, { method: 'GET', url: '/v1/agents/acme.support' })).statusCode).toBe(200);
  });

  it("when the administrator revokes all of an organization's tokens", async () => {
    const globex = await api.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/organizations/globex/tokens' });
    const { token } = globex.json() as { token: string };
    const cookie = cookieOf(setCookie(await signIn(token, '127.0.1.7')));
    const desk = await api.app.inject({ method: 'GET', url: '/v1/organizations/globex', headers: { cookie } });
    expect(desk.statusCode).toBe(200);
    const revoked = await api.call(ADMIN_TOKEN, { method: 'DELETE', url: '/v1/organizations/globex/tokens' });
    expect(revoked.statusCode).toBe(200);
    expect((revoked.json() as { revoked: string[] }).revoked).toHaveLength(2);
    expect((await api.app.inject({ method: 'GET', url: '/v1/organizations/globex', headers: { cookie } })).statusCode).toBe(401);
    expect((await api.call(api.globexToken, { method: 'GET', url: '/v1/organizations/globex' })).statusCode).toBe(401);
    // Acme's tokens are untouched.
    expect((await api.call(api.acmeToken, { method: 'GET', url: '/v1/organizations/acme' })).statusCode).toBe(200);
  });
});

describe('Secure behind a TLS-terminating proxy', () => {
  it('is Secure only when the proxy is trusted: not on an X-Forwarded-Proto from anyone else', async () => {
    const https = { headers: { 'x-forwarded-proto': 'https' } };
    const proxied = await appWith({ adminToken: ADMIN_TOKEN, trustProxy: '127.0.0.1' });
    const viaProxy = { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' } };
    const secured = await signIn(api.acmeToken, '127.0.0.1', proxied, viaProxy);
    expect(setCookie(secured)).toMatch(/; Secure(;|$)/);
    expect(secured.headers['strict-transport-security']).toBe('max-age=31536000');
    expect((await signIn(api.acmeToken, '127.0.1.7', api.app, https)).headers['strict-transport-security']).toBeUndefined();
    expect(setCookie(await signIn(api.acmeToken, '127.0.1.8', api.app, https))).not.toMatch(/Secure/);
    const otherProxy = await appWith({ adminToken: ADMIN_TOKEN, trustProxy: '10.0.0.1' });
    expect(setCookie(await signIn(api.acmeToken, '127.0.1.9', otherProxy, https))).not.toMatch(/Secure/);
  });
});

describe('sign-in and sign-out from another site', () => {
  it('are refused (403, no session made, none ended) when the browser says the form came from another site', async () => {
    const before = (await api.db.store.redis.keys(`${api.db.prefix}*session*`)).length;
    const crossSite = [
      { origin: 'http://evil.example' },
      { 'sec-fetch-site': 'cross-site', origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: 'http://settings.example.com' },
    ];
    for (const headers of crossSite) {
      const response = await signIn(api.acmeToken, '127.0.4.1', api.app, { headers });
      expect(response.statusCode, JSON.stringify(headers)).toBe(403);
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect((await api.db.store.redis.keys(`${api.db.prefix}*session*`)).length).toBe(before);

    // The page's own form (same origin, as a browser sends it) and a client that says nothing still sign in.
    const own = await signIn(api.acmeToken, '127.0.4.2', api.app, { headers: { origin: 'null', 'sec-fetch-site': 'same-origin' } });
    expect(own.statusCode).toBe(303);
    // An older browser without Sec-Fetch-Site: its Origin names this host.
    expect((await signIn(api.acmeToken, '127.0.4.3', api.app, { headers: { origin: 'http://localhost:80', host: 'localhost' } })).statusCode).toBe(303);
    const cookie = cookieOf(setCookie(own));
    const forgedSignOut = await api.app.inject({ method: 'POST', url: '/agents/acme.support/sign-out', headers: { cookie, origin: 'http://evil.example' } });
    expect(forgedSignOut.statusCode).toBe(403);
    expect((await page(cookie)).body).toContain('Sign out');
  });
});

describe('sign-in attempts', () => {
  it('are limited per client address: the 11th in a minute is 429 with Retry-After, even with a valid token', async () => {
    for (let i = 0; i < 10; i++) expect((await signIn(`wto_guess-${i}`, '127.0.2.1')).statusCode).toBe(401);
    const limited = await signIn(api.acmeToken, '127.0.2.1');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['set-cookie']).toBeUndefined();
    expect(limited.body).toContain('Too many sign-in attempts');
    // Another address is not held back by this one.
    expect((await signIn(api.acmeToken, '127.0.2.2')).statusCode).toBe(303);
  });

  it('are limited per agent page, whatever the address: the 31st in a minute on one page is 429', async () => {
    const attempt = (i: number) =>
      api.app.inject({
        method: 'POST',
        url: '/agents/globex.desk/session',
        remoteAddress: `127.0.3.${i}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'token=wto_guess',
      });
    for (let i = 1; i <= 30; i++) expect((await attempt(i)).statusCode).toBe(401);
    expect((await attempt(31)).statusCode).toBe(429);
  });
});

describe('security headers', () => {
  const expectHeaders = (response: { headers: Record<string, unknown> }) => {
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(String(response.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(String(response.headers['content-security-policy'])).not.toContain('unsafe-inline');
  };

  it('are on API answers, errors, the sign-in form and the page', async () => {
    expectHeaders(await api.call(api.acmeToken, { method: 'GET', url: '/v1/agents/acme.support' }));
    expectHeaders(await api.call(undefined, { method: 'GET', url: '/v1/agents/acme.support' }));
    expectHeaders(await api.call(api.acmeToken, { method: 'GET', url: '/no/such/route' }));
    expectHeaders(await api.app.inject({ method: 'GET', url: '/agents/acme.support' }));
    expectHeaders(await api.app.inject({ method: 'GET', url: '/' }));
  });

  it("the page's script and style run only by the nonce its policy names, a new one each time", async () => {
    const cookie = cookieOf(setCookie(await signIn(api.acmeToken, '127.0.4.1')));
    const first = await page(cookie);
    expectHeaders(first);
    const policy = String(first.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(policy)?.[1];
    expect(nonce, policy).toBeDefined();
    expect(first.body).toContain(`<script nonce="${nonce}">`);
    expect(first.body).toContain(`<style nonce="${nonce}">`);
    expect(first.body.match(/<script/g)).toHaveLength(1);
    const second = await page(cookie);
    expect(String(second.headers['content-security-policy'])).not.toContain(nonce);
  });
});

describe('malformed cookies are 401, never 500', () => {
  const cookies = {
    'bad percent-encoding': 'wt_session=%E0%A4%A',
    'a lone percent sign': 'wt_session=%',
    'a huge cookie, badly encoded': `wt_session=${'%'.repeat(12_000)}`,
    'thousands of cookies': Array.from({ length: 2000 }, (_, i) => `c${i}=v`).join('; ') + '; wt_session=%zz',
  };
  it.each(Object.entries(cookies))('%s', async (_name, cookie) => {
    const onApi = await api.app.inject({ method: 'GET', url: '/v1/agents/acme.support', headers: { cookie } });
    expect(onApi.statusCode).toBe(401);
    const onPage = await api.app.inject({ method: 'GET', url: '/agents/acme.support', headers: { cookie } });
    expect(onPage.statusCode).toBe(401);
    expect(onPage.body).toContain('Sign in');
  });
});
