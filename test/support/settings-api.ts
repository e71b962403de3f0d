// A settings service app for a test: its own store, the administrator's token, and two organizations
// with a token each (acme has warm transfer, globex does not).
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type AppOptions, buildApp } from '../../settings-service/app.ts';
import { testStore, type TestStore } from './settings-store.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface ApiCast {
  app: FastifyInstance;
  db: TestStore;
  acmeToken: string;
  globexToken: string;
  /** app.inject with a bearer token (undefined: none). */
  call(token: string | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** `options`: app options beyond the store and the token (e.g. smaller upload limits). */
export async function startApi(redisAddress: string, name: string, options: Partial<AppOptions> = {}): Promise<ApiCast> {
  const db = testStore(redisAddress, name);
  const app = await buildApp({ ...options, store: db.store, adminToken: ADMIN_TOKEN });
  const call = (token: string | undefined, options: InjectOptions) =>
    app.inject({ ...options, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers } });
  const tokenFor = async (orgId: string, warmTransferAvailable: boolean) => {
    const put = await call(ADMIN_TOKEN, { method: 'PUT', url: `/v1/organizations/${orgId}`, payload: { warmTransferAvailable } });
    if (put.statusCode !== 200) throw new Error(`creating ${orgId}: ${put.statusCode} ${put.body}`);
    const issued = await call(ADMIN_TOKEN, { method: 'POST', url: `/v1/organizations/${orgId}/tokens` });
    return (issued.json() as { token: string }).token;
  };
  const acmeToken = await tokenFor('acme', true);
  const globexToken = await tokenFor('globex', false);
  return {
    app,
    db,
    acmeToken,
    globexToken,
    call,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

/** Valid settings for an acme agent on the local stack's trunk ids. */
export function acmeAgent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    organizationId: 'acme',
    agentPhoneNumber: '+15125550100',
    warmTransfer: {
      enabled: true,
      rules: 'If the caller has a billing dispute, warm transfer to ext:1002, or if they are unavailable to +15125551234.',
    },
    trunks: { pstnOutboundTrunkId: 'ST_pstn', pbx: { outboundTrunkId: 'ST_pbx' } },
    ...overrides,
  };
}
