// The import command loads a settings file or folder into the store, checked as the worker checks files;
// with any problem in any file, nothing is imported.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SettingsError } from '../../settings/settings.ts';
import { importSettings } from '../../settings-service/import.ts';
import { testStore, toneWav, type TestStore } from '../support/settings-store.ts';

let db: TestStore;
beforeAll(() => {
  db = testStore(inject('redisAddress'), 'import');
});
afterAll(async () => {
  await db?.close();
});

function folder(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'import-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const support = {
  agentId: 'support',
  agentPhoneNumber: '+15125550100',
  warmTransfer: { enabled: true, rules: 'If the caller asks for Eric, warm transfer to ext:1002.', holdMusic: 'hold.wav', passThroughCallerNumber: false },
  trunks: { pbx: { outboundTrunkId: 'ST_pbx' } },
  messages: { file: 'messages.jsonl' },
};
const salesYaml = `agentId: sales
agentPhoneNumber: +15125550111
warmTransfer:
  enabled: true
  rules: |
    If the caller wants to buy, warm transfer to +15125551234.
trunks:
  pstnOutboundTrunkId: ST_pstn
keypad:
  1: +15125550000
`;

describe('import', () => {
  it('loads a folder of JSON and YAML files, hold music included, into the store', async () => {
    const dir = folder({ 'support.json': JSON.stringify(support), 'sales.yaml': salesYaml, 'hold.wav': toneWav(660), 'notes.txt': 'ignored' });
    const results = await importSettings(db.store, dir, 'acme');
    expect(results.map((r) => r.agentId).sort()).toEqual(['sales', 'support']);
    expect(await db.store.organization('acme')).toEqual({ id: 'acme', warmTransferAvailable: true });
    const agent = await db.store.agent('support');
    expect(agent).toMatchObject({
      organizationId: 'acme',
      holdMusic: { format: 'wav', name: 'hold.wav' },
      document: { warmTransfer: { enabled: true, passThroughCallerNumber: false } },
    });
    expect(agent?.document.warmTransfer).not.toHaveProperty('holdMusic');
    // The messages file is not carried into the store (messages go to the agent's stream), and the import says so.
    expect(agent?.document).not.toHaveProperty('messages');
    expect(results.find((r) => r.agentId === 'support')?.notes).toEqual([expect.stringContaining('messages.file was not imported')]);
    expect(results.find((r) => r.agentId === 'sales')?.notes).toEqual([]);
    expect(Buffer.compare((await db.store.holdMusicFile('support'))!, toneWav(660))).toBe(0);
    // The YAML's unquoted +1 numbers stay text, as the worker reads them.
    expect((await db.store.agent('sales'))?.document).toMatchObject({ agentPhoneNumber: '+15125550111', keypad: { '1': '+15125550000' } });
  });

  it('imports nothing when any file has a problem, and lists every problem', async () => {
    const before = await db.store.agent('support');
    const dir = folder({
      'support.json': JSON.stringify({ ...support, greeting: 'Changed' }),
      'hold.wav': toneWav(660).subarray(0, 1000),
      'broken.json': JSON.stringify({ agentId: 'broken', warmTransfer: { enabled: true, rules: 'If they ask, warm transfer to 1-800-FLOWERS.' } }),
    });
    const error = await importSettings(db.store, dir, 'acme').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsError);
    const problems = (error as SettingsError).problems;
    expect(problems.some((p) => p.includes('broken.json') && p.includes('1-800-FLOWERS'))).toBe(true);
    expect(problems.some((p) => p.includes('support.json') && p.includes('truncated WAV'))).toBe(true);
    expect(await db.store.agent('support')).toEqual(before);
    expect(await db.store.agent('broken')).toBeUndefined();
  });

  it('a file saying the organization lacks warm transfer switches it off (its agents stay off)', async () => {
    const dir = folder({ 'desk.json': JSON.stringify({ agentId: 'desk', organization: { warmTransferAvailable: false }, warmTransfer: { enabled: false } }) });
    await importSettings(db.store, dir, 'globex');
    expect(await db.store.organization('globex')).toEqual({ id: 'globex', warmTransferAvailable: false });
    expect((await db.store.agent('desk'))?.organizationId).toBe('globex');
  });
});
