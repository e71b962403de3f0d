// The settings store: organizations, their tokens, agents' settings documents, hold music and the event
// streams, all in Redis so that every worker and every service instance sees the same state.
//
// Versioned keys, not pub/sub: each agent's hash carries a version that every write bumps in the same
// transaction. A worker reads the version when a call starts and re-reads the settings only when it
// changed; a call keeps the snapshot it started with. Nothing is missed while a worker is disconnected.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { withoutPii } from '../../core/pii.ts';
import { hashToken, sameHash } from './tokens.ts';
import { DEFAULT_KEY_PREFIX, type EventKind, storeKeys } from './keys.ts';
import { redisOptions } from './redis-options.ts';
import { type AgentGuard, deleteOwnedAgent, type ExpectedOwner, organizationAgentIds, putOwnedAgent } from './agent-owners.ts';
import { type HoldMusicInfo, storeHoldMusic } from './music-usage.ts';

const ANY_OWNER: AgentGuard = { expected: { kind: 'any' }, maxAgentsPerOrganization: 0 };

export interface Organization {
  id: string;
  warmTransferAvailable: boolean;
}

export interface StoredAgent {
  agentId: string;
  organizationId: string;
  /** The settings as written (organizationId and the fields of a settings file, without hold music). */
  document: Record<string, unknown>;
  webhookUrl: string | undefined;
  holdMusic: HoldMusicInfo | undefined;
  version: number;
}

export interface StoredEvent {
  /** Unique per event, so a webhook receiver can drop a retried delivery it already has. */
  id: string;
  type: 'transfer.timeline' | 'message.taken';
  agentId: string;
  /**
   * The organization that owned the agent when the call read its settings. An event is stored and sent only
   * while the agent still belongs to it: a call that outlives a deletion, or a move to another organization,
   * writes nothing into what is now another tenant's agent. Absent from events of older workers.
   */
  organizationId?: string;
  at: string;
  data: Record<string, unknown>;
}

// KEYS[1] the agent, KEYS[2] its stream, KEYS[3] the outbox; ARGV[1] organization, ARGV[2] event JSON,
// ARGV[3] stream cap, ARGV[4] outbox min id. Writes only while the agent exists and belongs to ARGV[1].
const APPEND_OWNED = `
local document = redis.call('HGET', KEYS[1], 'document')
if not document then return 0 end
local ok, parsed = pcall(cjson.decode, document)
if not ok or type(parsed) ~= 'table' or parsed.organizationId ~= ARGV[1] then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'event', ARGV[2])
redis.call('XADD', KEYS[3], 'MINID', '~', ARGV[4], '*', 'event', ARGV[2])
return 1
`;

/** appendEvent's refusal: the agent was deleted or moved since the call read its settings. */
export class NotOwnedError extends Error {}

/** Streams are capped (approximately, which Redis trims cheaply): recent history, not an archive. */
export const STREAM_MAX_LENGTH = 1000;
/**
 * The outbox keeps a day of events, by age rather than by count, so that events written while no webhook sender
 * runs are not trimmed undelivered (the sender moves them to per-endpoint queues at once; see webhooks.ts).
 */
export const OUTBOX_RETENTION_MS = 24 * 3600_000;

export class SettingsStore {
  readonly keys;

  constructor(
    readonly redis: Redis,
    readonly prefix: string = DEFAULT_KEY_PREFIX,
  ) {
    this.keys = storeKeys(prefix);
  }

  /** Connects to `url` (redis://host:port/db; the database index is honoured); every command is bounded (redis-options.ts). */
  static connect(url: string, prefix: string = DEFAULT_KEY_PREFIX): SettingsStore {
    const redis = new Redis(url, redisOptions);
    // Connection trouble also fails the commands that meet it (a 503, a call's bounded fallback); without a
    // listener ioredis would print every reconnect attempt as an "Unhandled error event".
    redis.on('error', () => undefined);
    return new SettingsStore(redis, prefix);
  }

  close(): Promise<void> {
    return this.redis.quit().then(
      () => undefined,
      () => this.redis.disconnect(),
    );
  }

  async organization(id: string): Promise<Organization | undefined> {
    const value = await this.redis.hget(this.keys.organization(id), 'warmTransferAvailable');
    return value === null ? undefined : { id, warmTransferAvailable: value === 'true' };
  }

  async putOrganization(org: Organization): Promise<void> {
    await this.redis.hset(this.keys.organization(org.id), { warmTransferAvailable: String(org.warmTransferAvailable), updatedAt: new Date().toISOString() });
  }

  /** Stores a new token's hash for `orgId`; the token itself is returned once and kept nowhere. */
  async addToken(orgId: string, token: string): Promise<void> {
    const hash = hashToken(token);
    await this.redis.hset(this.keys.token(hash), { organizationId: orgId, hash, createdAt: new Date().toISOString() });
  }

  /** The organization a token belongs to, or undefined for an unknown token. */
  async tokenOrganization(token: string): Promise<string | undefined> {
    const hash = hashToken(token);
    const [orgId, stored] = await this.redis.hmget(this.keys.token(hash), 'organizationId', 'hash');
    // The key is found by the hash; checking the stored hash too costs nothing and is constant-time.
    if (!orgId || !stored || !sameHash(stored, hash)) return undefined;
    return orgId;
  }

  async agentIds(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.agents())).sort();
  }

  async agent(agentId: string): Promise<StoredAgent | undefined> {
    const fields = await this.redis.hgetall(this.keys.agent(agentId));
    if (!fields.document) return undefined;
    const document = JSON.parse(fields.document) as Record<string, unknown>;
    return {
      agentId,
      organizationId: String(document.organizationId),
      document,
      webhookUrl: fields.webhookUrl || undefined,
      holdMusic: fields.holdMusic ? (JSON.parse(fields.holdMusic) as HoldMusicInfo) : undefined,
      version: Number(fields.version ?? 0),
    };
  }

  /** The agent's version alone: one small read per call, to know whether a worker's copy is current. */
  async agentVersion(agentId: string): Promise<number | undefined> {
    const version = await this.redis.hget(this.keys.agent(agentId), 'version');
    return version === null ? undefined : Number(version);
  }

  /**
   * Creates or replaces an agent's settings (already validated); returns the new version. The guard's owner
   * and quota are checked in the same script that writes (agent-owners.ts); without one, any owner goes.
   */
  async putAgent(agentId: string, document: Record<string, unknown>, webhookUrl: string | undefined, guard: AgentGuard = ANY_OWNER): Promise<number> {
    return putOwnedAgent(this.redis, this.keys, agentId, document, webhookUrl, guard);
  }

  /**
   * Stores the uploaded file and its decoded samples together with the agent's new version, within the
   * organization's hold music quota when one is given (store/music-usage.ts; throws MusicQuotaError).
   */
  async putHoldMusic(agentId: string, info: HoldMusicInfo, original: Buffer, pcm: Buffer, quotaBytes?: number): Promise<number> {
    return storeHoldMusic(this.redis, this.keys, agentId, { info, original, pcm, quotaBytes });
  }

  /** Back to the built-in music. */
  async clearHoldMusic(agentId: string): Promise<number> {
    const tx = this.redis.multi().del(this.keys.holdMusic(agentId)).hdel(this.keys.agent(agentId), 'holdMusic').hincrby(this.keys.agent(agentId), 'version', 1);
    return this.bump(tx);
  }

  /** The file as uploaded, for playing it back. */
  async holdMusicFile(agentId: string): Promise<Buffer | undefined> {
    return (await this.redis.hgetBuffer(this.keys.holdMusic(agentId), 'original')) ?? undefined;
  }

  /** The decoded samples, only if they are still those of `sha256` (an upload may have replaced them). */
  async holdMusicSamples(agentId: string, sha256: string): Promise<Int16Array | undefined> {
    const [stored, pcm] = await this.redis.hmgetBuffer(this.keys.holdMusic(agentId), 'sha256', 'pcm');
    if (!stored || !pcm || stored.toString() !== sha256) return undefined;
    // Copy into an aligned buffer: Int16Array needs an even byte offset, which a Redis reply may not have.
    const aligned = new Int16Array(pcm.length >> 1);
    Buffer.from(aligned.buffer).set(pcm.subarray(0, aligned.length * 2));
    return aligned;
  }

  /** Deletes an agent, its hold music and its streams, if its owner is still `expected`; the id is free again. */
  async deleteAgent(agentId: string, expected: ExpectedOwner = { kind: 'any' }): Promise<void> {
    await deleteOwnedAgent(this.redis, this.keys, agentId, expected);
  }

  /** The ids of one organization's agents, sorted. */
  organizationAgentIds(organizationId: string): Promise<string[]> {
    return organizationAgentIds(this.redis, this.keys, organizationId);
  }

  /**
   * Appends an event to the agent's capped stream and to the outbox the webhook sender reads, without its
   * `lk.pii.*` fields: those stay in the worker's own logs.
   */
  async appendEvent(agentId: string, type: StoredEvent['type'], data: Record<string, unknown>, organizationId?: string): Promise<StoredEvent> {
    const event: StoredEvent = {
      id: randomUUID(),
      type,
      agentId,
      ...(organizationId ? { organizationId } : {}),
      at: new Date().toISOString(),
      data: withoutPii(data),
    };
    const json = JSON.stringify(event);
    const kind: EventKind = type === 'message.taken' ? 'messages' : 'transfers';
    if (organizationId) {
      const keys = [this.keys.agent(agentId), this.keys.stream(agentId, kind), this.keys.outbox()];
      const written = await this.redis.eval(APPEND_OWNED, 3, ...keys, organizationId, json, STREAM_MAX_LENGTH, String(Date.now() - OUTBOX_RETENTION_MS));
      if (Number(written) !== 1) throw new NotOwnedError(`agent '${agentId}' no longer belongs to organization '${organizationId}'; the event was not stored`);
      return event;
    }
    await this.redis
      .multi()
      .xadd(this.keys.stream(agentId, kind), 'MAXLEN', '~', STREAM_MAX_LENGTH, '*', 'event', json)
      .xadd(this.keys.outbox(), 'MINID', '~', String(Date.now() - OUTBOX_RETENTION_MS), '*', 'event', json)
      .exec();
    return event;
  }

  /**
   * The newest `count` events of one kind (stored at `sinceMs` or later, when given), newest first; scrubbed
   * again, as earlier versions stored events whole.
   */
  async recentEvents(agentId: string, kind: EventKind, count: number, sinceMs?: number): Promise<StoredEvent[]> {
    const oldest = sinceMs === undefined ? '-' : String(Math.max(0, Math.floor(sinceMs)));
    const entries = await this.redis.xrevrange(this.keys.stream(agentId, kind), '+', oldest, 'COUNT', count);
    return entries.map(([, fields]) => withoutPii(JSON.parse(fields[1] ?? '{}') as StoredEvent));
  }

  private async bump(tx: ReturnType<Redis['multi']>): Promise<number> {
    const results = await tx.exec();
    if (!results) throw new Error('the settings write was aborted');
    for (const [error] of results) if (error) throw error;
    const last = results[results.length - 1];
    return Number(last?.[1]);
  }
}
