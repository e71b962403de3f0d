// Per-agent settings, read once at start-up: one JSON file for a single agent, or a folder of them
// (one file per agent, chosen per call by agent id). Everything wrong in every file is reported in one
// SettingsError, so a deployment is fixed in one pass and no call starts with a bad destination.
// JSON only: no YAML parser is installed, and settings are not worth a dependency.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
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

/** Loads a settings file, or every *.json file in a folder; throws SettingsError listing every problem. */
export async function loadSettings(path: string): Promise<SettingsSet> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new SettingsError([`${path}: no such settings file or folder`]);
  const folder = info.isDirectory();
  const candidates = folder ? (await readdir(path)).sort().map((name) => join(path, name)) : [path];
  const isYaml = (file: string) => ['.yaml', '.yml'].includes(extname(file));
  // A YAML file was meant to be read; skipping it silently would lose an agent.
  const problems = candidates.filter(isYaml).map((file) => `${file}: YAML is not supported; write the settings as JSON`);
  const files = candidates.filter((file) => !isYaml(file) && (!folder || extname(file) === '.json'));
  if (folder && files.length === 0 && problems.length === 0) problems.push(`${path}: the folder holds no .json settings files`);

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
    document = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    return { problems: [`${file}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const parsed = await agentSettingsSchema(file).safeParseAsync(document, { error: friendlyMessage });
  if (parsed.success) return parsed.data;
  return {
    problems: parsed.error.issues.map((issue) =>
      issue.path.length > 0 ? `${file}: ${issue.path.join('.')}: ${issue.message}` : `${file}: ${issue.message}`,
    ),
  };
}

// Zod's defaults ("Invalid input: expected string, received undefined") read badly in a list of problems.
function friendlyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'unrecognized_keys') return `unknown ${issue.keys.length > 1 ? 'keys' : 'key'}: ${issue.keys.join(', ')}`;
  return undefined;
}
