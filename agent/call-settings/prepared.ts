// What a job process prepares while it waits for a call (the framework's prewarm): its configuration, read
// once; the agents' settings and their hold music, from the files checked at start-up, or the settings store
// (whose agents are read at each call); the voice activity model; and the phrases said on every call.
import type { VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import type { Redis } from 'ioredis';
import { briefingIntro, DECISION_QUESTION } from '../../prompts/briefing.ts';
import { proposalsFromEnv, withProposals } from '../../settings/rules/model-compile.ts';
import type { AgentSettings, SettingsSet } from '../../settings/settings.ts';
import type { WorkerConfig } from '../config.ts';
import { createModels, loadBriefingVad } from '../conversation/models.ts';
import { Phrases } from '../conversation/speech/phrases.ts';
import { connectRedis } from '../redis.ts';
import { type HoldMusic, loadHoldMusicShared } from '../transfer/hold/music.ts';
import { resolveSettings } from './files.ts';
import { StoreSettingsSource } from './store.ts';

export type Prepared = (
  | {
      settings: SettingsSet;
      /** Hold music by file ('' for the built-in), decoded once per file (loadHoldMusicShared). */
      music: Map<string, HoldMusic>;
    }
  | { store: StoreSettingsSource }
) & {
  config: WorkerConfig;
  /** This process's Redis client (REDIS_URL), shared by the calls it runs. */
  redis: Redis;
  vad: VAD;
  /**
   * The briefing session's VAD: the same model, quicker to hear the person start, and with a transcription
   * service quicker to hear them stop (models.ts).
   */
  briefingVad: VAD;
  phrases: Phrases | undefined;
};

/** One call's settings and music, and with the store the organization they belong to. */
export interface SettingsForCall {
  settings: AgentSettings;
  music: HoldMusic;
  organizationId?: string;
}

export async function prepareJobProcess(config: WorkerConfig): Promise<Prepared> {
  const redis = connectRedis(config.redisUrl);
  if (config.settingsStore) {
    // A call with the store reads its agent when it starts; nothing is decoded ahead but the built-in music.
    const store = await StoreSettingsSource.open(config.settingsStore.url, config.settingsStore.prefix, loadHoldMusicShared(redis));
    const { vad, briefingVad } = await loadVads(config);
    return { config, store, redis, vad, briefingVad, phrases: await preparePhrases(config, vad, []) };
  }
  // The plans the main process accepted from the model, checked again here; else the parser's.
  const settings = withProposals(await resolveSettings(config), proposalsFromEnv());
  const music = new Map<string, HoldMusic>();
  for (const agent of settings.agents.values()) {
    const file = agent.warmTransfer.holdMusic ?? '';
    if (!music.has(file)) music.set(file, await loadHoldMusicShared(redis, file || undefined));
  }
  const { vad, briefingVad } = await loadVads(config);
  const phrases = await preparePhrases(
    config,
    vad,
    [...settings.agents.values()].map((agent) => agent.greeting),
  );
  return { config, settings, redis, music, vad, briefingVad, phrases };
}

/** Silero's default for the caller's turns; the briefing's own for the person's short answers over it. */
async function loadVads(config: WorkerConfig): Promise<{ vad: VAD; briefingVad: VAD }> {
  return { vad: await silero.VAD.load(), briefingVad: await loadBriefingVad(config.openai !== undefined) };
}

/** The settings store, when the settings come from it. */
export function settingsStoreOf(prepared: Prepared): StoreSettingsSource | undefined {
  return 'store' in prepared ? prepared.store : undefined;
}

/**
 * This call's settings and music: from the files read at start-up, or from the store as they are now (a
 * snapshot: a change made during the call applies from the next one; the store's reads are bounded).
 */
export async function settingsForCall(prepared: Prepared, agentId: string | undefined): Promise<SettingsForCall> {
  if ('store' in prepared) return prepared.store.forCall(agentId ?? prepared.config.agentName);
  const settings = prepared.settings.forAgent(agentId);
  return { settings, music: prepared.music.get(settings.warmTransfer.holdMusic ?? '')! };
}

/**
 * The greetings and the briefing's introduction, synthesised while the process waits for a call. Only for the
 * embedded voice: an OpenAI voice would cost a request for every process started, used or not.
 */
async function preparePhrases(config: WorkerConfig, vad: VAD, greetings: Iterable<string | undefined>): Promise<Phrases | undefined> {
  if (config.tts !== 'espeak') return undefined;
  const phrases = new Phrases(createModels(config, vad).tts);
  await phrases.prepare([config.greeting, ...[...greetings].filter((g): g is string => g !== undefined), briefingIntro(), DECISION_QUESTION]);
  return phrases;
}
