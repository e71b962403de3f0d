// Taken messages and transfer timelines, newest first, from the agent's capped Redis streams.
import type { FastifyInstance } from 'fastify';
import { agentFor } from '../auth.ts';
import { errors, event, id, limit } from '../schemas.ts';
import type { SettingsStore, StoredEvent } from '../../settings/store/store.ts';

const params = { type: 'object', properties: { agentId: id }, required: ['agentId'] } as const;
const security = [{ bearer: [] }];
type Request = { Params: { agentId: string }; Querystring: { limit?: string } };

/** Timeline entries grouped by transfer, newest transfer first, each transfer's entries in order. */
export function groupTimelines(events: StoredEvent[]): Array<{ transferId: string; entries: StoredEvent[] }> {
  const transfers = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const transferId = String(e.data.transferId ?? 'unknown');
    const list = transfers.get(transferId) ?? [];
    list.unshift(e);
    transfers.set(transferId, list);
  }
  return [...transfers].map(([transferId, entries]) => ({ transferId, entries }));
}

export function eventRoutes(app: FastifyInstance, store: SettingsStore): void {
  app.get<Request>(
    '/v1/agents/:agentId/messages',
    {
      schema: {
        summary: 'Messages the agent took, newest first: personal data (name, callback number, words) the caller left for the team',
        security,
        params,
        querystring: limit,
        response: { 200: { type: 'object', properties: { messages: { type: 'array', items: event } } }, ...errors },
      },
    },
    async (request) => {
      const agent = await agentFor(request, store, request.params.agentId);
      return { messages: await store.recentEvents(agent.agentId, 'messages', Number(request.query.limit ?? 50)) };
    },
  );

  app.get<Request>(
    '/v1/agents/:agentId/transfers',
    {
      schema: {
        summary: "Recent transfers' timelines, newest first",
        security,
        params,
        querystring: limit,
        response: {
          200: {
            type: 'object',
            properties: {
              transfers: { type: 'array', items: { type: 'object', properties: { transferId: { type: 'string' }, entries: { type: 'array', items: event } } } },
            },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const agent = await agentFor(request, store, request.params.agentId);
      const wanted = Number(request.query.limit ?? 20);
      // A transfer writes about a dozen entries; read enough for the transfers asked for.
      const events = await store.recentEvents(agent.agentId, 'transfers', Math.min(wanted * 30, 1000));
      return { transfers: groupTimelines(events).slice(0, wanted) };
    },
  );
}
