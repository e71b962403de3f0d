// Where a call's settings come from: a settings file or folder (AGENT_SETTINGS), or, for a single agent,
// the environment. Both go through the same validation, so a variable is checked exactly like a file.
import { join } from 'node:path';
import type { WorkerConfig } from './config.ts';
import { agentSettingsSchema } from './settings/schema.ts';
import { type AgentSettings, loadSettings, SettingsError, SettingsSet } from './settings/settings.ts';

/** What the environment says, as a settings document. */
function documentFromEnv(config: WorkerConfig): Record<string, unknown> {
  const { transfer } = config;
  const rules = transfer.rules ?? (transfer.destination ? `If the caller asks for a person, warm transfer to ${transfer.destination}.` : '');
  return {
    agentId: config.agentName,
    ...(config.instructions ? { instructions: config.instructions } : {}),
    greeting: config.greeting,
    ...(transfer.agentPhoneNumber ? { agentPhoneNumber: transfer.agentPhoneNumber } : {}),
    warmTransfer: {
      enabled: transfer.enabled && rules !== '',
      rules,
      ...(transfer.holdMusic ? { holdMusic: transfer.holdMusic } : {}),
      passThroughCallerNumber: transfer.passThroughCallerNumber,
      ringingTimeoutSeconds: transfer.ringingTimeoutMs / 1000,
      decisionTimeoutSeconds: transfer.decisionTimeoutMs / 1000,
    },
    trunks: {
      ...(transfer.outboundTrunkId ? { pstnOutboundTrunkId: transfer.outboundTrunkId } : {}),
      ...(transfer.pbxTrunkId ? { pbx: { outboundTrunkId: transfer.pbxTrunkId } } : {}),
    },
    messages: { file: config.messagesFile },
  };
}

/** Loads and validates every agent's settings; throws SettingsError listing all problems. */
export async function resolveSettings(config: WorkerConfig): Promise<SettingsSet> {
  if (config.settingsPath) return loadSettings(config.settingsPath);
  // Relative paths in variables are relative to the working directory, as a file's are to its folder.
  const where = join(process.cwd(), '(environment)');
  const parsed = await agentSettingsSchema(where).safeParseAsync(documentFromEnv(config));
  if (!parsed.success) {
    throw new SettingsError(parsed.error.issues.map((issue) => `environment: ${issue.path.join('.')}: ${issue.message}`));
  }
  return new SettingsSet(new Map([[parsed.data.agentId, parsed.data]]), true);
}

/** The agent a dispatch names: its metadata is either an agent id or JSON with an `agentId`. */
export function agentIdFromMetadata(metadata: string | undefined): string | undefined {
  const text = metadata?.trim();
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && 'agentId' in parsed && typeof parsed.agentId === 'string') return parsed.agentId;
    return undefined;
  } catch {
    return text;
  }
}

export type { AgentSettings };
