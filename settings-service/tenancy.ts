// Which agent ids an organization may take. Agent ids are global (a call's dispatch names one), so an
// organization's token creates only ids in its own namespace, `{orgId}.{name}` with no further dot (so
// `acme` cannot take `acme.eu.support` from an organization `acme.eu`); every other id, and always the
// workers' default agent ids, only the administrator creates (for any organization). Once an agent exists,
// its organization may change and delete it; moving it to another organization is the administrator's.
// Each organization has at most `maxAgentsPerOrganization` agents.
import type { Principal } from './principal.ts';

export interface Tenancy {
  maxAgentsPerOrganization: number;
  /** Ids no organization may create: the agent a call gets when its dispatch names none. */
  reservedAgentIds: ReadonlySet<string>;
}

/** The worker's default AGENT_NAME (agent/config.ts): a call whose dispatch names no agent gets this one. */
export const DEFAULT_AGENT_ID = 'warm-transfer-agent';
export const DEFAULT_MAX_AGENTS_PER_ORGANIZATION = 100;

/**
 * From the environment: SETTINGS_MAX_AGENTS_PER_ORGANIZATION (default 100), and the reserved ids: the
 * default agent id, AGENT_NAME when set, and SETTINGS_RESERVED_AGENT_IDS (comma-separated). Throws on a
 * bad value, naming it.
 */
export function tenancyFromEnv(env: NodeJS.ProcessEnv = process.env): Tenancy {
  const raw = env.SETTINGS_MAX_AGENTS_PER_ORGANIZATION?.trim() || String(DEFAULT_MAX_AGENTS_PER_ORGANIZATION);
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1) {
    throw new Error(`SETTINGS_MAX_AGENTS_PER_ORGANIZATION must be a whole number from 1 to 999999, not '${raw}'`);
  }
  const reserved = [DEFAULT_AGENT_ID, env.AGENT_NAME ?? '', ...(env.SETTINGS_RESERVED_AGENT_IDS ?? '').split(',')].map((id) => id.trim()).filter(Boolean);
  return { maxAgentsPerOrganization: Number(raw), reservedAgentIds: new Set(reserved) };
}

export const defaultTenancy = (): Tenancy => ({ maxAgentsPerOrganization: DEFAULT_MAX_AGENTS_PER_ORGANIZATION, reservedAgentIds: new Set([DEFAULT_AGENT_ID]) });

/** Why `principal` may not create a new agent `agentId`, or undefined when it may. */
export function creationRefusal(principal: Principal | undefined, agentId: string, tenancy: Tenancy): string | undefined {
  if (principal?.kind === 'admin') return undefined;
  if (principal?.kind !== 'organization') return 'a token is required';
  if (tenancy.reservedAgentIds.has(agentId)) {
    return `agent id '${agentId}' is reserved: calls whose dispatch names no agent go to it, so only the administrator creates it`;
  }
  const prefix = `${principal.organizationId}.`;
  const name = agentId.startsWith(prefix) ? agentId.slice(prefix.length) : undefined;
  if (name === undefined || name === '' || name.includes('.')) {
    return `an organization creates agents whose id is '${prefix}' and a name without dots (such as '${prefix}support'); other ids are created by the administrator`;
  }
  return undefined;
}
