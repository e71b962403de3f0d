// Who is asking: the administrator (SETTINGS_ADMIN_TOKEN), an organization (a token it was given), or
// nobody. Each route declares who may call it in its config (`access`); this hook answers 401 for a
// missing or unknown token before any handler runs. Which organization owns what is checked per route
// (agents.ts), since only the route knows the resource. Tokens are never logged.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SettingsStore, StoredAgent } from './store/store.ts';
import { sameToken } from './store/tokens.ts';

export type Principal = { kind: 'admin' } | { kind: 'organization'; organizationId: string };
export type Access = 'public' | 'admin' | 'any';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** The page keeps the token in an HttpOnly cookie, so its script never holds it. */
export const SESSION_COOKIE = 'wt_session';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly problems?: string[],
  ) {
    super(message);
  }
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** The bearer token of a request: the Authorization header, else the page's session cookie. */
export function requestToken(request: FastifyRequest): { token: string; fromCookie: boolean } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ? { token: match[1], fromCookie: false } : undefined;
  }
  const session = cookie(request, SESSION_COOKIE);
  return session ? { token: session, fromCookie: true } : undefined;
}

export async function identify(store: SettingsStore, adminToken: string, token: string): Promise<Principal | undefined> {
  if (sameToken(token, adminToken)) return { kind: 'admin' };
  const organizationId = await store.tokenOrganization(token);
  return organizationId ? { kind: 'organization', organizationId } : undefined;
}

export function registerAuth(app: FastifyInstance, store: SettingsStore, adminToken: string): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const access = request.routeOptions.config.access ?? 'any';
    if (access === 'public') return;
    const found = requestToken(request);
    const principal = found ? await identify(store, adminToken, found.token) : undefined;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer');
      throw new HttpError(401, found ? 'unknown token' : 'a bearer token is required (Authorization: Bearer <token>)');
    }
    // A cookie is sent by the browser on its own; a write made with it must come from the page's script,
    // which adds this header (a form on another site cannot).
    if (found?.fromCookie && request.method !== 'GET' && request.headers['x-settings-page'] !== '1') {
      throw new HttpError(403, 'writes with the page session must come from the settings page');
    }
    if (access === 'admin' && principal.kind !== 'admin') throw new HttpError(403, 'only the administrator may do this');
    request.principal = principal;
  });
}

/** Throws 403 unless the request may act for `organizationId`. */
export function requireOrganization(request: FastifyRequest, organizationId: string): void {
  const principal = request.principal;
  if (principal?.kind === 'admin') return;
  if (principal?.kind === 'organization' && principal.organizationId === organizationId) return;
  throw new HttpError(403, 'this token belongs to another organization');
}

/** The agent, if the request may see it: 404 when there is none, 403 when another organization owns it. */
export async function agentFor(request: FastifyRequest, store: SettingsStore, agentId: string): Promise<StoredAgent> {
  const agent = await store.agent(agentId);
  if (!agent) throw new HttpError(404, `no agent '${agentId}'`);
  requireOrganization(request, agent.organizationId);
  return agent;
}
