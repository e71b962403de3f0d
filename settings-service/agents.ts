// Writing an agent: the one path every write takes (the API, the page, the import command), so each is
// checked the same way and a refused write leaves the stored settings exactly as they were.
import { rulesReadBack, type ReadBack } from './read-back.ts';
import type { AgentGuard } from '../settings/store/agent-owners.ts';
import type { Organization, SettingsStore, StoredAgent } from '../settings/store/store.ts';
import type { HoldMusicInfo } from '../settings/store/music-usage.ts';
import { checkAgent } from '../settings/store/validate.ts';

export type AgentWrite = { ok: true; version: number } | { ok: false; problems: string[] };

/** `guard`: the owner the caller read and the quota, checked again atomically as the store writes (AgentClaimError). */
export async function writeAgent(store: SettingsStore, agentId: string, input: unknown, guard?: AgentGuard): Promise<AgentWrite> {
  const orgId = input && typeof input === 'object' && 'organizationId' in input ? input.organizationId : undefined;
  const organization = typeof orgId === 'string' && orgId !== '' ? await store.organization(orgId) : undefined;
  const check = await checkAgent(agentId, input, organization);
  if (!check.ok) return check;
  return { ok: true, version: await store.putAgent(agentId, check.document, check.webhookUrl, guard) };
}

export interface WarmTransferSection {
  enabled: boolean;
  rules: string;
  passThroughCallerNumber: boolean;
  ringingTimeoutSeconds: number;
  decisionTimeoutSeconds: number;
  progressNoteIntervalSeconds: number;
  warmTransferAvailable: boolean;
  holdMusic: HoldMusicInfo | null;
  plan: ReadBack;
  version: number;
}

/** The Warm Transfer section of a stored agent, with the defaults a settings file gets filled in. */
export function warmTransferSection(agent: StoredAgent, organization: Organization | undefined): WarmTransferSection {
  const section = (agent.document.warmTransfer ?? {}) as Record<string, unknown>;
  const number = (key: string, fallback: number) => (typeof section[key] === 'number' ? section[key] : fallback);
  const rules = typeof section.rules === 'string' ? section.rules : '';
  return {
    enabled: section.enabled === true,
    rules,
    passThroughCallerNumber: section.passThroughCallerNumber !== false,
    ringingTimeoutSeconds: number('ringingTimeoutSeconds', 30),
    decisionTimeoutSeconds: number('decisionTimeoutSeconds', 20),
    progressNoteIntervalSeconds: number('progressNoteIntervalSeconds', 45),
    warmTransferAvailable: organization?.warmTransferAvailable ?? false,
    holdMusic: agent.holdMusic ?? null,
    plan: rulesReadBack(rules),
    version: agent.version,
  };
}

/**
 * The agent's document with its Warm Transfer section replaced, as the next write. A messages file written
 * by an older version is dropped (the store refuses it now, and workers ignore it).
 */
export function withSection(agent: StoredAgent, section: Record<string, unknown>): Record<string, unknown> {
  const { messages: _ignored, ...document } = agent.document;
  return { ...document, warmTransfer: section, ...(agent.webhookUrl ? { webhookUrl: agent.webhookUrl } : {}) };
}
