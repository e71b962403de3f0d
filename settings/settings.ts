// Per-agent settings, read once at start-up: one JSON or YAML file for a single agent, or a folder of them
// (one file per agent, chosen per call by agent id). Everything wrong in every file is reported in one
// SettingsError, so a deployment is fixed in one pass and no call starts with a bad destination.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { agentSettingsSchema } from './schema.ts';
import type { AgentSettings } from './schema.ts';

export type { AgentSettings } from './schema.ts';

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid agent settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
  }
}

/** Warm transfer is offered only when the organization has it and the agent turns it on. */
export function warmTransferEnabled(settings: AgentSettings): boolean {
  return settings.organization.warmTransferAvailable && settings.warmTransfer.enabled;
}

export class SettingsSet {
  constructor(
    readonly agents: ReadonlyMap<string, AgentSettings>,
    /** Loaded from a single file: that agent answers every call, whatever id the call carries. */
    private readonly singleFile: boolean,
  ) {}

  /** The same set with its agents' settings replaced (same ids, same single-file rule). */
  withAgents(agents: ReadonlyMap<string, AgentSettings>): SettingsSet {
    return new SettingsSet(agents, this.singleFile);
  }

  /** The settings for a call; throws when a folder holds no such agent or the call must name one. */
  forAgent(agentId: string | undefined): AgentSettings {
    const ids = [...this.agents.keys()];
    const only = ids.length === 1 ? this.agents.get(ids[0] ?? '') : undefined;
    if (only && (this.singleFile || agentId === undefined)) return only;
    if (agentId === undefined) throw new Error(`the call names no agent, and several are configured: ${ids.join(', ')}`);
    const found = this.agents.get(agentId);
    if (!found) throw new Error(`no settings for agent '${agentId}'; configured agents: ${ids.join(', ')}`);
    return found;
  }
}

const isYaml = (file: string) => ['.yaml', '.yml'].includes(extname(file).toLowerCase());
const SETTINGS_EXTENSIONS = new Set(['.json', '.yaml', '.yml']);

/** Loads a settings file, or every .json/.yaml/.yml file in a folder; throws SettingsError listing every problem. */
export async function loadSettings(path: string): Promise<SettingsSet> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new SettingsError([`${path}: no such settings file or folder`]);
  const folder = info.isDirectory();
  const candidates = folder ? (await readdir(path)).sort().map((name) => join(path, name)) : [path];
  const files = candidates.filter((file) => !folder || SETTINGS_EXTENSIONS.has(extname(file).toLowerCase()));
  const problems: string[] = [];
  if (folder && files.length === 0) problems.push(`${path}: the folder holds no .json, .yaml or .yml settings files`);

  const agents = new Map<string, AgentSettings>();
  for (const result of await Promise.all(files.map(loadFile))) {
    if ('problems' in result) {
      problems.push(...result.problems);
      continue;
    }
    const other = agents.get(result.agentId);
    if (other) problems.push(`${result.file}: agentId: '${result.agentId}' is already used by ${other.file}`);
    agents.set(result.agentId, result);
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return new SettingsSet(agents, !folder);
}

async function loadFile(file: string): Promise<AgentSettings | { problems: string[] }> {
  let document: unknown;
  try {
    const text = await readFile(file, 'utf8');
    document = isYaml(file) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    const what = isYaml(file) ? 'YAML' : 'JSON';
    return { problems: [`${file}: not valid ${what}: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const parsed = await agentSettingsSchema(file).safeParseAsync(document, { error: friendlyMessage });
  if (parsed.success) return parsed.data;
  return {
    problems: parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${file}: ${issue.path.join('.')}: ${issue.message}` : `${file}: ${issue.message}`)),
  };
}

/**
 * A YAML settings document as plain data. A plain scalar such as `+15125550100` is a number to YAML,
 * which would drop the plus sign; in settings it is always a phone number, so it stays the text written.
 */
export function parseYaml(text: string): unknown {
  const document = parseDocument(text, { keepSourceTokens: true });
  if (document.errors.length > 0) {
    throw new Error(document.errors.map((e) => (e.message.split('\n')[0] ?? '').replace(/:$/, '')).join('; '));
  }
  visit(document, {
    Scalar(_key, node) {
      const source = node.srcToken && 'source' in node.srcToken ? node.srcToken.source : undefined;
      if (typeof node.value === 'number' && source?.startsWith('+')) node.value = source;
    },
  });
  return document.toJS();
}

// Zod's defaults ("Invalid input: expected string, received undefined") read badly in a list of problems.
export function friendlyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'unrecognized_keys') return `unknown ${issue.keys.length > 1 ? 'keys' : 'key'}: ${issue.keys.join(', ')}`;
  return undefined;
}
