// An organization's webhook signing secret (webhook-secrets.ts): made or rotated by the administrator or by the
// organization itself, shown once in the answer and never readable afterwards.
import type { FastifyInstance } from 'fastify';
import { HttpError, requireOrganization } from '../auth.ts';
import { errors, id } from '../schemas.ts';
import type { SettingsStore } from '../../settings/store/store.ts';
import { PREVIOUS_SIGNATURE_HEADER, rotateWebhookSecret } from '../webhook-secrets.ts';

const params = { type: 'object', properties: { orgId: id }, required: ['orgId'] } as const;
const rotated = {
  type: 'object',
  properties: {
    secret: { type: 'string' },
    key: { type: 'string', description: 'the key to pass to WebhookReceiver with the secret: the organization id' },
    previousValidUntil: {
      type: ['string', 'null'],
      description: `until when deliveries also carry the previous secret's signature in ${PREVIOUS_SIGNATURE_HEADER}`,
    },
  },
  required: ['secret', 'key', 'previousValidUntil'],
} as const;

export function webhookSecretRoutes(app: FastifyInstance, store: SettingsStore): void {
  app.post<{ Params: { orgId: string } }>(
    '/v1/organizations/:orgId/webhook-secret',
    {
      schema: {
        summary: 'Make a new webhook signing secret for the organization; it is shown once',
        description: `Webhooks are signed with it from now on; the previous secret still signs ${PREVIOUS_SIGNATURE_HEADER} for 24 hours.`,
        security: [{ bearer: [] }],
        params,
        response: { 201: rotated, ...errors },
      },
    },
    async (request, reply) => {
      const { orgId } = request.params;
      requireOrganization(request, orgId);
      if (!(await store.organization(orgId))) throw new HttpError(404, `no organization '${orgId}'`);
      const { secret, key, previousValidUntil } = await rotateWebhookSecret(store, orgId);
      request.log.info({ organizationId: orgId }, 'webhook secret rotated');
      return reply.code(201).send({ secret, key, previousValidUntil: previousValidUntil ?? null });
    },
  );
}
