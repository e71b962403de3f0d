// Loads settings files (one file, or a folder of them) into the store: each is checked as the worker
// checks files, and nothing is written unless every file is valid. Hold music named in a file is read,
// checked by content and stored like an upload; a relative messages file becomes absolute.
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { loadSettings, parseYaml, SettingsError } from '../agent/settings/settings.ts';
import { writeAgent } from './agents.ts';
import { checkUpload } from './hold-music-upload.ts';
import type { SettingsStore } from './store/store.ts';
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from './upload-limits.ts';

export interface ImportResult {
  agentId: string;
  version: number;
}

export async function importSettings(store: SettingsStore, path: string, organizationId: string, limits: UploadLimits = DEFAULT_UPLOAD_LIMITS): Promise<ImportResult[]> {
  const set = await loadSettings(path); // throws SettingsError with every problem of every file
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
      const check = await checkUpload(await readFile(music), basename(music), limits);
      if (!check.ok) problems.push(`${agent.file}: warmTransfer.holdMusic: ${check.error}`);
      else upload = { check, data: await readFile(music), name: basename(music) };
    }
    const messagesFile = (messages as { file?: string } | undefined)?.file;
    const document = {
      ...rest,
      organizationId,
      ...(warmTransfer ? { warmTransfer: section } : {}),
      ...(messagesFile ? { messages: { file: resolve(dirname(agent.file), messagesFile) } } : {}),
    };
    const available = (organization as { warmTransferAvailable?: boolean } | undefined)?.warmTransferAvailable ?? true;
    prepared.push({ agentId: agent.agentId, document, available, upload });
  }
  if (problems.length > 0) throw new SettingsError(problems);

  // The organization gets what the files say about it; any file saying "not available" wins.
  if (!(await store.organization(organizationId)) || prepared.some((p) => !p.available)) {
    await store.putOrganization({ id: organizationId, warmTransferAvailable: prepared.every((p) => p.available) });
  }
  const results: ImportResult[] = [];
  for (const { agentId, document, upload } of prepared) {
    const written = await writeAgent(store, agentId, document);
    if (!written.ok) throw new SettingsError(written.problems.map((p) => `agent ${agentId}: ${p}`));
    let version = written.version;
    if (upload) {
      const { check, data, name } = upload;
      const info = { sha256: check.sha256, format: check.format, bytes: data.length, name, durationMs: Math.round(check.durationMs), uploadedAt: new Date().toISOString() };
      version = await store.putHoldMusic(agentId, info, data, Buffer.from(check.pcm.buffer, check.pcm.byteOffset, check.pcm.byteLength));
    } else {
      version = await store.clearHoldMusic(agentId);
    }
    results.push({ agentId, version });
  }
  return results;
}
