// Revoking organization tokens (administrator only): all of an organization's tokens, or one by the id
// returned when it was issued. A revoked token is refused at once, and every page session signed in with
// it ends with it (store/sessions.ts checks the token on every request).
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../auth.ts';
import { errors, id } from '../schemas.ts';
import { revokeTokens } from '../sessions.ts';
import type { SettingsStore } from '../../settings/store/store.ts';

const security = [{ bearer: [] }];
const revoked = { type: 'object', properties: { revoked: { type: 'array', items: { type: 'string' } } }, required: ['revoked'] } as const;
type Params = { Params: { orgId: string; tokenId?: string } };

export function tokenRoutes(app: FastifyInstance, store: SettingsStore): void {
  app.delete<Params>(
    '/v1/organizations/:orgId/tokens',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Revoke every token of an organization (administrator only); the page sessions made with them end too',
        security,
        params: { type: 'object', properties: { orgId: id }, required: ['orgId'] },
        response: { 200: revoked, ...errors },
      },
    },
    async (request) => {
      const ids = await revokeTokens(store, request.params.orgId);
      request.log.info({ organizationId: request.params.orgId, revoked: ids.length }, 'organization tokens revoked');
      return { revoked: ids };
    },
  );

  app.delete<Params>(
    '/v1/organizations/:orgId/tokens/:tokenId',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Revoke one token of an organization by its id (administrator only); its page sessions end too',
        security,
        params: { type: 'object', properties: { orgId: id, tokenId: { type: 'string', pattern: '^[0-9a-f]{16}$' } }, required: ['orgId', 'tokenId'] },
        response: { 200: revoked, ...errors },
      },
    },
    async (request) => {
      const ids = await revokeTokens(store, request.params.orgId, request.params.tokenId);
      if (ids.length === 0) throw new HttpError(404, `organization '${request.params.orgId}' has no token '${request.params.tokenId}'`);
      request.log.info({ organizationId: request.params.orgId, tokenId: request.params.tokenId }, 'organization token revoked');
      return { revoked: ids };
    },
  );
}
