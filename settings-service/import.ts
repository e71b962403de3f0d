// Loads settings files (one file, or a folder of them) into the store: each is checked as the worker
// checks files, and nothing is written unless every file is valid and every agent id is free or already
// the organization's (an import never moves another organization's agent). Hold music named in a file is
// read, checked by content and stored like an upload; a file naming none leaves the agent's music as it is
// (uploaded through the page or the API). A messages file is not carried over: in the store, messages go to
// the agent's stream; the result notes each one left out.
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { loadSettings, parseYaml, SettingsError } from '../settings/settings.ts';
import { writeAgent } from './agents.ts';
import { checkUpload } from './hold-music-upload.ts';
import { AgentClaimError, indexAgentOwners } from '../settings/store/agent-owners.ts';
import type { SettingsStore } from '../settings/store/store.ts';
import { tenancyFromEnv } from './tenancy.ts';
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from './upload-limits.ts';

export interface ImportResult {
  agentId: string;
  version: number;
  /** What was not carried over (a messages file), to tell the operator. */
  notes: string[];
}

export async function importSettings(
  store: SettingsStore,
  path: string,
  organizationId: string,
  {
    maxAgentsPerOrganization = tenancyFromEnv().maxAgentsPerOrganization,
    uploads = DEFAULT_UPLOAD_LIMITS,
  }: { maxAgentsPerOrganization?: number; uploads?: UploadLimits } = {},
): Promise<ImportResult[]> {
  const set = await loadSettings(path); // throws SettingsError with every problem of every file
  await indexAgentOwners(store.redis, store.keys); // agents stored before organizations had their own sets
  const prepared = [];
  const problems: string[] = [];
  for (const agent of set.agents.values()) {
    const text = await readFile(agent.file, 'utf8');
    const raw = (['.yaml', '.yml'].includes(extname(agent.file).toLowerCase()) ? parseYaml(text) : JSON.parse(text)) as Record<string, unknown>;
    const { organization, warmTransfer, messages, agentId: _id, ...rest } = raw;
    const section = { ...((warmTransfer ?? {}) as Record<string, unknown>) };
    delete section.holdMusic;
    const music = agent.warmTransfer.holdMusic;
    let upload;
    if (music) {
      const check = await checkUpload(await readFile(music), basename(music), uploads);
      if (!check.ok) problems.push(`${agent.file}: warmTransfer.holdMusic: ${check.error}`);
      else upload = { check, data: await readFile(music), name: basename(music) };
    }
    const notes =
      messages === undefined
        ? []
        : [
            `messages.file was not imported: messages taken for agent ${agent.agentId} go to its stream in the store (GET /v1/agents/${agent.agentId}/messages) and its webhook`,
          ];
    const document = { ...rest, organizationId, ...(warmTransfer ? { warmTransfer: section } : {}) };
    const available = (organization as { warmTransferAvailable?: boolean } | undefined)?.warmTransferAvailable ?? true;
    const owner = (await store.agent(agent.agentId))?.organizationId;
    if (owner !== undefined && owner !== organizationId) {
      problems.push(
        `${agent.file}: agent '${agent.agentId}' belongs to organization '${owner}'; an import never moves an agent to another organization (the administrator can, with PUT /v1/agents/${agent.agentId})`,
      );
    }
    prepared.push({ agentId: agent.agentId, document, available, upload, notes, isNew: owner === undefined });
  }
  const owned = (await store.organizationAgentIds(organizationId)).length;
  const added = prepared.filter((p) => p.isNew).length;
  if (owned + added > maxAgentsPerOrganization) {
    problems.push(
      `organization '${organizationId}' has ${owned} agents; ${added} more would pass its limit of ${maxAgentsPerOrganization} (SETTINGS_MAX_AGENTS_PER_ORGANIZATION)`,
    );
  }
  if (problems.length > 0) throw new SettingsError(problems);

  // The organization gets what the files say about it; any file saying "not available" wins.
  if (!(await store.organization(organizationId)) || prepared.some((p) => !p.available)) {
    await store.putOrganization({ id: organizationId, warmTransferAvailable: prepared.every((p) => p.available) });
  }
  const results: ImportResult[] = [];
  for (const { agentId, document, upload, notes, isNew } of prepared) {
    // The owner seen above is checked again as each agent is written: a racing claim stops the import there.
    const expected = isNew ? ({ kind: 'absent' } as const) : ({ kind: 'organization', organizationId } as const);
    const written = await writeAgent(store, agentId, document, { expected, maxAgentsPerOrganization }).catch((error: unknown) => {
      if (error instanceof AgentClaimError) throw new SettingsError([`agent ${agentId}: ${error.message}`]);
      throw error;
    });
    if (!written.ok) throw new SettingsError(written.problems.map((p) => `agent ${agentId}: ${p}`));
    let version = written.version;
    if (upload) {
      const { check, data, name } = upload;
      const info = {
        sha256: check.sha256,
        format: check.format,
        bytes: data.length,
        name,
        durationMs: Math.round(check.durationMs),
        uploadedAt: new Date().toISOString(),
      };
      version = await store.putHoldMusic(agentId, info, data, Buffer.from(check.pcm.buffer, check.pcm.byteOffset, check.pcm.byteLength));
    }
    results.push({ agentId, version, notes });
  }
  return results;
}
