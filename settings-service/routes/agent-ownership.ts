// Deleting an agent (its settings, hold music and event streams, after which its id is free again) and
// listing an organization's agents. Who may create which id is in tenancy.ts; the owner is checked again
// atomically as the store deletes (agent-owners.ts), so a racing move answers 409 instead of deleting
// another organization's agent.
import type { FastifyInstance } from 'fastify';
import { agentFor, HttpError } from '../auth.ts';
import { errors, id, problems } from '../schemas.ts';
import type { SettingsStore } from '../../settings/store/store.ts';

const security = [{ bearer: [] }];

export function agentOwnershipRoutes(app: FastifyInstance, store: SettingsStore): void {
  app.delete<{ Params: { agentId: string } }>(
    '/v1/agents/:agentId',
    {
      schema: {
        summary: 'Delete an agent: its settings, hold music and event streams; its id is free again',
        description: "By the agent's organization or the administrator. Calls already running keep the settings they started with.",
        security,
        params: { type: 'object', properties: { agentId: id }, required: ['agentId'] },
        response: { 200: { type: 'object', properties: { deleted: { type: 'string' } }, required: ['deleted'] }, 409: problems, ...errors },
      },
    },
    async (request) => {
      const agent = await agentFor(request, store, request.params.agentId);
      await store.deleteAgent(agent.agentId, { kind: 'organization', organizationId: agent.organizationId });
      request.log.info({ agentId: agent.agentId, organizationId: agent.organizationId }, 'agent deleted');
      return { deleted: agent.agentId };
    },
  );

  app.get<{ Params: { orgId: string } }>(
    '/v1/organizations/:orgId/agents',
    {
      schema: {
        summary: "The ids of an organization's agents",
        security,
        params: { type: 'object', properties: { orgId: id }, required: ['orgId'] },
        response: { 200: { type: 'object', properties: { agents: { type: 'array', items: { type: 'string' } } }, required: ['agents'] }, ...errors },
      },
    },
    async (request) => {
      const { orgId } = request.params;
      const principal = request.principal;
      if (principal?.kind === 'organization' && principal.organizationId !== orgId) throw new HttpError(403, 'this token belongs to another organization');
      if (!(await store.organization(orgId))) throw new HttpError(404, `no organization '${orgId}'`);
      return { agents: await store.organizationAgentIds(orgId) };
    },
  );
}
