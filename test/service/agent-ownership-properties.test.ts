// Agent ownership as invariants, searched by fast-check over random sequences of creates, replacements,
// moves and deletions by two organizations and the administrator: no answer is a 5xx; a refused request
// changes nothing; an organization never creates an id outside its namespace or a reserved one, never
// changes another organization's agent; each organization's set of agent ids is exactly the agents it owns,
// never more than the quota.
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../settings-service/app.ts';
import { acmeAgent, ADMIN_TOKEN } from '../support/settings-api.ts';
import { testStore, type TestStore } from '../support/settings-store.ts';

const QUOTA = 2;
const RESERVED = 'warm-transfer-agent';
const IDS = ['acme.a', 'acme.b', 'acme.c', 'globex.a', 'support', RESERVED, 'acme.x.y'] as const;
const ORGS = ['acme', 'globex'] as const;
const TOKENS = { acme: 'wto_property-acme-token', globex: 'wto_property-globex-token', admin: ADMIN_TOKEN } as const;

let db: TestStore;
let app: FastifyInstance;

beforeAll(async () => {
  db = testStore(inject('redisAddress'), 'ownership-props');
  app = await buildApp({ store: db.store, adminToken: ADMIN_TOKEN, tenancy: { maxAgentsPerOrganization: QUOTA, reservedAgentIds: new Set([RESERVED]) } });
  for (const org of ORGS) {
    await db.store.putOrganization({ id: org, warmTransferAvailable: true });
    await db.store.addToken(org, TOKENS[org]);
  }
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

const owners = async () => Object.fromEntries(await Promise.all(IDS.map(async (id) => [id, (await db.store.agent(id))?.organizationId] as const)));
const snapshot = async () => ({
  agents: await Promise.all(IDS.map((id) => db.store.agent(id))),
  sets: await Promise.all(ORGS.map((org) => db.store.organizationAgentIds(org))),
});

const operation = fc.record({
  who: fc.constantFrom('acme', 'globex', 'admin' as const),
  action: fc.constantFrom('put', 'put', 'section', 'delete' as const),
  id: fc.constantFrom(...IDS),
  org: fc.constantFrom(...ORGS),
});

describe('agent ownership', () => {
  it('holds its invariants over any sequence of writes by organizations and the administrator', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 12 }), async (operations) => {
        for (const id of IDS) await db.store.deleteAgent(id).catch(() => undefined);
        await db.store.redis.del(...ORGS.map((org) => db.store.keys.organizationAgents(org)));
        for (const { who, action, id, org } of operations) {
          const before = await snapshot();
          const ownersBefore = await owners();
          const headers = { authorization: `Bearer ${TOKENS[who]}` };
          const response =
            action === 'delete'
              ? await app.inject({ method: 'DELETE', url: `/v1/agents/${id}`, headers })
              : action === 'section'
                ? await app.inject({ method: 'PUT', url: `/v1/agents/${id}/warm-transfer`, headers, payload: { enabled: false, rules: '' } })
                : await app.inject({ method: 'PUT', url: `/v1/agents/${id}`, headers, payload: acmeAgent({ organizationId: org }) });
          expect(response.statusCode, response.body).toBeLessThan(500);
          if (response.statusCode >= 400) expect(await snapshot()).toEqual(before);
          const ownersAfter = await owners();
          if (who !== 'admin') {
            for (const agentId of IDS) {
              // Another organization's agent is untouched, and nothing becomes another organization's.
              if (ownersBefore[agentId] !== undefined && ownersBefore[agentId] !== who)
                expect((await snapshot()).agents[IDS.indexOf(agentId)]).toEqual(before.agents[IDS.indexOf(agentId)]);
              if (ownersAfter[agentId] !== ownersBefore[agentId] && ownersAfter[agentId] !== undefined) {
                expect(ownersAfter[agentId]).toBe(who);
                expect(ownersBefore[agentId]).toBeUndefined();
                expect(agentId).not.toBe(RESERVED);
                expect(agentId).toMatch(new RegExp(`^${who}\\.[^.]+$`));
              }
            }
          }
          for (const [index, orgId] of ORGS.entries()) {
            const set = (await snapshot()).sets[index]!;
            expect(set).toEqual(IDS.filter((agentId) => ownersAfter[agentId] === orgId).sort());
            expect(set.length).toBeLessThanOrEqual(QUOTA);
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
