// Agents through the API: written whole or by their Warm Transfer section, checked by the settings-file
// schema; a refused write answers 422 with every problem and leaves the stored settings as they were.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { acmeAgent, startApi, type ApiCast } from '../support/settings-api.ts';

let api: ApiCast;

beforeAll(async () => {
  api = await startApi(inject('redisAddress'), 'agents');
});
afterAll(async () => {
  await api?.close();
});

const put = (url: string, payload: unknown, token = api.acmeToken) => api.call(token, { method: 'PUT', url, payload: payload as Record<string, unknown> });
const get = (url: string, token = api.acmeToken) => api.call(token, { method: 'GET', url });

describe('PUT /v1/agents/{agentId}', () => {
  it('creates an agent, then replaces it; each write bumps the version workers watch', async () => {
    const created = await put('/v1/agents/acme.support', acmeAgent());
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ agentId: 'acme.support', organizationId: 'acme', version: 1, holdMusic: null, webhookUrl: null });
    const replaced = await put('/v1/agents/acme.support', acmeAgent({ greeting: 'Hello from Acme.', webhookUrl: 'https://hooks.example.com/hook' }));
    expect(replaced.json()).toMatchObject({ version: 2, webhookUrl: 'https://hooks.example.com/hook', settings: { greeting: 'Hello from Acme.' } });
    expect((await get('/v1/agents/acme.support')).json()).toMatchObject({ version: 2, settings: { greeting: 'Hello from Acme.' } });
    expect(await api.db.store.agentVersion('acme.support')).toBe(2);
  });

  it('refuses bad settings with every problem listed, and keeps the previous settings', async () => {
    const before = (await get('/v1/agents/acme.support')).json();
    const response = await put('/v1/agents/acme.support', {
      organizationId: 'acme',
      agentPhoneNumber: '5550100',
      webhookUrl: 'ftp://example',
      warmTransfer: { enabled: 'yes', rules: 'If they ask for flowers, warm transfer to 1-800-FLOWERS.', ringingTimeoutSeconds: 500, holdMusic: 'x.mp3' },
      trunks: { pstnOutboundTrunkId: 'trunk-1' },
      keypad: { '0': 'ext:1' },
      colour: 'blue',
    });
    expect(response.statusCode).toBe(422);
    const { error, problems } = response.json() as { error: string; problems: string[] };
    expect(error).toContain('nothing was changed');
    const expected = [
      /^agentPhoneNumber: must be an E\.164 number/,
      /^webhookUrl: must be an http/,
      /^warmTransfer\.holdMusic: upload the file with POST/,
      /^warmTransfer\.enabled: .*boolean/,
      /^warmTransfer\.rules: rule 1: '1-800-FLOWERS' is not a phone number/,
      /^warmTransfer\.ringingTimeoutSeconds: /,
      /^trunks\.pstnOutboundTrunkId: must be a LiveKit SIP trunk id/,
      /^keypad\.0: key 0 is reserved/,
      /unknown key: colour/,
    ];
    for (const pattern of expected)
      expect(
        problems.some((p) => pattern.test(p)),
        `${pattern} in ${JSON.stringify(problems)}`,
      ).toBe(true);
    expect((await get('/v1/agents/acme.support')).json()).toEqual(before);
  });

  it('checks what relates fields, as files are: a destination needs its trunk', async () => {
    const response = await put('/v1/agents/acme.no-trunks', acmeAgent({ trunks: {} }));
    expect(response.statusCode).toBe(422);
    expect(response.json().problems).toEqual([
      'trunks.pbx: required to dial extension 1002 (warmTransfer.rules rule 1)',
      'trunks.pstnOutboundTrunkId: required to dial +1 512 555 1234 (warmTransfer.rules rule 1)',
    ]);
    expect(await api.db.store.agent('acme.no-trunks')).toBeUndefined();
  });

  it('refuses an unknown organization, an inline organization switch and a mismatched agentId', async () => {
    const response = await api.call(api.acmeToken, {
      method: 'PUT',
      url: '/v1/agents/acme.other',
      payload: { ...acmeAgent(), agentId: 'acme.support', organization: { warmTransferAvailable: true } },
    });
    expect(response.statusCode).toBe(422);
    const problems = response.json().problems as string[];
    expect(problems).toContain("agentId: 'acme.support' does not match the agent in the path ('acme.other')");
    expect(problems.some((p) => p.startsWith('organization: whether warm transfer is available is set by the administrator'))).toBe(true);
    const missingOrg = await put('/v1/agents/acme.other', acmeAgent({ organizationId: 'nobody' }), (await import('../support/settings-api.ts')).ADMIN_TOKEN);
    expect(missingOrg.json().problems).toContain("organizationId: organization 'nobody' does not exist; the administrator creates it");
  });

  it('refuses to enable warm transfer for an organization that does not have it, but stores it switched off', async () => {
    const enabled = await put('/v1/agents/globex.desk', acmeAgent({ organizationId: 'globex' }), api.globexToken);
    expect(enabled.statusCode).toBe(422);
    expect(enabled.json().problems).toEqual([
      "warmTransfer.enabled: organization 'globex' does not have warm transfer; ask your administrator to make it available",
    ]);
    const off = acmeAgent({ organizationId: 'globex', warmTransfer: { enabled: false, rules: 'If they ask for Eric, warm transfer to ext:1001.' } });
    expect((await put('/v1/agents/globex.desk', off, api.globexToken)).statusCode).toBe(200);
    const section = await get('/v1/agents/globex.desk/warm-transfer', api.globexToken);
    expect(section.json()).toMatchObject({ enabled: false, warmTransferAvailable: false });
  });

  it('answers 422 for a body that is not an object, and 400 for one that is not JSON', async () => {
    expect((await put('/v1/agents/acme.support', [1, 2])).statusCode).toBe(422);
    const broken = await api.call(api.acmeToken, {
      method: 'PUT',
      url: '/v1/agents/acme.support',
      headers: { 'content-type': 'application/json' },
      payload: '{"organizationId":',
    });
    expect(broken.statusCode).toBe(400);
    expect((await get('/v1/agents/acme.support')).json().version).toBe(2);
  });
});

describe('the Warm Transfer section', () => {
  it('GET answers the section with defaults filled in and the rules read back', async () => {
    const response = await get('/v1/agents/acme.support/warm-transfer');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      enabled: true,
      passThroughCallerNumber: true,
      ringingTimeoutSeconds: 30,
      decisionTimeoutSeconds: 20,
      warmTransferAvailable: true,
      holdMusic: null,
      plan: { lines: ['billing dispute → ext:1002, then +15125551234 (confirm first: no)', 'never: (nothing forbidden)'], warnings: [], errors: [] },
    });
  });

  it('PUT replaces it and answers the new plan; the rest of the agent stays', async () => {
    const response = await put('/v1/agents/acme.support/warm-transfer', {
      enabled: true,
      rules: 'If the caller asks for Eric, warm transfer to +1 (512) 555-1234. First confirm with the caller.',
      passThroughCallerNumber: false,
      ringingTimeoutSeconds: 20,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      passThroughCallerNumber: false,
      ringingTimeoutSeconds: 20,
      plan: { lines: ['Eric → +15125551234 (confirm first: yes)', 'never: (nothing forbidden)'] },
      version: 3,
    });
    expect((await get('/v1/agents/acme.support')).json().settings).toMatchObject({ greeting: 'Hello from Acme.', agentPhoneNumber: '+15125550100' });
  });

  it('PUT with bad rules or values is refused with every problem, and the section stays', async () => {
    const before = (await get('/v1/agents/acme.support/warm-transfer')).json();
    const response = await put('/v1/agents/acme.support/warm-transfer', {
      enabled: true,
      rules: 'If they ask for Eric, warm transfer to +44 20 7946 0958.\n\nIf they ask for sales, transfer to ext:',
      ringingTimeoutSeconds: 2,
      decisionTimeoutSeconds: 'soon',
    });
    expect(response.statusCode).toBe(422);
    const problems = response.json().problems as string[];
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^ringingTimeoutSeconds: /), expect.stringMatching(/^decisionTimeoutSeconds: /)]));
    const rules = await put('/v1/agents/acme.support/warm-transfer', {
      enabled: true,
      rules: 'If they ask for Eric, warm transfer to +44 20 7946 0958.\n\nIf they ask for sales, transfer to ext:',
    });
    expect(rules.statusCode).toBe(422);
    const ruleProblems = rules.json().problems as string[];
    expect(ruleProblems.filter((p) => p.startsWith('warmTransfer.rules: rule 1'))).toHaveLength(1);
    expect(ruleProblems.filter((p) => p.startsWith('warmTransfer.rules: rule 2'))).toHaveLength(1);
    expect((await get('/v1/agents/acme.support/warm-transfer')).json()).toEqual(before);
  });

  it('switching the organization off makes the section unavailable, and enabling it is then refused', async () => {
    const off = await put('/v1/organizations/acme', { warmTransferAvailable: false }, (await import('../support/settings-api.ts')).ADMIN_TOKEN);
    expect(off.statusCode).toBe(200);
    expect((await get('/v1/agents/acme.support/warm-transfer')).json().warmTransferAvailable).toBe(false);
    const enable = await put('/v1/agents/acme.support/warm-transfer', { enabled: true, rules: 'If they ask for Eric, warm transfer to ext:1001.' });
    expect(enable.statusCode).toBe(422);
    await put('/v1/organizations/acme', { warmTransferAvailable: true }, (await import('../support/settings-api.ts')).ADMIN_TOKEN);
  });

  it('POST /v1/rules/read-back reads rules back without saving them', async () => {
    const version = await api.db.store.agentVersion('acme.support');
    const response = await api.call(api.acmeToken, {
      method: 'POST',
      url: '/v1/rules/read-back',
      payload: { rules: 'If they ask for sales, warm transfer to ext:2001.\n\nBe polite.' },
    });
    expect(response.json()).toEqual({
      lines: ['sales → ext:2001 (confirm first: no)', 'rule 2 → no destination (guidance for the agent)', 'never: (nothing forbidden)'],
      warnings: ["rule 2 names no destination; the agent reads it as guidance only: 'Be polite.'"],
      errors: [],
      dialable: ['ext:2001'],
      forbidden: [],
      notDialled: [],
    });
    expect(await api.db.store.agentVersion('acme.support')).toBe(version);
  });

  it('POST /v1/rules/read-back shows what is forbidden and what is named but never dialled, each with its sentence', async () => {
    const rules = "Transfer to ext:1999 is strictly forbidden.\n\next:1998 is the CEO's private line.\n\nIf billing, warm transfer to ext:1002.";
    const response = await api.call(api.acmeToken, { method: 'POST', url: '/v1/rules/read-back', payload: { rules } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.dialable).toEqual(['ext:1002']);
    expect(body.forbidden).toEqual([{ destination: 'ext:1999', rule: 1, sentence: 'Transfer to ext:1999 is strictly forbidden.' }]);
    expect(body.notDialled).toEqual([
      {
        destination: 'ext:1998',
        rule: 2,
        sentence: "ext:1998 is the CEO's private line.",
        why: 'it is only mentioned, not given as a destination to transfer to',
      },
    ]);
    expect(body.lines).toEqual([
      'rule 1 → no destination; forbids ext:1999',
      'rule 2 → no destination; names ext:1998, not dialled (below)',
      'rule 3 → ext:1002 (confirm first: no)',
      'never: ext:1999',
      'not dialled (named in the rules, but no sentence tells the agent to transfer there):',
      "  ext:1998 (rule 2): it is only mentioned, not given as a destination to transfer to: 'ext:1998 is the CEO's private line.'",
    ]);
  });

  it('an unknown agent is 404', async () => {
    expect((await get('/v1/agents/nobody/warm-transfer')).statusCode).toBe(404);
  });
});

describe('messages and transfers', () => {
  it('answer the newest events from the capped streams, transfers grouped by timeline', async () => {
    const { store } = api.db;
    for (const type of ['started', 'hold_started', 'ended'])
      await store.appendEvent('acme.support', 'transfer.timeline', { transferId: 't-1', type, outcome: type === 'ended' ? 'declined' : undefined });
    await store.appendEvent('acme.support', 'transfer.timeline', { transferId: 't-2', type: 'started' });
    await store.appendEvent('acme.support', 'message.taken', { name: 'Dana', callbackNumber: '+15125550142', message: 'Call me back.' });
    const transfers = (await get('/v1/agents/acme.support/transfers')).json().transfers as Array<{
      transferId: string;
      entries: Array<{ id: string; data: { type: string } }>;
    }>;
    expect(transfers.map((t) => t.transferId)).toEqual(['t-2', 't-1']);
    expect(transfers[1]?.entries.map((e) => e.data.type)).toEqual(['started', 'hold_started', 'ended']);
    expect(new Set(transfers.flatMap((t) => t.entries.map((e) => e.id))).size).toBe(4);
    expect((await get('/v1/agents/acme.support/transfers?limit=1')).json().transfers).toHaveLength(1);
    const messages = (await get('/v1/agents/acme.support/messages')).json().messages;
    expect(messages).toEqual([
      expect.objectContaining({
        type: 'message.taken',
        agentId: 'acme.support',
        data: { name: 'Dana', callbackNumber: '+15125550142', message: 'Call me back.' },
      }),
    ]);
    expect((await get('/v1/agents/acme.support/messages?limit=0')).statusCode).toBe(422);
  });
});
