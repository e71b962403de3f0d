// Settings from the shared store (SETTINGS_REDIS_URL), read per call: every worker sees a change made
// through the settings service at its next call, without a restart. A call keeps the snapshot it started
// with. Copies are cached per job process by the agent's version (and the hold music by its SHA-256), so
// a call start costs one small Redis read while nothing changed. Every read is bounded: a store that does not
// answer fails the lookup (the last copy read is used if there is one), and the call then hears an apology
// rather than silence (call-apology.ts).
import { log } from '@livekit/agents';
import { isRedisUnavailable } from '../../settings/store/redis-options.ts';
import { SettingsStore, type StoredEvent } from '../../settings/store/store.ts';
import { checkAgent } from '../../settings/store/validate.ts';
import type { TakenMessage } from '../conversation/messages.ts';
import type { AgentSettings } from '../../settings/settings.ts';
import { bounded, EffectTimeout } from '../../core/bounded.ts';
import { HoldMusic } from '../transfer/hold/music.ts';

/** The version check at every call start: one small read; the caller is waiting. */
export const SETTINGS_READ_TIMEOUT_MS = 3000;
/** The full read of a changed agent, hold music samples included (megabytes). */
export const SETTINGS_FULL_READ_TIMEOUT_MS = 8000;
/** Appending an event (a timeline entry, a taken message) to the store. */
export const EVENT_WRITE_TIMEOUT_MS = 3000;
import type { TimelineEntry } from '../transfer/timeline.ts';

export interface CallSettings {
  settings: AgentSettings;
  music: HoldMusic;
  version: number;
  organizationId: string;
}

export class StoreSettingsSource {
  private readonly cache = new Map<string, CallSettings>();
  private readonly music = new Map<string, HoldMusic>();

  constructor(
    readonly store: SettingsStore,
    private readonly builtinMusic: HoldMusic,
  ) {}

  /** `builtinMusic`: the built-in music already decoded (loadHoldMusicShared); decoded here otherwise. */
  static async open(url: string, prefix: string, builtinMusic?: Promise<HoldMusic>): Promise<StoreSettingsSource> {
    return new StoreSettingsSource(SettingsStore.connect(url, prefix), await (builtinMusic ?? HoldMusic.load()));
  }

  /** The agent's settings for a call starting now; throws when the store has no such (valid) agent. */
  async forCall(agentId: string): Promise<CallSettings> {
    const cached = this.cache.get(agentId);
    let version: number | undefined;
    let available: boolean | undefined;
    try {
      // The organization's switch is not part of the agent's version: read it alongside (one round trip).
      [version, available] = await bounded(
        Promise.all([
          this.store.agentVersion(agentId),
          cached ? this.store.organization(cached.organizationId).then((o) => o?.warmTransferAvailable) : undefined,
        ]),
        SETTINGS_READ_TIMEOUT_MS,
        'reading the agent version',
      );
    } catch (error) {
      // Redis unreachable: the last settings this process saw are better than a caller left in silence.
      if (cached) {
        log().warn({ agentId, error: String(error) }, 'settings store unreachable; using the settings last read');
        return cached;
      }
      throw error;
    }
    if (version === undefined) throw new Error(`the settings store has no agent '${agentId}'`);
    if (cached && cached.version === version && cached.settings.organization.warmTransferAvailable === available) return cached;
    try {
      return await bounded(this.read(agentId), SETTINGS_FULL_READ_TIMEOUT_MS, 'reading the agent settings');
    } catch (error) {
      // Too slow by our bound, or by the store client's own command timeout (redis-options.ts), which may be the shorter.
      if (cached && (error instanceof EffectTimeout || isRedisUnavailable(error))) {
        log().warn({ agentId, error: String(error) }, 'settings store too slow; using the settings last read');
        return cached;
      }
      throw error;
    }
  }

  private async read(agentId: string): Promise<CallSettings> {
    const stored = await this.store.agent(agentId);
    if (!stored) throw new Error(`the settings store has no agent '${agentId}'`);
    const organization = await this.store.organization(stored.organizationId);
    // The same check as every write: a document written by an older service, or by hand, cannot slip through.
    const document = { ...stored.document, ...(stored.webhookUrl ? { webhookUrl: stored.webhookUrl } : {}) };
    const check = await checkAgent(agentId, document, organization, { reading: true });
    if (!check.ok) throw new Error(`agent '${agentId}' in the settings store is invalid: ${check.problems.join('; ')}`);
    const music = await this.holdMusic(agentId, stored.holdMusic?.sha256);
    const fresh = { settings: check.settings, music, version: stored.version, organizationId: stored.organizationId };
    this.cache.set(agentId, fresh);
    log().info({ agentId, version: fresh.version }, 'agent settings read from the store');
    return fresh;
  }

  private async holdMusic(agentId: string, sha256: string | undefined): Promise<HoldMusic> {
    if (!sha256) return this.builtinMusic;
    const known = this.music.get(sha256);
    if (known) return known;
    const samples = await this.store.holdMusicSamples(agentId, sha256);
    // Replaced between the two reads: the next call gets the new one; this one keeps the built-in music.
    if (!samples) return this.builtinMusic;
    const music = HoldMusic.fromSamples(`settings store: ${agentId} ${sha256.slice(0, 12)}`, samples);
    this.music.set(sha256, music);
    return music;
  }

  /** Records a timeline entry in the agent's stream (and the webhook outbox); the store drops its lk.pii fields. */
  publishTimeline(agentId: string, entry: TimelineEntry): void {
    void this.publish(agentId, 'transfer.timeline', { ...entry });
  }

  /**
   * A taken message is the team's to act on: what the caller left (name, callback number, words) goes to the
   * agent's own stream and webhook; its lk.pii fields (the caller ID, the room) are dropped by the store like
   * a timeline's. A failure is thrown: the caller must not be told a message is saved that is not.
   */
  async publishMessage(message: TakenMessage): Promise<void> {
    const { agentId, ...data } = message;
    await bounded(
      this.store.appendEvent(agentId, 'message.taken', data, this.cache.get(agentId)?.organizationId),
      EVENT_WRITE_TIMEOUT_MS,
      'storing the message',
    );
  }

  private async publish(agentId: string, type: StoredEvent['type'], data: Record<string, unknown>): Promise<void> {
    // Under the organization the settings were read for: nothing lands in an agent deleted or moved since.
    await bounded(this.store.appendEvent(agentId, type, data, this.cache.get(agentId)?.organizationId), EVENT_WRITE_TIMEOUT_MS, 'storing an event').catch(
      (error: unknown) => log().error({ agentId, type, error: String(error) }, 'could not store an event'),
    );
  }
}
