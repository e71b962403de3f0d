// Settings files have the same length caps as the settings service (settings/limits.ts): an
// over-long field stops the worker at start-up with the field named, and over-long rules are refused
// without being compiled at all.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEXT_LIMITS } from '../../settings/limits.ts';
import { loadSettings, SettingsError } from '../../settings/settings.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'settings-caps-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RULE = 'If the caller asks for sales, warm transfer to ext:1002.\n\n';
const base = { agentId: 'support', trunks: { pbx: { outboundTrunkId: 'ST_pbx' } } };

async function problemsOf(settings: Record<string, unknown>): Promise<string> {
  const file = join(dir, `agent-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify({ ...base, ...settings }));
  const error = await loadSettings(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SettingsError);
  return (error as Error).message;
}

describe('length caps in settings files', () => {
  it.each([
    ['greeting', { greeting: 'Hi. '.repeat(TEXT_LIMITS.greeting) }],
    ['instructions', { instructions: 'Be kind. '.repeat(TEXT_LIMITS.instructions / 9 + 1) }],
    ['trunks.pstnOutboundTrunkId', { trunks: { ...base.trunks, pstnOutboundTrunkId: `ST_${'a'.repeat(TEXT_LIMITS.trunkId)}` } }],
    ['keypad.1', { keypad: { '1': `sip:${'a'.repeat(TEXT_LIMITS.destination)}@pbx.example.com` } }],
  ])('%s over its cap is refused, naming it', async (field, settings) => {
    expect(await problemsOf(settings)).toMatch(new RegExp(`${field.replaceAll('.', '\\.')}: at most \\d+ characters`));
  });

  // Work done is measured as this process's CPU time, not the wall clock: `npm test` runs this lane beside the
  // integration tests, where a wall-clock bound would measure their load.
  it('100 000 characters of rules are refused at once, not compiled', async () => {
    const started = process.cpuUsage();
    const message = await problemsOf({ warmTransfer: { enabled: true, rules: RULE.repeat(Math.ceil(100_000 / RULE.length)) } });
    expect(message).toMatch(/warmTransfer\.rules: at most 20000 characters/);
    const used = process.cpuUsage(started);
    expect((used.user + used.system) / 1000).toBeLessThan(500);
  });
});
