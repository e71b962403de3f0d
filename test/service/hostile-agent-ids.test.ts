// Attacks on agent ids by an organization holding its own token (issue 18): claiming the default agent
// (every call whose dispatch names no agent), squatting ids outside its namespace, moving an agent,
// passing the agent quota (also by racing), deleting another organization's agent, and inheriting what a
// deleted agent left behind. Each refusal is checked to change nothing in the store.
import { initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StoreSettingsSource } from '../../agent/call-settings/store.ts';
import { buildApp } from '../../settings-service/app.ts';
import { acmeAgent, ADMIN_TOKEN, startApi, type ApiCast } from '../support/settings-api.ts';
import { testStore, toneWav } from '../support/settings-store.ts';

let api: ApiCast;
beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  api = await startApi(inject('redisAddress'), 'hostile-ids');
});
afterAll(async () => {
  await api?.close();
});

const put = (token: string, agentId: string, body: Record<string, unknown>) => api.call(token, { method: 'PUT', url: `/v1/agents/${agentId}`, payload: body });
const del = (token: string, agentId: string) => api.call(token, { method: 'DELETE', url: `/v1/agents/${agentId}` });
const globexAgent = () => acmeAgent({ organizationId: 'globex', warmTransfer: { enabled: false } });

describe('claiming the default agent (every call whose dispatch names no agent)', () => {
  it("an organization's token cannot create 'warm-transfer-agent': 403, nothing stored, and a worker finds no agent to give calls", async () => {
    const response = await put(api.acmeToken, 'warm-transfer-agent', acmeAgent({ greeting: 'Hi, this is not your bank.' }));
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toMatch(/reserved|administrator/);
    expect(await api.db.store.agent('warm-transfer-agent')).toBeUndefined();
    const source = await StoreSettingsSource.open(api.db.url, api.db.prefix);
    try {
      await expect(source.forCall('warm-transfer-agent')).rejects.toThrow("no agent 'warm-transfer-agent'");
    } finally {
      await source.store.close();
    }
  });

  it('nor a reserved id inside its own namespace (AGENT_NAME may be one), while the administrator creates it for an organization', async () => {
    const db = testStore(inject('redisAddress'), 'hostile-ids-reserved');
    const app = await buildApp({
      store: db.store,
      adminToken: ADMIN_TOKEN,
      tenancy: { maxAgentsPerOrganization: 100, reservedAgentIds: new Set(['acme.main']) },
    });
    try {
      await db.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
      const token = 'wto_acme-reserved-test-token';
      await db.store.addToken('acme', token);
      const call = (auth: string) =>
        app.inject({ method: 'PUT', url: '/v1/agents/acme.main', headers: { authorization: `Bearer ${auth}` }, payload: acmeAgent() });
      expect((await call(token)).statusCode).toBe(403);
      expect(await db.store.agent('acme.main')).toBeUndefined();
      expect((await call(ADMIN_TOKEN)).statusCode).toBe(200);
      // Created for acme by the administrator, it is acme's to change from then on.
      expect((await call(token)).statusCode).toBe(200);
    } finally {
      await app.close();
      await db.close();
    }
  });
});

describe("ids outside the organization's namespace", () => {
  it.each(['support', 'globex.support', 'acme', 'acme.', 'acme.eu.support', 'acmex.support'])(
    "acme cannot create '%s' (403, nothing stored)",
    async (agentId) => {
      const response = await put(api.acmeToken, agentId, acmeAgent());
      expect(response.statusCode).toBe(403);
      expect(response.json().error).toContain("'acme.'");
      expect(await api.db.store.agent(agentId)).toBeUndefined();
      expect(await api.db.store.organizationAgentIds('acme')).not.toContain(agentId);
    },
  );

  it("acme creates 'acme.support' itself; globex gets 403 on it and its data stays hidden", async () => {
    expect((await put(api.acmeToken, 'acme.support', acmeAgent())).statusCode).toBe(200);
    const before = await api.db.store.agent('acme.support');
    const stolen = await put(api.globexToken, 'acme.support', globexAgent());
    expect(stolen.statusCode).toBe(403);
    expect(stolen.body).not.toContain('ext:1002');
    expect(await api.db.store.agent('acme.support')).toEqual(before);
  });
});

describe('moving an agent to another organization', () => {
  it("is refused to an organization, is the administrator's, and the listings and rights follow the move", async () => {
    expect((await put(api.acmeToken, 'acme.moving', acmeAgent())).statusCode).toBe(200);
    const before = await api.db.store.agent('acme.moving');
    expect((await put(api.acmeToken, 'acme.moving', acmeAgent({ organizationId: 'globex' }))).statusCode).toBe(403);
    expect((await put(api.globexToken, 'acme.moving', globexAgent())).statusCode).toBe(403);
    expect(await api.db.store.agent('acme.moving')).toEqual(before);

    expect((await put(ADMIN_TOKEN, 'acme.moving', globexAgent())).statusCode).toBe(200);
    const list = async (token: string, orgId: string) =>
      (await api.call(token, { method: 'GET', url: `/v1/organizations/${orgId}/agents` })).json().agents as string[];
    expect(await list(api.acmeToken, 'acme')).not.toContain('acme.moving');
    expect(await list(api.globexToken, 'globex')).toContain('acme.moving');
    // acme cannot take it back, nor delete it; globex can change it.
    expect((await put(api.acmeToken, 'acme.moving', acmeAgent())).statusCode).toBe(403);
    expect((await del(api.acmeToken, 'acme.moving')).statusCode).toBe(403);
    expect((await put(api.globexToken, 'acme.moving', globexAgent())).statusCode).toBe(200);
  });
});

describe('listing', () => {
  it("an organization lists its own agents only; another organization's list is 403", async () => {
    expect((await put(api.acmeToken, 'acme.listed', acmeAgent())).statusCode).toBe(200);
    expect((await put(api.globexToken, 'globex.hidden', globexAgent())).statusCode).toBe(200);
    const own = await api.call(api.acmeToken, { method: 'GET', url: '/v1/organizations/acme/agents' });
    expect(own.statusCode).toBe(200);
    expect(own.json().agents).toContain('acme.listed');
    expect(own.json().agents).not.toContain('globex.hidden');
    const other = await api.call(api.acmeToken, { method: 'GET', url: '/v1/organizations/globex/agents' });
    expect(other.statusCode).toBe(403);
    expect(other.body).not.toContain('globex.hidden');
  });
});

describe('delete and reclaim', () => {
  it('another organization cannot delete an agent; its own organization deletes settings, music and streams, and the id starts clean', async () => {
    expect((await put(api.acmeToken, 'acme.desk', acmeAgent({ greeting: 'Old greeting.' }))).statusCode).toBe(200);
    const upload = await api.call(api.acmeToken, {
      method: 'POST',
      url: '/v1/agents/acme.desk/hold-music',
      headers: { 'content-type': 'audio/wav' },
      payload: toneWav(660),
    });
    expect(upload.statusCode).toBe(201);
    await api.db.store.appendEvent('acme.desk', 'message.taken', { name: 'Dana', callbackNumber: '+15125550142', message: 'Old message.' });

    expect((await del(api.globexToken, 'acme.desk')).statusCode).toBe(403);
    expect((await api.db.store.agent('acme.desk'))?.holdMusic).toBeDefined();

    const deleted = await del(api.acmeToken, 'acme.desk');
    expect(deleted.statusCode).toBe(200);
    expect(await api.db.store.agent('acme.desk')).toBeUndefined();
    expect(await api.db.store.holdMusicFile('acme.desk')).toBeUndefined();
    expect(await api.db.store.organizationAgentIds('acme')).not.toContain('acme.desk');
    expect((await del(api.acmeToken, 'acme.desk')).statusCode).toBe(404);

    const again = await put(api.acmeToken, 'acme.desk', acmeAgent());
    expect(again.json()).toMatchObject({ version: 1, holdMusic: null });
    expect((await api.call(api.acmeToken, { method: 'GET', url: '/v1/agents/acme.desk/messages' })).json().messages).toEqual([]);
  });

  it('what a running call or an upload writes after the deletion never reaches the next owner of the id', async () => {
    expect((await put(ADMIN_TOKEN, 'front-desk', acmeAgent())).statusCode).toBe(200);
    expect((await del(ADMIN_TOKEN, 'front-desk')).statusCode).toBe(200);
    // A call that started before the deletion takes a message; an upload that read the agent just before lands.
    await api.db.store.appendEvent('front-desk', 'message.taken', { name: 'Dana', callbackNumber: '+15125550142', message: "acme's caller" });
    const stale = { sha256: 'f'.repeat(64), format: 'wav' as const, bytes: 4, name: 'acme.wav', durationMs: 1, uploadedAt: new Date().toISOString() };
    // The upload finds the agent gone (the storing script reads it in the same step) and writes nothing.
    await expect(api.db.store.putHoldMusic('front-desk', stale, Buffer.from('RIFF'), Buffer.alloc(4))).rejects.toThrow('agent front-desk no longer exists');

    expect((await put(ADMIN_TOKEN, 'front-desk', globexAgent())).statusCode).toBe(200);
    const messages = await api.call(api.globexToken, { method: 'GET', url: '/v1/agents/front-desk/messages' });
    expect(messages.json().messages).toEqual([]);
    expect((await api.db.store.agent('front-desk'))?.holdMusic).toBeUndefined();
    expect(await api.db.store.holdMusicFile('front-desk')).toBeUndefined();
  });
});

describe('a call that outlives its agent', () => {
  it('writes nothing into the agent once the administrator gave the id to another organization, and its message is not called saved', async () => {
    expect((await put(ADMIN_TOKEN, 'night-desk', acmeAgent())).statusCode).toBe(200);
    // A worker reads acme's agent for a call; while that call runs, the id is deleted and given to globex.
    const source = await StoreSettingsSource.open(api.db.url, api.db.prefix);
    try {
      expect((await source.forCall('night-desk')).organizationId).toBe('acme');
      expect((await del(ADMIN_TOKEN, 'night-desk')).statusCode).toBe(200);
      expect((await put(ADMIN_TOKEN, 'night-desk', globexAgent())).statusCode).toBe(200);
      const outboxBefore = await api.db.store.redis.xlen(api.db.store.keys.outbox());

      await expect(
        source.publishMessage({
          at: new Date().toISOString(),
          agentId: 'night-desk',
          name: 'Dana',
          callbackNumber: '+15125550142',
          message: "acme's caller",
          'lk.pii.caller_number': undefined,
          'lk.pii.room_name': undefined,
        }),
      ).rejects.toThrow("no longer belongs to organization 'acme'");
      source.publishTimeline('night-desk', { at: new Date().toISOString(), event: 'hold_started', transferId: 't-acme' } as never);
      await new Promise((resolve) => setTimeout(resolve, 200));

      const messages = await api.call(api.globexToken, { method: 'GET', url: '/v1/agents/night-desk/messages' });
      const transfers = await api.call(api.globexToken, { method: 'GET', url: '/v1/agents/night-desk/transfers' });
      expect(messages.json().messages).toEqual([]);
      expect(transfers.json().transfers).toEqual([]);
      expect(await api.db.store.redis.xlen(api.db.store.keys.outbox())).toBe(outboxBefore);
    } finally {
      await source.store.close();
    }
  });
});

describe('the agent quota per organization', () => {
  it('refuses the agent past the limit with a clear 403, even when the creations race; deleting one frees a place', async () => {
    const db = testStore(inject('redisAddress'), 'hostile-ids-quota');
    const app = await buildApp({ store: db.store, adminToken: ADMIN_TOKEN, tenancy: { maxAgentsPerOrganization: 3, reservedAgentIds: new Set() } });
    try {
      await db.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
      const token = 'wto_acme-quota-test-token';
      await db.store.addToken('acme', token);
      const call = (method: 'PUT' | 'DELETE', agentId: string, auth = token) =>
        app.inject({
          method,
          url: `/v1/agents/${agentId}`,
          headers: { authorization: `Bearer ${auth}` },
          ...(method === 'PUT' ? { payload: acmeAgent() } : {}),
        });
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => call('PUT', `acme.a${i}`)));
      expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(3);
      const refused = answers.filter((a) => a.statusCode !== 200);
      expect(refused.map((a) => a.statusCode)).toEqual(Array(5).fill(403));
      expect(refused[0]?.json().error).toContain('the most it may have (3)');
      expect(await db.store.organizationAgentIds('acme')).toHaveLength(3);
      expect(await db.store.agentIds()).toHaveLength(3);
      // The administrator is held to it too; an existing agent can still be changed.
      expect((await call('PUT', 'acme.extra', ADMIN_TOKEN)).statusCode).toBe(403);
      const [first] = await db.store.organizationAgentIds('acme');
      expect((await call('PUT', first!)).statusCode).toBe(200);
      expect((await call('DELETE', first!)).statusCode).toBe(200);
      expect((await call('PUT', 'acme.extra')).statusCode).toBe(200);
    } finally {
      await app.close();
      await db.close();
    }
  });

  it('counts agents stored by an older version (before organizations had their own sets) from the start', async () => {
    const db = testStore(inject('redisAddress'), 'hostile-ids-legacy');
    try {
      await db.store.putOrganization({ id: 'acme', warmTransferAvailable: true });
      for (const agentId of ['support', 'sales']) {
        // As an older service stored them: the agent's hash and the set of all agents, nothing else.
        await db.store.redis.sadd(db.store.keys.agents(), agentId);
        await db.store.redis.hset(db.store.keys.agent(agentId), { document: JSON.stringify({ organizationId: 'acme' }), version: 1 });
      }
      const app = await buildApp({ store: db.store, adminToken: ADMIN_TOKEN, tenancy: { maxAgentsPerOrganization: 2, reservedAgentIds: new Set() } });
      try {
        const listed = await app.inject({ method: 'GET', url: '/v1/organizations/acme/agents', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        expect(listed.json()).toEqual({ agents: ['sales', 'support'] });
        const third = await app.inject({
          method: 'PUT',
          url: '/v1/agents/acme.third',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          payload: acmeAgent(),
        });
        expect(third.statusCode).toBe(403);
        expect(await db.store.agent('acme.third')).toBeUndefined();
      } finally {
        await app.close();
      }
    } finally {
      await db.close();
    }
  });
});
