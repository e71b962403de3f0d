// Every Redis key the settings store uses, in one place, under a configurable prefix so that several
// deployments (or tests) can share one Redis without meeting each other's keys.
export const DEFAULT_KEY_PREFIX = 'warm-transfer:';

export function storeKeys(prefix: string) {
  return {
    organization: (orgId: string) => `${prefix}org:${orgId}`,
    /** An organization token, by the SHA-256 of the token: the token itself is never stored. */
    token: (hash: string) => `${prefix}token:${hash}`,
    /** The ids of an organization's agents (its quota counts them). */
    organizationAgents: (orgId: string) => `${prefix}org:${orgId}:agents`,
    agents: () => `${prefix}agents`,
    agent: (agentId: string) => `${prefix}agent:${agentId}`,
    holdMusic: (agentId: string) => `${prefix}agent:${agentId}:hold-music`,
    stream: (agentId: string, kind: EventKind) => `${prefix}agent:${agentId}:${kind}`,
    /** Every agent's events in order, for the webhook sender (a consumer group reads it). */
    outbox: () => `${prefix}events`,
    /** A page session, by the SHA-256 of its id (sessions.ts); expires on its own. */
    session: (hash: string) => `${prefix}session:${hash}`,
    /** Sign-in attempts in the current minute, per client address or per agent page (sessions.ts). */
    signInAttempts: (scope: 'address' | 'agent', value: string) => `${prefix}sign-in:${scope}:${value}`,
  };
}

export type EventKind = 'transfers' | 'messages';
export type StoreKeys = ReturnType<typeof storeKeys>;
