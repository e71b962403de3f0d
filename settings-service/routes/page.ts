// The settings page at /agents/{agentId}: a sign-in form until the browser holds a session cookie (a random
// session id, HttpOnly, same-site only, Secure over HTTPS; see store/sessions.ts), then the Warm Transfer
// section rendered on the server. Sign-in attempts are limited per client address and per agent page;
// sign-out deletes the session.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cookieValue, MAX_TOKEN_LENGTH, identify, principalOf, requestCredentials, requireOrganization, SESSION_COOKIE } from '../auth.ts';
import { warmTransferSection } from '../agents.ts';
import { type PageName, settingsPage, signInPage } from '../page.ts';
import { id } from '../schemas.ts';
import { newNonce, pagePolicy } from '../security-headers.ts';
import { countSignInAttempt, createSession, deleteSession } from '../sessions.ts';
import type { SettingsStore, StoredAgent } from '../../settings/store/store.ts';
import { groupTimelines } from './events.ts';

const params = { type: 'object', properties: { agentId: id }, required: ['agentId'] } as const;
const signInBody = {
  type: 'object',
  properties: { token: { type: 'string', maxLength: MAX_TOKEN_LENGTH }, then: { type: 'string', enum: ['settings', 'transfers'] } },
  maxProperties: 4,
} as const;
type Params = { Params: { agentId: string } };

export interface SessionOptions {
  /** A session's absolute lifetime: it ends this long after sign-in, however much it is used. */
  sessionTtlSeconds: number;
  /** Sign-in attempts per minute from one client address, and on one agent's page from anywhere. */
  signInPerAddressPerMinute: number;
  signInPerAgentPerMinute: number;
}

/** An HTML answer with a fresh nonce and the page's policy naming it. */
export function html(reply: FastifyReply): string {
  const nonce = newNonce();
  reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').header('content-security-policy', pagePolicy(nonce));
  return nonce;
}

function sessionCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  // request.protocol is 'https' over TLS, or behind a proxy that says so when SETTINGS_TRUST_PROXY trusts it.
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure}`;
}

/**
 * The agent a page may show to whoever asks, or undefined once the answer is sent: the sign-in form (no
 * session or token, or one that ended), 404 for no such agent, 403 for another organization's. `then` is the
 * page the form leads back to.
 */
export async function pageAgent(
  request: FastifyRequest,
  reply: FastifyReply,
  store: SettingsStore,
  adminToken: string,
  nonce: string,
  then: PageName,
): Promise<StoredAgent | undefined> {
  const agentId = (request.params as { agentId: string }).agentId;
  const found = requestCredentials(request);
  const principal = found && found !== 'malformed' ? await principalOf(store, adminToken, found) : undefined;
  if (!principal) {
    if (found) reply.header('set-cookie', sessionCookie(request, '', 0));
    const ended = found ? 'Your session has ended, or the token is no longer valid. Sign in again.' : undefined;
    reply.code(found ? 401 : 200).send(signInPage(agentId, nonce, ended, then));
    return undefined;
  }
  const agent = await store.agent(agentId);
  if (!agent) {
    reply.code(404).send(signInPage(agentId, nonce, `There is no agent '${agentId}'.`, then));
    return undefined;
  }
  request.principal = principal;
  try {
    requireOrganization(request, agent.organizationId);
  } catch {
    reply.code(403).send(signInPage(agentId, nonce, 'This token belongs to another organization.', then));
    return undefined;
  }
  return agent;
}

export function pageRoutes(app: FastifyInstance, store: SettingsStore, adminToken: string, options: SessionOptions): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.get<Params>('/agents/:agentId', { config: { access: 'public' }, schema: { hide: true, params } }, async (request, reply) => {
    const { agentId } = request.params;
    const nonce = html(reply);
    const agent = await pageAgent(request, reply, store, adminToken, nonce, 'settings');
    if (!agent) return reply;
    const section = warmTransferSection(agent, await store.organization(agent.organizationId));
    const transfers = groupTimelines(await store.recentEvents(agentId, 'transfers', 300)).slice(0, 10);
    const messages = await store.recentEvents(agentId, 'messages', 10);
    return reply.send(settingsPage(agentId, section, transfers, messages, nonce));
  });

  // A form on another site could sign a browser in with the attacker's token (its edits then land in the
  // attacker's organization) or sign it out: both posts must come from this site when a browser says where from.
  const fromAnotherSite = (request: FastifyRequest): boolean => {
    // Browsers say it in Sec-Fetch-Site; the page's own form is 'same-origin' (its Origin reads "null" under the
    // page's no-referrer policy, so Origin decides only for browsers too old to send Sec-Fetch-Site).
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined) return site !== 'same-origin' && site !== 'none';
    const origin = request.headers.origin;
    if (origin === undefined || origin === 'null') return false;
    try {
      // Both parsed, so a default port written or not compares equal.
      return new URL(origin).host !== new URL(`${request.protocol}://${request.host}`).host;
    } catch {
      return true;
    }
  };
  app.addHook('preHandler', async (request, reply) => {
    if (request.method === 'POST' && /^\/agents\/[^/]+\/(session|sign-out)$/.test(request.routeOptions.url ?? '') && fromAnotherSite(request)) {
      return reply.code(403).type('text/plain; charset=utf-8').send('sign-in and sign-out are accepted only from this settings page');
    }
  });

  app.post<Params & { Body: { token?: string; then?: PageName } | undefined }>(
    '/agents/:agentId/session',
    { config: { access: 'public' }, schema: { hide: true, params, body: signInBody } },
    async (request, reply) => {
      const { agentId } = request.params;
      const wait = await countSignInAttempt(store, [
        { scope: 'address', value: request.ip, perMinute: options.signInPerAddressPerMinute },
        { scope: 'agent', value: agentId, perMinute: options.signInPerAgentPerMinute },
      ]);
      if (wait !== undefined) {
        reply.header('retry-after', String(wait));
        return reply.code(429).send(signInPage(agentId, html(reply), `Too many sign-in attempts. Try again in ${wait} s.`, request.body?.then));
      }
      const token = request.body?.token?.trim() ?? '';
      const principal = token ? await identify(store, adminToken, token) : undefined;
      if (!principal) return reply.code(401).send(signInPage(agentId, html(reply), 'That token is not valid.', request.body?.then));
      const sessionId = await createSession(store, principal, token, options.sessionTtlSeconds);
      reply.header('set-cookie', sessionCookie(request, sessionId, options.sessionTtlSeconds));
      return reply
        .code(303)
        .header('location', `/agents/${encodeURIComponent(agentId)}${request.body?.then === 'transfers' ? '/transfers' : ''}`)
        .send();
    },
  );

  app.post<Params>('/agents/:agentId/sign-out', { config: { access: 'public' }, schema: { hide: true, params } }, async (request, reply) => {
    const sessionId = cookieValue(request, SESSION_COOKIE);
    if (sessionId) await deleteSession(store, sessionId);
    reply.header('set-cookie', sessionCookie(request, '', 0));
    return reply
      .code(303)
      .header('location', `/agents/${encodeURIComponent(request.params.agentId)}`)
      .send();
  });
}
