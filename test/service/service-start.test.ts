// `npm run settings`: refuses to start without an administrator token or with bad proxy or session
// settings, and otherwise listens on 127.0.0.1:$SETTINGS_PORT with the store at REDIS_URL (database index
// honoured), its page cookie Secure behind the proxy SETTINGS_TRUST_PROXY trusts.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../stack/local-stack.ts';
import { ADMIN_TOKEN } from '../support/settings-api.ts';
import { eventually } from '../support/rooms.ts';
import { testRedisUrl, testStore } from '../support/settings-store.ts';

const db = testStore(inject('redisAddress'), 'start');
let child: ChildProcess | undefined;
let output = '';

function start(env: Record<string, string>): ChildProcess {
  output = '';
  const started = spawn(process.execPath, [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'settings-service/main.ts'], {
    cwd: repoRoot,
    detached: true,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  started.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  started.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return started;
}

const exited = (c: ChildProcess) => new Promise<number | null>((done) => (c.exitCode !== null ? done(c.exitCode) : c.once('exit', (code) => done(code))));

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });

afterAll(async () => {
  if (child && child.exitCode === null) {
    process.kill(-child.pid!, 'SIGTERM');
    await exited(child);
  }
  await db.close();
});

describe('npm run settings', () => {
  it('refuses to start without SETTINGS_ADMIN_TOKEN', async () => {
    const refused = start({ REDIS_URL: db.url, SETTINGS_PORT: String(await freePort()) });
    expect(await exited(refused)).toBe(1);
    expect(output).toContain('SETTINGS_ADMIN_TOKEN must be set');
  });

  it('refuses to start with a malformed webhook setting, naming it', async () => {
    const base = { REDIS_URL: db.url, SETTINGS_ADMIN_TOKEN: ADMIN_TOKEN, SETTINGS_PORT: String(await freePort()) };
    expect(await exited(start({ ...base, SETTINGS_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1, not a host!' }))).toBe(1);
    expect(output).toContain("SETTINGS_WEBHOOK_ALLOWED_HOSTS: 'not a host!' is not a host name");
    expect(await exited(start({ ...base, SETTINGS_WEBHOOK_RETENTION_S: '5' }))).toBe(1);
    expect(output).toContain('SETTINGS_WEBHOOK_RETENTION_S must be whole seconds from 60 to 86400');
  });

  it('refuses to start with a bad SETTINGS_TRUST_PROXY or SETTINGS_SESSION_TTL_S, naming both at once', async () => {
    const refused = start({
      REDIS_URL: db.url,
      SETTINGS_ADMIN_TOKEN: ADMIN_TOKEN,
      SETTINGS_PORT: String(await freePort()),
      SETTINGS_TRUST_PROXY: 'proxy.example.com',
      SETTINGS_SESSION_TTL_S: '10',
    });
    expect(await exited(refused)).toBe(1);
    expect(output).toContain("SETTINGS_TRUST_PROXY: 'proxy.example.com' is not an IP address or CIDR");
    expect(output).toContain("SETTINGS_SESSION_TTL_S must be a whole number of seconds from 300 to 604800, not '10'");
  });

  it('listens on 127.0.0.1:$SETTINGS_PORT, uses the database in REDIS_URL, and never logs a token', async () => {
    const port = await freePort();
    child = start({
      REDIS_URL: testRedisUrl(inject('redisAddress')),
      SETTINGS_KEY_PREFIX: db.prefix,
      SETTINGS_ADMIN_TOKEN: ADMIN_TOKEN,
      SETTINGS_PORT: String(port),
      SETTINGS_TRUST_PROXY: '127.0.0.1',
      SETTINGS_SESSION_TTL_S: '600',
    });
    await eventually(() => output.includes('Server listening at http://127.0.0.1:'), 30_000, 'the service to listen');
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/v1/openapi.json`)).status).toBe(200);
    const put = await fetch(`${base}/v1/organizations/acme`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ warmTransferAvailable: true }),
    });
    expect(put.status).toBe(200);
    expect(await db.store.organization('acme')).toEqual({ id: 'acme', warmTransferAvailable: true });
    const issued = (await (
      await fetch(`${base}/v1/organizations/acme/tokens`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as { token: string };
    expect((await fetch(`${base}/v1/organizations/acme`, { headers: { authorization: `Bearer ${issued.token}` } })).status).toBe(200);
    // Behind the trusted proxy (127.0.0.1) that says the request came over HTTPS, the page's cookie is Secure.
    const signedIn = await fetch(`${base}/agents/support/session`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
      body: new URLSearchParams({ token: issued.token }).toString(),
    });
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers.getSetCookie()[0] ?? '';
    expect(cookie).toMatch(/^wt_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=600; Secure$/);
    expect(output).not.toContain(ADMIN_TOKEN);
    expect(output).not.toContain(issued.token);
    expect(output).not.toContain(cookie.split(';')[0]?.split('=')[1]);
  });
});
