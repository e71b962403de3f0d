// The last day of an agent's transfers: as JSON (GET /v1/agents/{agentId}/transfers/summary) and as the page
// beside its settings page (GET /agents/{agentId}/transfers). Both read the agent's timeline stream (the one the
// worker writes; no store of their own), at most READ_CAP entries of the window, and check who may see the
// agent exactly as the other routes do: agentFor for the API, pageAgent (the settings page's own) for the page.
import type { FastifyInstance } from 'fastify';
import { agentFor } from '../auth.ts';
import { errors, id } from '../schemas.ts';
import { html, pageAgent } from './page.ts';
import { READ_CAP, summarize, windowStart, type TransferSummary } from '../transfers/summary.ts';
import { transfersPage } from '../transfers/page.ts';
import { OUTCOME_GROUPS } from '../transfers/history.ts';
import type { SettingsStore } from '../../settings/store/store.ts';

const params = { type: 'object', properties: { agentId: id }, required: ['agentId'] } as const;
type Params = { Params: { agentId: string } };

const counts = { type: 'integer', minimum: 0 } as const;
const groupCounts = Object.fromEntries(OUTCOME_GROUPS.map((g) => [g, counts]));
const timeline = {
  type: 'object',
  properties: {
    transferId: { type: 'string' },
    startedAt: { type: 'string' },
    how: { type: 'string', enum: ['dial', 'refer'] },
    attempts: {
      type: 'array',
      items: {
        type: 'object',
        properties: { destination: { type: 'string' }, destinationKind: { type: 'string' }, answered: { type: 'boolean' }, outcome: { type: 'string' } },
      },
    },
    outcome: { type: 'string' },
    group: { type: 'string', enum: [...OUTCOME_GROUPS] },
    holdMs: { type: 'number' },
    steps: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, afterMs: { type: 'number' }, detail: { type: 'string' } } } },
  },
} as const;
const summarySchema = {
  type: 'object',
  properties: {
    from: { type: 'string' },
    to: { type: 'string' },
    read: {
      type: 'object',
      properties: { entries: counts, cap: counts, capped: { type: 'boolean' }, oldestAt: { type: 'string' }, partialTransfers: counts },
    },
    totals: { type: 'object', properties: { ...groupCounts, transfers: counts } },
    hours: { type: 'array', items: { type: 'object', properties: { start: { type: 'string' }, ...groupCounts } } },
    hold: {
      type: 'object',
      properties: {
        buckets: { type: 'array', items: { type: 'object', properties: { fromS: { type: 'number' }, label: { type: 'string' }, count: counts } } },
        measured: counts,
        medianS: { type: 'number' },
        longestS: { type: 'number' },
      },
    },
    destinations: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          destination: { type: 'string' },
          destinationKind: { type: 'string' },
          tried: counts,
          answered: counts,
          accepted: counts,
          outcomes: { type: 'object', additionalProperties: counts },
        },
      },
    },
    recent: { type: 'array', items: timeline },
  },
} as const;

async function summaryOf(store: SettingsStore, agentId: string): Promise<TransferSummary> {
  const nowMs = Date.now();
  // Entries are stored as they happen, so the window's entries are those stored since its start (stream ids are times).
  const events = await store.recentEvents(agentId, 'transfers', READ_CAP, windowStart(nowMs));
  return summarize(events, nowMs);
}

export function transferRoutes(app: FastifyInstance, store: SettingsStore, adminToken: string): void {
  app.get<Params>(
    '/v1/agents/:agentId/transfers/summary',
    {
      schema: {
        summary: "The last 24 hours of the agent's transfers: outcomes per hour, time on hold, destinations (masked), the recent ones",
        description: `Read from the agent's timeline stream, at most ${READ_CAP} entries (read.capped says the cap was met). Destinations are masked; callers never appear.`,
        security: [{ bearer: [] }],
        params,
        response: { 200: summarySchema, ...errors },
      },
    },
    async (request) => {
      const agent = await agentFor(request, store, request.params.agentId);
      return summaryOf(store, agent.agentId);
    },
  );

  app.get<Params>('/agents/:agentId/transfers', { config: { access: 'public' }, schema: { hide: true, params } }, async (request, reply) => {
    const nonce = html(reply);
    const agent = await pageAgent(request, reply, store, adminToken, nonce, 'transfers');
    if (!agent) return reply;
    return reply.send(transfersPage(agent.agentId, await summaryOf(store, agent.agentId), nonce));
  });
}
