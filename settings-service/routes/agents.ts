// Agents: the whole settings document (PUT /v1/agents/{agentId}) and its Warm Transfer section, answered
// with the rules read back as a plan.
import type { FastifyInstance } from 'fastify';
import { agentFor, HttpError, requireOrganization } from '../auth.ts';
import { warmTransferSection, withSection, writeAgent } from '../agents.ts';
import { rulesReadBack } from '../read-back.ts';
import { agentInput, agentOutput, errors, id, problems, readBack, rulesText, warmTransferInput, warmTransferOutput } from '../schemas.ts';
import type { SettingsStore, StoredAgent } from '../../settings/store/store.ts';
import { creationRefusal, type Tenancy } from '../tenancy.ts';

const params = { type: 'object', properties: { agentId: id }, required: ['agentId'] } as const;
const security = [{ bearer: [] }];
type Params = { Params: { agentId: string } };

const view = (agent: StoredAgent) => ({
  agentId: agent.agentId,
  organizationId: agent.organizationId,
  settings: agent.document,
  webhookUrl: agent.webhookUrl ?? null,
  holdMusic: agent.holdMusic ?? null,
  version: agent.version,
});

export function agentRoutes(app: FastifyInstance, store: SettingsStore, tenancy: Tenancy): void {
  const max = tenancy.maxAgentsPerOrganization;
  app.put<Params & { Body: Record<string, unknown> }>(
    '/v1/agents/:agentId',
    {
      schema: {
        summary: "Create or replace an agent's settings (the fields of a settings file, plus organizationId)",
        description:
          "Checked by the same schema as settings files; a write with problems is refused with all of them (422) and the stored settings stay. An organization creates only ids '{orgId}.{name}' (403 otherwise), at most SETTINGS_MAX_AGENTS_PER_ORGANIZATION of them (403); only the administrator creates other ids or moves an agent to another organization.",
        security,
        params,
        body: agentInput,
        response: { 200: agentOutput, 409: problems, 422: problems, ...errors },
      },
    },
    async (request, reply) => {
      const { agentId } = request.params;
      const existing = await store.agent(agentId);
      if (existing) requireOrganization(request, existing.organizationId);
      const orgId = request.body.organizationId;
      if (typeof orgId === 'string') requireOrganization(request, orgId);
      const refusal = existing ? undefined : creationRefusal(request.principal, agentId, tenancy);
      if (refusal) throw new HttpError(403, refusal);
      // The owner read here is checked again as the store writes: a racing create or move answers 409.
      const expected = existing ? ({ kind: 'organization', organizationId: existing.organizationId } as const) : ({ kind: 'absent' } as const);
      const written = await writeAgent(store, agentId, request.body, { expected, maxAgentsPerOrganization: max });
      if (!written.ok)
        return reply.code(422).send({ error: `the settings of agent '${agentId}' were refused; nothing was changed`, problems: written.problems });
      request.log.info({ agentId, version: written.version }, 'agent settings written');
      return view((await store.agent(agentId))!);
    },
  );

  app.get<Params>(
    '/v1/agents/:agentId',
    { schema: { summary: "An agent's settings", security, params, response: { 200: agentOutput, ...errors } } },
    async (request) => view(await agentFor(request, store, request.params.agentId)),
  );

  app.get<Params>(
    '/v1/agents/:agentId/warm-transfer',
    {
      schema: { summary: 'The Warm Transfer section, with the rules read back as a plan', security, params, response: { 200: warmTransferOutput, ...errors } },
    },
    async (request) => {
      const agent = await agentFor(request, store, request.params.agentId);
      return warmTransferSection(agent, await store.organization(agent.organizationId));
    },
  );

  app.put<Params & { Body: Record<string, unknown> }>(
    '/v1/agents/:agentId/warm-transfer',
    {
      schema: {
        summary: 'Replace the Warm Transfer section; answered with the plan read back',
        description: "Enabling it while the agent's organization does not have warm transfer is refused (422).",
        security,
        params,
        body: warmTransferInput,
        response: { 200: warmTransferOutput, 409: problems, 422: problems, ...errors },
      },
    },
    async (request, reply) => {
      const agent = await agentFor(request, store, request.params.agentId);
      const guard = { expected: { kind: 'organization', organizationId: agent.organizationId }, maxAgentsPerOrganization: max } as const;
      const written = await writeAgent(store, agent.agentId, withSection(agent, request.body), guard);
      if (!written.ok) return reply.code(422).send({ error: 'the Warm Transfer settings were refused; nothing was changed', problems: written.problems });
      const updated = await store.agent(agent.agentId);
      if (!updated) throw new HttpError(404, `no agent '${agent.agentId}'`);
      return warmTransferSection(updated, await store.organization(updated.organizationId));
    },
  );

  app.post<{ Body: { rules: string } }>(
    '/v1/rules/read-back',
    {
      schema: {
        summary: 'Read rules back as a plan, without saving them (the page does this as you type)',
        security,
        body: { type: 'object', properties: { rules: rulesText }, required: ['rules'], additionalProperties: false },
        response: { 200: readBack, ...errors },
      },
    },
    async (request) => rulesReadBack(request.body.rules),
  );
}
