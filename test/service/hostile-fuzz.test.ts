// Fuzzing every route of the settings service with fast-check. The routes are read from the app itself
// (printRoutes), so a route anyone adds is fuzzed too. Each request gets random path parameters (the
// test's own agents and organizations, another organization's, and junk), a random body (JSON values,
// agent documents with random fields, huge strings, deep nesting, invalid UTF-8, random bytes) under a
// random Content-Type, and random headers (Authorization variants, cookies, Content-Length lies,
// X-Forwarded-*), as nobody, as organization acme, or as acme's page session.
// Invariant: never a 5xx, and an answer of 400 or more leaves every key under the test's prefix exactly as
// it was (sign-in attempt counters aside: counting refused attempts is their purpose).
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { acmeAgent, startApi } from '../support/settings-api.ts';
import { toneWav } from '../support/settings-store.ts';

const api = await startApi(inject('redisAddress'), 'fuzz');
afterAll(async () => {
  await api.close();
});

// Acme owns acme.support (with hold music), globex owns globex.desk; acme also holds a page session.
await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.support', payload: acmeAgent() });
await api.call(api.globexToken, { method: 'PUT', url: '/v1/agents/globex.desk', payload: { organizationId: 'globex', warmTransfer: { enabled: false } } });
await api.call(api.acmeToken, {
  method: 'POST',
  url: '/v1/agents/acme.support/hold-music',
  headers: { 'content-type': 'audio/wav' },
  payload: toneWav(440, 1),
});
await api.db.store.appendEvent('acme.support', 'message.taken', { name: 'Dana', message: 'call me' });
const signedIn = await api.app.inject({
  method: 'POST',
  url: '/agents/acme.support/session',
  remoteAddress: '127.0.9.9',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload: `token=${api.acmeToken}`,
});
const acmeCookie = String(signedIn.headers['set-cookie'] ?? '').split(';')[0] ?? '';

/** Every method and path the app serves, read from its route tree (HEAD is GET's). */
function appRoutes(): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = [];
  const stack: string[] = [];
  for (const line of api.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│├└─\s]*)(\S+?)(?: \(([A-Z, ]+)\))?$/u.exec(line.replace(/\s+$/, ''));
    if (!match?.[2]) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(match[2]);
    for (const method of (match[3] ?? '').split(', ').filter((m) => m && m !== 'HEAD')) routes.push({ method, path: stack.join('') });
  }
  return routes;
}

const routes = appRoutes();

// Random values of the pieces of a request.
const junk = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('..', '%00', '%2e%2e', 'a'.repeat(70), 'x'.repeat(5000), '%E0%A4%A', '🙂', 'acme.support%2Fhold-music', '0', '-1'),
);
const param = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('acme.support', 'globex.desk', 'acme', 'globex', 'nobody', '0123456789abcdef') },
  { weight: 1, arbitrary: junk },
);
const deep = fc.integer({ min: 50, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n));
const agentDoc = fc
  .dictionary(
    fc.constantFrom(
      'organizationId',
      'webhookUrl',
      'instructions',
      'greeting',
      'agentPhoneNumber',
      'warmTransfer',
      'trunks',
      'keypad',
      'messages',
      'agentId',
      'organization',
      'x',
    ),
    fc.jsonValue({ maxDepth: 3 }),
    { maxKeys: 6 },
  )
  .map((overrides) => JSON.stringify(acmeAgent(overrides)));
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  agentDoc,
  fc.record({ rules: fc.oneof(fc.string({ maxLength: 200 }), fc.constant('a'.repeat(20_001))) }).map((v) => JSON.stringify(v)),
  fc.record({ enabled: fc.jsonValue({ maxDepth: 1 }), rules: fc.string({ maxLength: 100 }) }).map((v) => JSON.stringify(v)),
  fc.constant(JSON.stringify({ instructions: 'x'.repeat(300_000) })),
  deep,
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), Buffer.from('RIFF\x00\x00\x00\x00WAVEfmt '), Buffer.from('ID3\x03\x00')),
  fc.string({ maxLength: 200 }).map((s) => `token=${encodeURIComponent(s)}&x=%zz`),
  fc.constant(''),
);
const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=xyz',
  'audio/wav',
  'audio/mpeg',
  'application/octet-stream',
  '*/*; q=%',
);
const authorization = fc.constantFrom<string | undefined>(
  undefined,
  `Bearer ${api.acmeToken}`,
  `bearer  ${api.acmeToken}  `,
  `Basic ${api.acmeToken}`,
  'Bearer',
  'Bearer wto_unknown',
  `Bearer ${'a'.repeat(10_000)}`,
  `Bearer ${api.acmeToken} extra`,
);
const cookie = fc.constantFrom<string | undefined>(
  undefined,
  acmeCookie,
  'wt_session=%E0%A4%A',
  `wt_session=${'A'.repeat(43)}`,
  `wt_session=${'b'.repeat(20_000)}`,
  `${acmeCookie}; ${acmeCookie}`,
  Array.from({ length: 500 }, (_, i) => `k${i}=%`).join('; '),
);
const extraHeaders = fc.record(
  {
    'content-length': fc.constantFrom('0', '1', '999999', '-1', 'abc'),
    'x-forwarded-for': fc.constantFrom('198.51.100.1', '::1, 10.0.0.1', 'garbage', '1.2.3.4'.repeat(200)),
    'x-forwarded-proto': fc.constantFrom('https', 'http', 'gopher'),
    'x-forwarded-host': fc.constantFrom('evil.example', ''),
    'x-settings-page': fc.constantFrom('1', '0'),
    'x-file-name': junk,
  },
  { requiredKeys: [] },
);

/** Every key under the test's prefix with its DUMPed value, sign-in attempt counters aside. */
async function snapshot(): Promise<Map<string, string>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await api.db.store.redis.scan(cursor, 'MATCH', `${api.db.prefix}*`, 'COUNT', 1000);
    keys.push(...found.filter((k) => !k.startsWith(`${api.db.prefix}sign-in:`)));
    cursor = next;
  } while (cursor !== '0');
  const pipeline = api.db.store.redis.pipeline();
  for (const key of keys) pipeline.dumpBuffer(key);
  const dumps = (await pipeline.exec()) ?? [];
  return new Map(keys.map((key, i) => [key, (dumps[i]?.[1] as Buffer | null)?.toString('base64') ?? '']));
}

describe('fuzzing every route', () => {
  it('found the routes to fuzz', () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
    expect(routes).toContainEqual({ method: 'PUT', path: '/v1/agents/:agentId' });
  });

  it.each(routes)('$method $path: never a 5xx, and a refusal changes nothing', async ({ method, path }) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(param, { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        body,
        contentType,
        authorization,
        cookie,
        extraHeaders,
        fc.constantFrom('', '?limit=5', '?limit=0', '?limit=99999', `?limit=${'9'.repeat(400)}`, '?v=1&v=2', '?%zz'),
        // Many client addresses, so that the sign-in limit per address does not answer every sign-in.
        fc.tuple(fc.integer({ min: 10, max: 250 }), fc.integer({ min: 1, max: 254 })).map(([a, b]) => `127.0.${a}.${b}`),
        async (params, encode, payload, type, auth, cookieHeader, extra, query, remoteAddress) => {
          let i = 0;
          const url = path.replace(/:\w+/g, () => (encode ? encodeURIComponent(params[i++] ?? '') : (params[i++] ?? '').replace(/[/?#\s]/g, '_'))) + query;
          const headers: Record<string, string> = { ...(extra as Record<string, string>) };
          if (type) headers['content-type'] = type;
          if (auth) headers.authorization = auth;
          if (cookieHeader) headers.cookie = cookieHeader;
          const before = await snapshot();
          const options: InjectOptions = { method: method as NonNullable<InjectOptions['method']>, url, headers, remoteAddress };
          if (method !== 'GET' && method !== 'DELETE') options.payload = payload;
          const response = await api.app.inject(options);
          expect(response.statusCode, `${method} ${url}: ${response.body.slice(0, 300)}`).toBeLessThan(500);
          if (response.statusCode >= 400) expect(await snapshot(), `${method} ${url} answered ${response.statusCode}`).toEqual(before);
        },
      ),
      { numRuns: 300, endOnFailure: true },
    );
  });
});
