// Attacks through the import command (issue 18): importing files that name another organization's agent
// id, which moved that agent (and its callers) into the importer's organization; and an import whose file
// names no hold music, which deleted music uploaded through the page or the API.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SettingsError } from '../../settings/settings.ts';
import { importSettings } from '../../settings-service/import.ts';
import { acmeAgent, ADMIN_TOKEN, startApi, type ApiCast } from '../support/settings-api.ts';
import { toneWav } from '../support/settings-store.ts';

let api: ApiCast;
beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'hostile-import');
});
afterAll(async () => {
  await api?.close();
});

function folder(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-import-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(content));
  return dir;
}

describe("an import naming another organization's agent", () => {
  it('is refused whole, naming the agent and its organization; the agent stays where it was and nothing else is imported', async () => {
    const globexDesk = acmeAgent({ organizationId: 'globex', greeting: 'Globex, hello.', warmTransfer: { enabled: false } });
    expect((await api.call(api.globexToken, { method: 'PUT', url: '/v1/agents/globex.desk', payload: globexDesk })).statusCode).toBe(200);
    const before = await api.db.store.agent('globex.desk');
    const dir = folder({
      'takeover.json': { agentId: 'globex.desk', greeting: 'Acme now answers your calls.', warmTransfer: { enabled: false } },
      'own.json': { agentId: 'acme.own', warmTransfer: { enabled: false } },
    });
    const error = await importSettings(api.db.store, dir, 'acme').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).problems).toEqual([expect.stringMatching(/takeover\.json: agent 'globex\.desk' belongs to organization 'globex'/)]);
    expect(await api.db.store.agent('globex.desk')).toEqual(before);
    expect(await api.db.store.agent('acme.own')).toBeUndefined();
    expect(await api.db.store.organizationAgentIds('globex')).toContain('globex.desk');
  });
});

describe('an import whose file names no hold music', () => {
  it('keeps the music uploaded through the API', async () => {
    expect((await api.call(ADMIN_TOKEN, { method: 'PUT', url: '/v1/agents/acme.music', payload: acmeAgent() })).statusCode).toBe(200);
    const upload = await api.call(api.acmeToken, {
      method: 'POST',
      url: '/v1/agents/acme.music/hold-music',
      headers: { 'content-type': 'audio/wav', 'x-file-name': 'brand.wav' },
      payload: toneWav(523),
    });
    expect(upload.statusCode).toBe(201);
    const dir = folder({ 'music.json': { agentId: 'acme.music', greeting: 'Imported greeting.', warmTransfer: { enabled: false } } });
    await importSettings(api.db.store, dir, 'acme');
    const agent = await api.db.store.agent('acme.music');
    expect(agent?.document.greeting).toBe('Imported greeting.');
    expect(agent?.holdMusic).toMatchObject({ name: 'brand.wav', format: 'wav' });
    expect(Buffer.compare((await api.db.store.holdMusicFile('acme.music'))!, toneWav(523))).toBe(0);
  });
});

describe('an import past the agent quota', () => {
  it('is refused whole, naming the limit', async () => {
    const owned = (await api.db.store.organizationAgentIds('acme')).length;
    const dir = folder({
      'one.json': { agentId: 'acme.q1', warmTransfer: { enabled: false } },
      'two.json': { agentId: 'acme.q2', warmTransfer: { enabled: false } },
    });
    const error = await importSettings(api.db.store, dir, 'acme', { maxAgentsPerOrganization: owned + 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).problems).toEqual([
      `organization 'acme' has ${owned} agents; 2 more would pass its limit of ${owned + 1} (SETTINGS_MAX_AGENTS_PER_ORGANIZATION)`,
    ]);
    expect(await api.db.store.agent('acme.q1')).toBeUndefined();
    expect(await api.db.store.agent('acme.q2')).toBeUndefined();
  });
});
