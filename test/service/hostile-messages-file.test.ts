// Attacks through file paths in stored agents (issue 18): an organization naming a messages file (absolute,
// or climbing out with '..') for workers to append callers' words to, and probing the service's machine
// through the answers (which folders exist, what a file starts with). Plus the worker's side: an agent
// written to Redis by an older version with a messages file is read without it, and the import leaves it out.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StoreSettingsSource } from '../../agent/call-settings/store.ts';
import { importSettings } from '../../settings-service/import.ts';
import { acmeAgent, ADMIN_TOKEN, startApi, type ApiCast } from '../support/settings-api.ts';

let api: ApiCast;
const scratch = mkdtempSync(join(tmpdir(), 'hostile-paths-'));

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  api = await startApi(inject('redisAddress'), 'hostile-files');
  expect((await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.support', payload: acmeAgent() })).statusCode).toBe(200);
});
afterAll(async () => {
  await api?.close();
});

const put = (body: Record<string, unknown>, token = api.acmeToken) => api.call(token, { method: 'PUT', url: '/v1/agents/acme.support', payload: body });

describe('messages.file in a stored agent', () => {
  it.each([
    ['an absolute path', join(scratch, 'appended-by-a-worker.jsonl')],
    ["a path climbing out with '..'", '../../../../../../tmp/appended-by-a-worker.jsonl'],
    ['a relative path', 'messages.jsonl'],
  ])('%s is refused (422, the reason named), for the administrator too, and nothing changes', async (_what, file) => {
    const before = await api.db.store.agent('acme.support');
    for (const token of [api.acmeToken, ADMIN_TOKEN]) {
      const response = await put(acmeAgent({ messages: { file } }), token);
      expect(response.statusCode).toBe(422);
      expect(response.json().problems).toContain(
        'messages: an agent in the settings store cannot name a messages file; the messages it takes go to its own stream (GET /v1/agents/{agentId}/messages) and its webhook',
      );
    }
    expect(await api.db.store.agent('acme.support')).toEqual(before);
  });
});

describe("the service's machine cannot be probed through the answers", () => {
  const problemsFor = async (body: Record<string, unknown>) => {
    const response = await put(body);
    expect(response.statusCode).toBe(422);
    return response.json().problems as string[];
  };

  it('a messages file in a folder that exists and in one that does not get the same answer, naming neither folder', async () => {
    const existing = await problemsFor(acmeAgent({ messages: { file: join(scratch, 'x.jsonl') } }));
    const missing = await problemsFor(acmeAgent({ messages: { file: join(scratch, 'no-such-folder', 'x.jsonl') } }));
    expect(existing).toEqual(missing);
    expect(JSON.stringify(existing)).not.toContain(scratch);
  });

  it("a hold music path is never opened: a file's first bytes, or whether it exists, never appear in the answer", async () => {
    const secret = join(scratch, 'secret.txt');
    writeFileSync(secret, 'SECRET42 the rest of a private file');
    const withRules = (holdMusic: string) =>
      acmeAgent({ warmTransfer: { enabled: true, rules: 'If they ask for sales, warm transfer to ext:1002.', holdMusic } });
    const present = await problemsFor(withRules(secret));
    const absent = await problemsFor(withRules(join(scratch, 'no-such-file.mp3')));
    expect(present).toEqual(absent);
    expect(JSON.stringify(present)).not.toMatch(/SECRET|not found|not a file|scratch|hostile-paths/);
    expect(present).toEqual([expect.stringMatching(/^warmTransfer\.holdMusic: upload the file with POST/)]);
  });
});

describe('a worker reading the store', () => {
  it('never appends to a messages file found in a stored agent (written to Redis by an older version)', async () => {
    const { store } = api.db;
    const target = join(scratch, 'older-version.jsonl');
    const current = await store.agent('acme.support');
    // As an older service stored it: straight into the agent's hash, bypassing today's checks.
    await store.redis.hset(store.keys.agent('acme.support'), { document: JSON.stringify({ ...current!.document, messages: { file: target } }) });
    await store.redis.hincrby(store.keys.agent('acme.support'), 'version', 1);
    const source = await StoreSettingsSource.open(api.db.url, api.db.prefix);
    try {
      const call = await source.forCall('acme.support');
      expect(call.settings.messagesFile).toBeUndefined();
    } finally {
      await source.store.close();
    }
    // The organization can still change its Warm Transfer section; the old file name goes with that write.
    const section = await api.call(api.acmeToken, { method: 'PUT', url: '/v1/agents/acme.support/warm-transfer', payload: { enabled: false, rules: '' } });
    expect(section.statusCode).toBe(200);
    expect((await store.agent('acme.support'))?.document).not.toHaveProperty('messages');
  });
});

describe('the import command', () => {
  it('does not carry messages.file into the store, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-import-messages-'));
    writeFileSync(
      join(dir, 'desk.json'),
      JSON.stringify({ agentId: 'acme.import-desk', warmTransfer: { enabled: false }, messages: { file: 'messages.jsonl' } }),
    );
    const [result] = await importSettings(api.db.store, dir, 'acme');
    expect((await api.db.store.agent('acme.import-desk'))?.document).not.toHaveProperty('messages');
    expect(result?.notes.join(' ')).toContain('messages.file was not imported');
  });
});
