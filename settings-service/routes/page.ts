// The settings page at /agents/{agentId}: a sign-in form until the browser holds a session cookie (the
// token itself, HttpOnly and same-site only), then the Warm Transfer section rendered on the server.
import type { FastifyInstance } from 'fastify';
import { identify, requestToken, requireOrganization, SESSION_COOKIE } from '../auth.ts';
import { warmTransferSection } from '../agents.ts';
import { settingsPage, signInPage } from '../page.ts';
import { id } from '../schemas.ts';
import type { SettingsStore } from '../store/store.ts';
import { groupTimelines } from './events.ts';

const params = { type: 'object', properties: { agentId: id }, required: ['agentId'] } as const;
type Params = { Params: { agentId: string } };

export function pageRoutes(app: FastifyInstance, store: SettingsStore, adminToken: string): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.get<Params>('/agents/:agentId', { config: { access: 'public' }, schema: { hide: true, params } }, async (request, reply) => {
    const { agentId } = request.params;
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    const found = requestToken(request);
    const principal = found ? await identify(store, adminToken, found.token) : undefined;
    if (!principal) return reply.code(found ? 401 : 200).send(signInPage(agentId, found ? 'That token is not valid (any more).' : undefined));
    const agent = await store.agent(agentId);
    if (!agent) return reply.code(404).send(signInPage(agentId, `There is no agent '${agentId}'.`));
    request.principal = principal;
    try {
      requireOrganization(request, agent.organizationId);
    } catch {
      return reply.code(403).send(signInPage(agentId, 'This token belongs to another organization.'));
    }
    const section = warmTransferSection(agent, await store.organization(agent.organizationId));
    const transfers = groupTimelines(await store.recentEvents(agentId, 'transfers', 300)).slice(0, 10);
    const messages = await store.recentEvents(agentId, 'messages', 10);
    return reply.send(settingsPage(agentId, section, transfers, messages));
  });

  app.post<Params & { Body: { token?: string } }>(
    '/agents/:agentId/session',
    { config: { access: 'public' }, schema: { hide: true, params } },
    async (request, reply) => {
      const { agentId } = request.params;
      const token = request.body?.token?.trim() ?? '';
      const principal = token ? await identify(store, adminToken, token) : undefined;
      if (!principal) return reply.code(401).type('text/html; charset=utf-8').send(signInPage(agentId, 'That token is not valid.'));
      const secure = request.protocol === 'https' ? '; Secure' : '';
      reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/${secure}`);
      return reply.code(303).header('location', `/agents/${encodeURIComponent(agentId)}`).send();
    },
  );
}
