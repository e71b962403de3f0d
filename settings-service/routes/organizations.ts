// Organizations: whether warm transfer is available to them, and their tokens. Administrator only.
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../auth.ts';
import { errors, id } from '../schemas.ts';
import type { SettingsStore } from '../../settings/store/store.ts';
import { tokenIdOf } from '../sessions.ts';
import { hashToken, newToken } from '../../settings/store/tokens.ts';

const params = { type: 'object', properties: { orgId: id }, required: ['orgId'] } as const;
const organization = { type: 'object', properties: { id: { type: 'string' }, warmTransferAvailable: { type: 'boolean' } } } as const;
const security = [{ bearer: [] }];

export function organizationRoutes(app: FastifyInstance, store: SettingsStore): void {
  app.put<{ Params: { orgId: string }; Body: { warmTransferAvailable: boolean } }>(
    '/v1/organizations/:orgId',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Create an organization or switch warm transfer for it (administrator only)',
        security,
        params,
        body: { type: 'object', properties: { warmTransferAvailable: { type: 'boolean' } }, required: ['warmTransferAvailable'], additionalProperties: false },
        response: { 200: organization, ...errors },
      },
    },
    async (request) => {
      const org = { id: request.params.orgId, warmTransferAvailable: request.body.warmTransferAvailable };
      await store.putOrganization(org);
      request.log.info({ organizationId: org.id, warmTransferAvailable: org.warmTransferAvailable }, 'organization updated');
      return org;
    },
  );

  app.get<{ Params: { orgId: string } }>(
    '/v1/organizations/:orgId',
    { schema: { summary: 'An organization', security, params, response: { 200: organization, ...errors } } },
    async (request) => {
      const principal = request.principal;
      if (principal?.kind === 'organization' && principal.organizationId !== request.params.orgId)
        throw new HttpError(403, 'this token belongs to another organization');
      const org = await store.organization(request.params.orgId);
      if (!org) throw new HttpError(404, `no organization '${request.params.orgId}'`);
      return org;
    },
  );

  app.post<{ Params: { orgId: string } }>(
    '/v1/organizations/:orgId/tokens',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Issue a token for an organization (administrator only); it is shown once and stored only as its hash, with the id that revokes it',
        security,
        params,
        response: {
          201: { type: 'object', properties: { token: { type: 'string' }, tokenId: { type: 'string' } }, required: ['token', 'tokenId'] },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      if (!(await store.organization(request.params.orgId))) throw new HttpError(404, `no organization '${request.params.orgId}'`);
      const token = newToken();
      await store.addToken(request.params.orgId, token);
      request.log.info({ organizationId: request.params.orgId }, 'organization token issued');
      // The id revokes it (DELETE /v1/organizations/{orgId}/tokens/{tokenId}); it says nothing about the token.
      return reply.code(201).send({ token, tokenId: tokenIdOf(hashToken(token)) });
    },
  );
}
