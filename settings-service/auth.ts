// Who is asking: the administrator (SETTINGS_ADMIN_TOKEN), an organization (a token it was given), or
// nobody. Each route declares who may call it in its config (`access`); this hook answers 401 for a
// missing or unknown token before any handler runs. Which organization owns what is checked per route
// (agents.ts), since only the route knows the resource. Tokens are never logged.
//
// Credentials come as `Authorization: Bearer <token>` or as the page's session cookie, which holds a
// random session id (store/sessions.ts), never the token. Whatever a client sends in either is bounded and
// parsed without anything that can throw: a malformed header or cookie is 401, never 500.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SettingsStore, StoredAgent } from '../settings/store/store.ts';
import type { Principal } from './principal.ts';
import { sessionPrincipal } from './sessions.ts';
import { sameToken } from '../settings/store/tokens.ts';

export type Access = 'public' | 'admin' | 'any';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** The page's HttpOnly cookie: a session id, so neither the page's script nor the cookie jar holds a token. */
export const SESSION_COOKIE = 'wt_session';
/** Tokens we issue are 47 characters and the administrator's a few dozen: anything longer is not one. */
export const MAX_TOKEN_LENGTH = 512;
/** Cookie headers longer than this are not read at all (the session cookie is about 55 characters). */
const MAX_COOKIE_HEADER = 8192;

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly problems?: string[],
  ) {
    super(message);
  }
}

/** The raw value of cookie `name`, or undefined; never decoded (a session id needs no decoding). */
export function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length > MAX_COOKIE_HEADER) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at >= 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

export type Credentials = { kind: 'bearer'; token: string } | { kind: 'session'; sessionId: string };

/** What the request presents: the Authorization header, else the page's session cookie (or nothing). */
export function requestCredentials(request: FastifyRequest): Credentials | 'malformed' | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    if (typeof header !== 'string' || header.length > MAX_TOKEN_LENGTH + 16) return 'malformed';
    const match = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(header);
    return match?.[1] ? { kind: 'bearer', token: match[1] } : 'malformed';
  }
  if (request.headers.cookie !== undefined) {
    const sessionId = cookieValue(request, SESSION_COOKIE);
    if (sessionId !== undefined) return { kind: 'session', sessionId };
    if (typeof request.headers.cookie !== 'string' || request.headers.cookie.length > MAX_COOKIE_HEADER) return 'malformed';
  }
  return undefined;
}

/** The principal of a bearer token, or undefined for an unknown one. */
export async function identify(store: SettingsStore, adminToken: string, token: string): Promise<Principal | undefined> {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  if (sameToken(token, adminToken)) return { kind: 'admin' };
  const organizationId = await store.tokenOrganization(token);
  return organizationId ? { kind: 'organization', organizationId } : undefined;
}

export async function principalOf(store: SettingsStore, adminToken: string, credentials: Credentials): Promise<Principal | undefined> {
  return credentials.kind === 'bearer' ? identify(store, adminToken, credentials.token) : sessionPrincipal(store, credentials.sessionId, adminToken);
}

export function registerAuth(app: FastifyInstance, store: SettingsStore, adminToken: string): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const access = request.routeOptions.config.access ?? 'any';
    if (access === 'public') return;
    const found = requestCredentials(request);
    const principal = found && found !== 'malformed' ? await principalOf(store, adminToken, found) : undefined;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer');
      if (found === undefined) throw new HttpError(401, 'a bearer token is required (Authorization: Bearer <token>)');
      if (found === 'malformed') throw new HttpError(401, 'the Authorization header or cookie is malformed (Authorization: Bearer <token>)');
      throw new HttpError(401, found.kind === 'bearer' ? 'unknown token' : 'the session has ended or is not valid; sign in again');
    }
    // A cookie is sent by the browser on its own; a write made with it must come from the page's script,
    // which adds this header (a form on another site cannot).
    if (found !== 'malformed' && found?.kind === 'session' && request.method !== 'GET' && request.headers['x-settings-page'] !== '1') {
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
