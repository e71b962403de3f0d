// Where a call's settings come from: a settings file or folder (AGENT_SETTINGS), or, for a single agent,
// the environment. Both go through the same validation, so a variable is checked exactly like a file.
import { join } from 'node:path';
import type { WorkerConfig } from '../config.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import { type AgentSettings, loadSettings, SettingsError, SettingsSet } from '../../settings/settings.ts';

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

/** What an agent id looks like everywhere (settings files, the settings store, AGENT_NAME). */
const AGENT_ID = /^[\w.-]{1,64}$/;

/**
 * The agent a dispatch names: its metadata is either an agent id or JSON with an `agentId`. Only the job's
 * dispatch metadata is read, which the operator's dispatch rule (sip-trunk/dispatch.json) or a holder of the
 * LiveKit API key sets; nothing a caller or an organization sends reaches it. A name that is not an agent
 * id is refused (thrown), never passed on to a key or a file name, and never read as "no agent".
 */
export function agentIdFromMetadata(metadata: string | undefined): string | undefined {
  const text = metadata?.trim();
  if (!text) return undefined;
  let named: unknown = text;
  if (text.startsWith('{') || text.startsWith('[') || text.startsWith('"')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error('the dispatch metadata is neither an agent id nor valid JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !('agentId' in parsed)) return undefined;
    named = parsed.agentId;
  }
  if (typeof named !== 'string' || !AGENT_ID.test(named)) {
    throw new Error('the dispatch metadata names an agent id that is not one (letters, digits, dot, dash and underscore, at most 64)');
  }
  return named;
}

export type { AgentSettings };
