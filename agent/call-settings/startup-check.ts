// The worker's start: every agent's settings are checked before the worker registers, so no call ever meets
// a bad destination, and each hold music file is decoded once, before any job process starts (they read it
// from Redis). Agents in the settings store are read and checked per call (settings-service/); here only that
// the store answers.
import type { Redis } from 'ioredis';
import { proposeAll, type Proposals, withProposals } from '../../settings/rules/model-compile.ts';
import { readBack } from '../../settings/rules/read-back.ts';
import { warmTransferEnabled, type SettingsSet } from '../../settings/settings.ts';
import { SettingsStore } from '../../settings/store/store.ts';
import { ConfigError, type WorkerConfig } from '../config.ts';
import { sipHostProblems } from '../transfer/dial/authorise.ts';
import { loadHoldMusicShared } from '../transfer/hold/music.ts';
import { resolveSettings } from './files.ts';

export interface CheckedSettings {
  /** The hold music files the agents use ('' for the built-in one). */
  musicFiles: Set<string>;
  /** The plans the model proposed and the parser accepted (RULES_COMPILER=model), for the job processes. */
  proposals?: Proposals;
}

/** Checks the settings and reports them on stderr. Throws ConfigError or SettingsError with every problem found. */
export async function checkSettingsAtStart(config: WorkerConfig): Promise<CheckedSettings> {
  if (config.settingsStore) {
    const store = SettingsStore.connect(config.settingsStore.url, config.settingsStore.prefix);
    const ids = await store.agentIds().finally(() => store.close());
    console.error(`settings store ${config.settingsStore.prefix}: ${ids.length} agent(s): ${ids.join(', ') || '(none yet)'}`);
    return { musicFiles: new Set(['']) };
  }
  let settings = await resolveSettings(config);
  let proposals: Proposals | undefined;
  if (config.rulesCompiler === 'model' && config.openai) {
    // Once, here: the job processes inherit the accepted proposals (main.ts hands them on).
    const proposed = await proposeAll(settings, config.openai);
    for (const line of proposed.report) console.error(`rules: ${line}`);
    proposals = proposed.proposals;
    settings = withProposals(settings, proposals);
  }
  // A destination that would be refused at every dial is a configuration problem, reported now.
  const unreachable = [...settings.agents.values()].flatMap((agent) => sipHostProblems(agent, config.sipHosts));
  if (unreachable.length > 0) throw new ConfigError(unreachable);
  report(settings);
  const musicFiles = new Set([...settings.agents.values()].map((agent) => agent.warmTransfer.holdMusic ?? ''));
  return { musicFiles, ...(proposals ? { proposals } : {}) };
}

function report(settings: SettingsSet): void {
  for (const agent of settings.agents.values()) {
    const transfer = warmTransferEnabled(agent) ? 'on' : agent.organization.warmTransferAvailable ? 'off' : 'not available to the organization';
    console.error(`agent ${agent.agentId}: warm transfer ${transfer}; ${agent.warmTransfer.plan.rules.length} rule(s); ${agent.keypad.size} keypad rule(s)`);
    console.error(`  transfer plan (${agent.warmTransfer.plan.source === 'model' ? 'proposed by the model, checked by the parser' : 'from the parser'}):`);
    for (const line of readBack(agent.warmTransfer.plan)) console.error(`    ${line}`);
  }
}

/** Decodes each hold music file into Redis for the job processes; exits when one does not decode (no job could). */
export async function decodeHoldMusic(redis: Redis, files: Iterable<string>): Promise<void> {
  for (const file of files) {
    await loadHoldMusicShared(redis, file || undefined).catch((error: unknown) => {
      console.error(`hold music ${file || '(built-in)'} does not decode: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
  }
}
