import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFor } from '../../settings/rules/plan.ts';
import { loadSettings, SettingsError, warmTransferEnabled } from '../../settings/settings.ts';
import { wavBytes } from '../../phones/wav.ts';

// A valid 8 kHz mono 16-bit WAV holding 100 ms of silence.
const silentWav = (): Buffer => wavBytes(new Int16Array(800), 8000);

const SUPPORT = {
  agentId: 'support',
  organization: { warmTransferAvailable: true },
  instructions: 'Be brief.',
  greeting: 'Hello, support here.',
  agentPhoneNumber: '+15550100',
  warmTransfer: {
    enabled: true,
    rules:
      'If the caller has a billing dispute, warm transfer to ext:1002.\n\nIf the caller asks for Eric, warm transfer to +15125551234.\nFirst confirm with the caller that they would like to be transferred.',
    holdMusic: 'music/hold.wav',
    passThroughCallerNumber: false,
    ringingTimeoutSeconds: 25,
  },
  trunks: { inbound: { acceptsRefer: true }, pstnOutboundTrunkId: 'ST_pstn1', pbx: { outboundTrunkId: 'ST_pbx1' } },
  keypad: { '1': 'ext:2001', '2': '+1 (512) 555-0000' },
  messages: { file: 'messages.jsonl' },
};

let root = '';
let counter = 0;

/** Writes files (objects as JSON, strings and buffers as they are) into a fresh folder; returns it. */
async function folderWith(files: Record<string, unknown>): Promise<string> {
  const dir = join(root, `case-${++counter}`);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    const data = typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content);
    await writeFile(join(dir, name), data);
  }
  return dir;
}

/** The problems loadSettings reports for `path`, with the case folder `dir` taken off the paths in them. */
async function problemsOf(path: string, dir: string): Promise<string[]> {
  const error = await loadSettings(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SettingsError)) throw new Error(`expected a SettingsError, got ${String(error)}`);
  return error.problems.map((p) => p.replaceAll(`${dir}/`, ''));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'settings-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loading a valid single file', () => {
  it('parses every field, resolves paths against the file and converts seconds to ms', async () => {
    const dir = await folderWith({ 'support.json': SUPPORT, 'music/hold.wav': silentWav() });
    const settings = (await loadSettings(join(dir, 'support.json'))).forAgent(undefined);
    expect(settings).toMatchObject({
      agentId: 'support',
      file: join(dir, 'support.json'),
      instructions: 'Be brief.',
      greeting: 'Hello, support here.',
      agentPhoneNumber: '+15550100',
      trunks: { pstnOutboundTrunkId: 'ST_pstn1', pbxOutboundTrunkId: 'ST_pbx1', inboundAcceptsRefer: true },
      messagesFile: join(dir, 'messages.jsonl'),
    });
    expect(settings.warmTransfer).toMatchObject({
      enabled: true,
      holdMusic: join(dir, 'music/hold.wav'),
      passThroughCallerNumber: false,
      ringingTimeoutMs: 25_000,
      decisionTimeoutMs: 20_000,
      progressNoteIntervalMs: 45_000,
    });
    expect(settings.warmTransfer.plan.rules.map((r) => [r.label, r.confirmFirst])).toEqual([
      ['billing dispute', false],
      ['Eric', true],
    ]);
    expect(planFor(settings.warmTransfer.plan, '512.555.1234')?.destination).toEqual({ kind: 'phone', e164: '+15125551234' });
    expect(planFor(settings.warmTransfer.plan, '+1 900 555 0000')).toBeUndefined();
    expect([...settings.keypad]).toEqual([
      ['1', { destinations: [{ kind: 'extension', extension: '2001' }], label: 'extension 2001', warm: false }],
      ['2', { destinations: [{ kind: 'phone', e164: '+15125550000' }], label: '+1 512 555 0000', warm: false }],
    ]);
    expect(warmTransferEnabled(settings)).toBe(true);
  });

  it('fills defaults for a file that names only the agent', async () => {
    const dir = await folderWith({ 'a.json': { agentId: 'a' } });
    const settings = (await loadSettings(join(dir, 'a.json'))).forAgent('any-id');
    expect(settings.organization.warmTransferAvailable).toBe(true);
    expect(settings.warmTransfer).toMatchObject({
      enabled: false,
      plan: { rules: [], forbidden: [], warnings: [] },
      holdMusic: undefined,
      passThroughCallerNumber: true,
      ringingTimeoutMs: 30_000,
    });
    expect(settings.keypad.size).toBe(0);
    expect(settings.trunks.inboundAcceptsRefer).toBe(false);
    expect(warmTransferEnabled(settings)).toBe(false);
  });

  it.each([
    [true, false, false],
    [false, true, false],
    [true, true, true],
  ])('warmTransferEnabled: organization %s, agent %s → %s', async (available, enabled, expected) => {
    const dir = await folderWith({
      'a.json': { agentId: 'a', organization: { warmTransferAvailable: available }, warmTransfer: { enabled, rules: 'If a, transfer to sip:a@b.com.' } },
    });
    expect(warmTransferEnabled((await loadSettings(join(dir, 'a.json'))).forAgent(undefined))).toBe(expected);
  });
});

describe('loading a folder', () => {
  it('chooses settings by agent id, and names the agents when the id is unknown or missing', async () => {
    const dir = await folderWith({
      'support.json': { agentId: 'support' },
      'sales.json': { agentId: 'sales' },
      'README.md': '# not settings',
    });
    const set = await loadSettings(dir);
    expect(set.forAgent('sales').file).toBe(join(dir, 'sales.json'));
    expect(set.forAgent('support').agentId).toBe('support');
    expect(() => set.forAgent('billing')).toThrow("no settings for agent 'billing'; configured agents: sales, support");
    expect(() => set.forAgent(undefined)).toThrow('the call names no agent, and several are configured: sales, support');
  });

  it('reads YAML files beside JSON ones, and keeps a +1 number the text it is written as', async () => {
    const yaml = [
      'agentId: sales',
      'agentPhoneNumber: +15125550100',
      'warmTransfer:',
      '  enabled: true',
      '  ringingTimeoutSeconds: 20',
      '  rules: |',
      '    If the caller wants a quote, warm transfer to +1 512 555 1234.',
      '',
      '    If the caller asks for the manager, warm transfer to sip:manager@pbx.example.com.',
      'trunks:',
      '  pstnOutboundTrunkId: ST_pstn1',
      'keypad:',
      '  2: +15125550000',
      '',
    ].join('\n');
    const dir = await folderWith({ 'support.json': { agentId: 'support' }, 'sales.yaml': yaml, 'hold.mp3': 'not settings' });
    const sales = (await loadSettings(dir)).forAgent('sales');
    expect(sales).toMatchObject({ agentPhoneNumber: '+15125550100', trunks: { pstnOutboundTrunkId: 'ST_pstn1' } });
    expect(sales.warmTransfer).toMatchObject({ enabled: true, ringingTimeoutMs: 20_000 });
    expect(sales.warmTransfer.plan.rules.map((r) => r.chains.flat())).toEqual([
      [{ kind: 'phone', e164: '+15125551234' }],
      [expect.objectContaining({ kind: 'sip', uri: 'sip:manager@pbx.example.com' })],
    ]);
    expect([...sales.keypad]).toEqual([['2', { destinations: [{ kind: 'phone', e164: '+15125550000' }], label: '+1 512 555 0000', warm: false }]]);
  });

  it('uses the only agent of a folder when the call names none', async () => {
    const dir = await folderWith({ 'support.json': { agentId: 'support' } });
    expect((await loadSettings(dir)).forAgent(undefined).agentId).toBe('support');
  });

  it.each([
    ['a duplicated agent id', { 'a.json': { agentId: 'x' }, 'b.json': { agentId: 'x' } }, ["b.json: agentId: 'x' is already used by a.json"]],
    ['no settings files', { 'notes.txt': 'hello' }, ['ROOT: the folder holds no .json, .yaml or .yml settings files']],
    ['broken JSON', { 'a.json': '{ "agentId": ' }, ['a.json: not valid JSON: Unexpected end of JSON input']],
    [
      'broken YAML',
      { 'a.yaml': 'agentId: a\nkeypad: {1: ext:2001\n' },
      ['a.yaml: not valid YAML: Flow map in block collection must be sufficiently indented and end with a } at line 3, column 1'],
    ],
    [
      'a YAML problem, located like a JSON one',
      { 'a.yml': 'agentId: a\nwarmTransfer:\n  enabled: yes\n' },
      ['a.yml: warmTransfer.enabled: Invalid input: expected boolean, received string'],
    ],
  ])('reports %s', async (_, files, expected) => {
    const dir = await folderWith(files);
    expect(await problemsOf(dir, dir)).toEqual(expected.map((p) => p.replace('ROOT', dir)));
  });

  it('reports a path that does not exist', async () => {
    await expect(loadSettings(join(root, 'nowhere'))).rejects.toThrow(`${join(root, 'nowhere')}: no such settings file or folder`);
  });
});

describe('problems in one file', () => {
  const withWarm = (warmTransfer: object, rest: object = {}) => ({ agentId: 'a', warmTransfer, ...rest });

  it.each([
    ['a missing agent id', {}, ['a.json: agentId: is required']],
    ['a missing enabled flag', withWarm({ rules: '' }), ['a.json: warmTransfer.enabled: is required']],
    ['a number for a string', { agentId: 5 }, ['a.json: agentId: Invalid input: expected string, received number']],
    ['a string for a boolean', withWarm({ enabled: 'yes' }), ['a.json: warmTransfer.enabled: Invalid input: expected boolean, received string']],
    [
      'a string for seconds',
      withWarm({ enabled: false, ringingTimeoutSeconds: '30' }),
      ['a.json: warmTransfer.ringingTimeoutSeconds: Invalid input: expected number, received string'],
    ],
    [
      'unknown keys',
      { agentId: 'a', agentID: 'a', warmTransfer: { enabled: false, holdMuzak: 'x' } },
      ['a.json: warmTransfer: unknown key: holdMuzak', 'a.json: unknown key: agentID'],
    ],
    ['keypad 0', { agentId: 'a', keypad: { '0': 'sip:op@pbx.example.com' } }, ['a.json: keypad.0: key 0 is reserved: callers press 0 to stop waiting on hold']],
    [
      'a keypad key that is not one key',
      { agentId: 'a', keypad: { '12': 'sip:op@pbx.example.com' } },
      ['a.json: keypad.12: a keypad key is one of 1-9, * or #'],
    ],
    [
      'a bad keypad destination',
      { agentId: 'a', keypad: { '#': 'sip:op@pbx.example.com?X=1' } },
      ["a.json: keypad.#: 'sip:op@pbx.example.com?X=1' is not an allowed SIP address: SIP headers (after '?') are not allowed"],
    ],
    [
      'a string for acceptsRefer',
      { agentId: 'a', trunks: { inbound: { acceptsRefer: 'yes' } } },
      ['a.json: trunks.inbound.acceptsRefer: Invalid input: expected boolean, received string'],
    ],
    [
      'a bad trunk id',
      { agentId: 'a', trunks: { pstnOutboundTrunkId: 'trunk-1' } },
      ['a.json: trunks.pstnOutboundTrunkId: must be a LiveKit SIP trunk id, such as ST_a1b2c3'],
    ],
    ['an extension without a PBX trunk', { agentId: 'a', keypad: { '1': 'ext:2001' } }, ['a.json: trunks.pbx: required to dial extension 2001 (keypad.1)']],
    [
      'a phone number without a PSTN trunk',
      withWarm({ enabled: true, rules: 'If a, transfer to sip:a@b.com.\nIf b, transfer to +15125551234.' }),
      ['a.json: trunks.pstnOutboundTrunkId: required to dial +1 512 555 1234 (warmTransfer.rules rule 2)'],
    ],
    [
      'no caller number and no agent number',
      withWarm({ enabled: false, passThroughCallerNumber: false }),
      ['a.json: agentPhoneNumber: required when warmTransfer.passThroughCallerNumber is false: destinations are shown this number'],
    ],
    [
      'a keypad rule dialling what a rule forbids',
      withWarm({ enabled: false, rules: 'Never transfer to ext:1999.' }, { keypad: { '5': 'pbx:1999' }, trunks: { pbx: { outboundTrunkId: 'ST_pbx' } } }),
      ['a.json: keypad.5: ext:1999 is forbidden by warmTransfer.rules rule 1'],
    ],
    [
      'a rule allowing what another forbids',
      withWarm({ enabled: true, rules: 'If sales, transfer to ext:2001.\n\nDo not transfer to ext:2001.' }, { trunks: { pbx: { outboundTrunkId: 'ST_pbx' } } }),
      ["a.json: warmTransfer.rules: ext:2001 is a destination of rule 1 and forbidden by rule 2 ('Do not transfer to ext:2001.'); say one or the other"],
    ],
    [
      'warm transfer on with no destination',
      withWarm({ enabled: true, rules: 'Be kind.' }),
      ['a.json: warmTransfer.rules: warm transfer is enabled but no rule names a destination'],
    ],
    [
      'a missing hold music file',
      withWarm({ enabled: false, holdMusic: 'none.mp3' }),
      ["a.json: warmTransfer.holdMusic: hold music 'none.mp3' was not found at none.mp3"],
    ],
    ['a missing messages folder', { agentId: 'a', messages: { file: 'logs/messages.jsonl' } }, ['a.json: messages.file: folder not found: logs']],
  ])('reports %s with its location', async (_, document, expected) => {
    const dir = await folderWith({ 'a.json': document });
    expect(await problemsOf(join(dir, 'a.json'), dir)).toEqual(expected);
  });

  it('reports several problems together, across files', async () => {
    const dir = await folderWith({
      'agents/support.json': {
        ...SUPPORT,
        agentId: 'support',
        greeting: 42,
        keypad: { '0': 'ext:9' },
        warmTransfer: {
          enabled: true,
          rules: 'If billing, transfer to ext:1002.\n\nIf London, warm transfer to +44 20 7946 0958.\n\nIf a human, transfer to someone.',
          holdMusic: 'hold.mp3',
        },
        extra: true,
      },
      'agents/hold.mp3': 'Hello, I am not music',
      'agents/sales.json': { agentId: 'sales', warmTransfer: { enabled: 'true' } },
    });
    // Sorted: zod reports fields with async checks (the hold music file) after the rest, which is not the point here.
    expect((await problemsOf(join(dir, 'agents'), dir)).sort()).toEqual(
      [
        'agents/sales.json: warmTransfer.enabled: Invalid input: expected boolean, received string',
        'agents/support.json: greeting: Invalid input: expected string, received number',
        "agents/support.json: warmTransfer.rules: rule 2: '+44 20 7946 0958' is not a US phone number: only +1 numbers can be dialled",
        "agents/support.json: warmTransfer.rules: rule 3: it says 'transfer to' but names no destination (write ext:1002, a US phone number or a sip: address)",
        'agents/support.json: keypad.0: key 0 is reserved: callers press 0 to stop waiting on hold',
        'agents/support.json: unknown key: extra',
        "agents/support.json: warmTransfer.holdMusic: hold music 'hold.mp3' is not an MP3 or WAV file (it starts with 'Hello, I')",
      ].sort(),
    );
  });

  it('puts every problem in the error message, one a line', async () => {
    const dir = await folderWith({ 'a.json': { agentId: 5, keypad: { '0': 'ext:1' } } });
    await expect(loadSettings(join(dir, 'a.json'))).rejects.toThrow(/invalid agent settings:\n {2}- .*agentId.*\n {2}- .*keypad\.0/);
  });
});

describe("the README's example settings", () => {
  // The README is where people copy settings from: both of its examples must load as they are.
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('## Agent settings and Warm Transfer Rules'));
  const block = (lang: string) => [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].find((m) => m[1] === lang)?.[2];

  it.each([
    ['json', 'support.json'],
    ['yaml', 'support.yaml'],
  ])('the %s example loads', async (lang, name) => {
    const text = block(lang);
    expect(text).toBeDefined();
    // Its hold music is checked by content, so the folder gets a real (silent) WAV under that name.
    const dir = await folderWith({ [name]: text, 'hold.mp3': silentWav() });
    const settings = (await loadSettings(join(dir, name))).forAgent(undefined);
    expect(settings.agentId).toBe('support');
    expect(settings.warmTransfer.plan.rules.map((r) => r.confirmFirst)).toEqual([false, true]);
    expect(planFor(settings.warmTransfer.plan, 'ext:1002')?.chain.map((d) => d.kind)).toEqual(['extension', 'phone']);
    expect([...settings.keypad.keys()]).toEqual(['1', '2']);
    expect(settings.trunks).toEqual({ pstnOutboundTrunkId: 'ST_pstn', pbxOutboundTrunkId: 'ST_pbx', inboundAcceptsRefer: false });
  });
});
