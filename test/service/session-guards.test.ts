// What the session and timeout changes must keep, beside the attacks in hostile-sessions, -lengths and
// -timeouts (these already held before them): cookies and credentials that are merely wrong are 401; a
// blocking read on a duplicate of the store's client (the webhook sender's) still works under the store's
// command timeout.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_TOKEN, startApi, type ApiCast } from '../support/settings-api.ts';

let api: ApiCast;

beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'session-guards');
});
afterAll(async () => {
  await api?.close();
});

describe('wrong credentials are 401', () => {
  it.each(
    Object.entries({
      'a huge cookie': `wt_session=${'a'.repeat(12_000)}`,
      'an old cookie holding a raw token': `wt_session=wto_${'a'.repeat(43)}`,
      'a session id that was never issued': `wt_session=${'A'.repeat(43)}`,
    }),
  )('%s', async (_name, cookie) => {
    expect((await api.app.inject({ method: 'GET', url: '/v1/organizations/acme', headers: { cookie } })).statusCode).toBe(401);
    expect((await api.app.inject({ method: 'GET', url: '/agents/acme.support', headers: { cookie } })).statusCode).toBe(401);
  });

  it('a 100 kB sign-in token gets no session and no 5xx', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/agents/acme.support/session',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${'a'.repeat(100_000)}`,
    });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('the administrator token padded with more characters is not the administrator', async () => {
    expect((await api.call(`${ADMIN_TOKEN}${'x'.repeat(600)}`, { method: 'GET', url: '/v1/organizations/acme' })).statusCode).toBe(401);
  });
});

describe('blocking reads under the command timeout', () => {
  it("a duplicate() client's XREADGROUP BLOCK 1000 (the webhook sender's) returns normally, not a timeout", async () => {
    const reader = api.db.store.redis.duplicate();
    try {
      const outbox = api.db.store.keys.outbox();
      await reader.xgroup('CREATE', outbox, 'g', '0', 'MKSTREAM');
      const started = performance.now();
      const reply = await reader.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'BLOCK', 1000, 'STREAMS', outbox, '>');
      expect(reply).toBeNull();
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      reader.disconnect();
    }
  });
});
