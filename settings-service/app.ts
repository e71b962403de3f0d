// The settings service: one Fastify app, wired from plugins that each own a concern. Requests and
// responses are validated by the routes' JSON schemas, and the OpenAPI document is built from them.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import { HttpError, registerAuth } from './auth.ts';
import { agentRoutes } from './routes/agents.ts';
import { agentOwnershipRoutes } from './routes/agent-ownership.ts';
import { eventRoutes } from './routes/events.ts';
import { holdMusicRoutes } from './routes/hold-music.ts';
import { organizationRoutes } from './routes/organizations.ts';
import { pageRoutes, type SessionOptions } from './routes/page.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { transferRoutes } from './routes/transfers.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { isRedisUnavailable } from '../settings/store/redis-options.ts';
import { webhookSecretRoutes } from './routes/webhook-secret.ts';
import type { SettingsStore } from '../settings/store/store.ts';
import { indexAgentOwners } from '../settings/store/agent-owners.ts';
import { type Tenancy, tenancyFromEnv } from './tenancy.ts';
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from './upload-limits.ts';
import { HOLD_MUSIC_MAX_BYTES } from '../settings/hold-music.ts';

export interface AppOptions {
  store: SettingsStore;
  adminToken: string;
  logger?: FastifyServerOptions['logger'];
  /** Fastify's trustProxy (SETTINGS_TRUST_PROXY): whose X-Forwarded-For/-Proto to believe; none by default. */
  trustProxy?: TrustProxy;
  sessions?: Partial<SessionOptions>;
  /** Socket and request bounds of the HTTP server (they apply to app.listen, not to app.inject). */
  timeouts?: Partial<ServerTimeouts>;
  /** Agent ids and quota per organization; from the environment when not given (tenancy.ts). */
  tenancy?: Tenancy;
  /** Hold music bounds (upload-limits.ts); the defaults when not given. */
  uploads?: UploadLimits;
}

/** Fastify's forms: all, none, a comma list of addresses and CIDRs, or a function (used for a hop count). */
export type TrustProxy = boolean | string | ((address: string, hop: number) => boolean);

export interface ServerTimeouts {
  /** The whole request (headers and body) must arrive within this; a 4 MB upload at 100 kB/s takes 40 s. */
  requestTimeoutMs: number;
  /** A socket with no traffic for this long is closed. */
  connectionTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { requestTimeoutMs: 60_000, connectionTimeoutMs: 60_000, keepAliveTimeoutMs: 10_000 };
export const DEFAULT_SESSIONS: SessionOptions = { sessionTtlSeconds: 8 * 3600, signInPerAddressPerMinute: 10, signInPerAgentPerMinute: 30 };
/** JSON and form bodies; hold music uploads have their own limit (4 MB, routes/hold-music.ts). */
export const JSON_BODY_LIMIT_BYTES = 256 * 1024;

export async function buildApp({
  store,
  adminToken,
  logger = false,
  trustProxy = false,
  sessions,
  timeouts,
  tenancy = tenancyFromEnv(),
  uploads = DEFAULT_UPLOAD_LIMITS,
}: AppOptions): Promise<FastifyInstance> {
  if (!adminToken) throw new Error('the settings service needs an administrator token (SETTINGS_ADMIN_TOKEN)');
  await indexAgentOwners(store.redis, store.keys); // agents stored before organizations had their own sets
  const bounds = { ...DEFAULT_TIMEOUTS, ...timeouts };
  const app = Fastify({
    logger,
    trustProxy,
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    requestTimeout: bounds.requestTimeoutMs,
    connectionTimeout: bounds.connectionTimeoutMs,
    keepAliveTimeout: bounds.keepAliveTimeoutMs,
    // Every problem in a request at once, and no silent coercion of "true" into true in a settings body.
    // Length caps without a `type` (schemas.ts) apply to values of their type only, on purpose: strictTypes off.
    ajv: { customOptions: { allErrors: true, coerceTypes: false, strictTypes: false } },
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Warm Transfer settings',
        version: '1.0.0',
        description: "An agent's Warm Transfer settings, hold music and events, shared by every worker through Redis.",
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  registerSecurityHeaders(app);
  registerAuth(app, store, adminToken);

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if ('validation' in error && error.validation) {
      const problems = error.validation.map(
        (v) => `${(v.instancePath || '/').slice(1).replaceAll('/', '.') || error.validationContext || 'body'}: ${v.message ?? 'is invalid'}`,
      );
      return reply.code(422).send({ error: 'the request was refused; nothing was changed', problems });
    }
    if (isRedisUnavailable(error)) {
      request.log.error({ err: error }, 'the settings store is not answering');
      return reply.code(503).header('retry-after', '5').send({ error: 'the settings store (Redis) is not answering; nothing was changed, try again shortly' });
    }
    const status = error.statusCode ?? 500;
    if (status === 413) {
      const upload = /^(audio|multipart)\//i.test(String(request.headers['content-type'] ?? ''));
      return reply.code(413).send({
        error: upload ? `the upload is larger than 4 MB (${HOLD_MUSIC_MAX_BYTES} bytes)` : `the request body is larger than ${JSON_BODY_LIMIT_BYTES} bytes`,
      });
    }
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(status).send({ error: 'internal error' });
    }
    return reply.code(status).send({ error: error.message, ...(error instanceof HttpError && error.problems ? { problems: error.problems } : {}) });
  });

  organizationRoutes(app, store);
  tokenRoutes(app, store);
  agentRoutes(app, store, tenancy);
  agentOwnershipRoutes(app, store);
  eventRoutes(app, store);
  webhookSecretRoutes(app, store);
  transferRoutes(app, store, adminToken);
  await app.register(async (scope) => holdMusicRoutes(scope, store, uploads));
  await app.register(async (scope) => pageRoutes(scope, store, adminToken, { ...DEFAULT_SESSIONS, ...sessions }));

  app.get('/v1/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  app.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/plain').send("Warm Transfer settings service: the API is described at /v1/openapi.json; an agent's page is at /agents/{agentId}.\n"),
  );
  return app;
}
