// Per-endpoint webhook queues in Redis, so that one endpoint's failures never hold another's events and several
// service instances share the work with no state in memory. An endpoint is one (organization, URL) pair; tenants
// never share a queue even when they name the same URL.
//   queue   LIST of event JSON, oldest first; the head is retried until delivered or expired
//   due     ZSET endpoint id -> when it may next be tried (ms); a failure pushes it out (the breaker)
//   lease   one delivery in flight per endpoint across all instances, with a token (fencing)
//   queued  per-organization count of queued events, capped to bound Redis memory; drops are counted
//   fan-out the lease of the one instance that moves the outbox's events into the queues
// Every change that touches two of these is one Lua script, so an event enqueued while the last one is being
// acknowledged is never stranded in a queue that `due` no longer lists.
import { createHash } from 'node:crypto';
import type { SettingsStore } from '../settings/store/store.ts';

export interface Endpoint {
  id: string;
  url: string;
  organizationId: string;
}

export function webhookKeys(prefix: string) {
  return {
    due: () => `${prefix}webhook:due`,
    endpoint: (id: string) => `${prefix}webhook:endpoint:${id}`,
    queue: (id: string) => `${prefix}webhook:endpoint:${id}:queue`,
    lease: (id: string) => `${prefix}webhook:endpoint:${id}:lease`,
    queued: (orgId: string) => `${prefix}webhook:org:${orgId}:queued`,
    dropped: (orgId: string) => `${prefix}webhook:org:${orgId}:dropped`,
    fanOut: () => `${prefix}webhook:fan-out`,
  };
}

export const endpointId = (organizationId: string, url: string): string => createHash('sha256').update(`${organizationId}\n${url}`).digest('hex').slice(0, 32);

const ENQUEUE = `
if tonumber(redis.call('GET', KEYS[4]) or '0') >= tonumber(ARGV[4]) then return -redis.call('INCR', KEYS[5]) end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[3], 'url', ARGV[5], 'organizationId', ARGV[6])
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[2])
return 1`;

// Removes the head (delivered or expired) if this holder still has the lease, which it extends for the next
// event; lists the endpoint again when more events wait, else takes it off `due`.
const POP = `
if redis.call('GET', KEYS[5]) ~= ARGV[3] then return -1 end
redis.call('LPOP', KEYS[1])
if tonumber(redis.call('DECR', KEYS[4])) < 0 then redis.call('SET', KEYS[4], 0) end
if ARGV[4] == '1' then redis.call('HSET', KEYS[3], 'failures', 0) end
if redis.call('LLEN', KEYS[1]) > 0 then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) else redis.call('ZREM', KEYS[2], ARGV[1]) end
redis.call('PEXPIRE', KEYS[5], ARGV[5])
return 1`;

// A failed try: the endpoint pauses for base * 2^(failures-1), at most max, and its events stay queued.
const FAIL = `
if redis.call('GET', KEYS[3]) ~= ARGV[3] then return {-1, 0} end
local failures = redis.call('HINCRBY', KEYS[2], 'failures', 1)
local pause = math.min(tonumber(ARGV[4]) * 2 ^ (failures - 1), tonumber(ARGV[5]))
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + pause, ARGV[1])
redis.call('DEL', KEYS[3])
return {failures, pause}`;

// Gives the lease back untouched (a sender stopping mid-try), taking an empty queue off `due`.
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('LLEN', KEYS[2]) == 0 then redis.call('ZREM', KEYS[3], ARGV[2]) end
return redis.call('DEL', KEYS[1])`;

// Renews the fan-out lease for its holder, or takes it when free: 'held', 'taken' or 'other'.
const HOLD = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 'held' end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 'taken' end
return 'other'`;

const RELEASE_FAN_OUT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class WebhookQueues {
  readonly keys;

  constructor(private readonly store: SettingsStore) {
    this.keys = webhookKeys(store.prefix);
  }

  /** Queues an event for its endpoint; false (with the organization's total of drops) when its cap is reached. */
  async enqueue(endpoint: Endpoint, eventJson: string, capPerOrganization: number): Promise<{ queued: true } | { queued: false; droppedTotal: number }> {
    const k = this.keys;
    const result = Number(
      await this.store.redis.eval(
        ENQUEUE,
        5,
        k.queue(endpoint.id),
        k.due(),
        k.endpoint(endpoint.id),
        k.queued(endpoint.organizationId),
        k.dropped(endpoint.organizationId),
        eventJson,
        endpoint.id,
        Date.now(),
        capPerOrganization,
        endpoint.url,
        endpoint.organizationId,
      ),
    );
    return result > 0 ? { queued: true } : { queued: false, droppedTotal: -result };
  }

  /** Endpoints whose next try is due, oldest first. */
  async due(count: number): Promise<string[]> {
    return this.store.redis.zrangebyscore(this.keys.due(), '-inf', Date.now(), 'LIMIT', 0, count);
  }

  /** Takes the endpoint's lease for `leaseMs`; its head event and where it goes, or undefined when another holds it. */
  async take(id: string, token: string, leaseMs: number): Promise<{ endpoint: Endpoint; head: string | undefined } | undefined> {
    if ((await this.store.redis.set(this.keys.lease(id), token, 'PX', leaseMs, 'NX')) !== 'OK') return undefined;
    const [[, fields], [, head]] = (await this.store.redis.multi().hgetall(this.keys.endpoint(id)).lindex(this.keys.queue(id), 0).exec()) as [
      [unknown, Record<string, string>],
      [unknown, string | null],
    ];
    return { endpoint: { id, url: fields.url ?? '', organizationId: fields.organizationId ?? '' }, head: head ?? undefined };
  }

  /** Removes the head event, delivered (resets the failure count) or expired; the next head, or false when the lease was lost. */
  async pop(endpoint: Endpoint, token: string, delivered: boolean, leaseMs: number): Promise<string | undefined | false> {
    const k = this.keys;
    const held =
      Number(
        await this.store.redis.eval(
          POP,
          5,
          k.queue(endpoint.id),
          k.due(),
          k.endpoint(endpoint.id),
          k.queued(endpoint.organizationId),
          k.lease(endpoint.id),
          endpoint.id,
          Date.now(),
          token,
          delivered ? '1' : '0',
          leaseMs,
        ),
      ) === 1;
    if (!held) return false;
    return (await this.store.redis.lindex(k.queue(endpoint.id), 0)) ?? undefined;
  }

  /** Records a failed try; the consecutive failures and the pause before the next. */
  async fail(id: string, token: string, baseMs: number, maxMs: number): Promise<{ failures: number; pauseMs: number }> {
    const [failures, pauseMs] = (await this.store.redis.eval(
      FAIL,
      3,
      this.keys.due(),
      this.keys.endpoint(id),
      this.keys.lease(id),
      id,
      Date.now(),
      token,
      baseMs,
      maxMs,
    )) as [number, number];
    return { failures, pauseMs };
  }

  async release(id: string, token: string): Promise<void> {
    await this.store.redis.eval(RELEASE, 3, this.keys.lease(id), this.keys.queue(id), this.keys.due(), token, id);
  }

  /** Whether this instance fans the outbox out: 'taken' when it just took over from another (or from none). */
  async holdFanOut(token: string, leaseMs: number): Promise<'held' | 'taken' | 'other'> {
    return (await this.store.redis.eval(HOLD, 1, this.keys.fanOut(), token, leaseMs)) as 'held' | 'taken' | 'other';
  }

  async releaseFanOut(token: string): Promise<void> {
    await this.store.redis.eval(RELEASE_FAN_OUT, 1, this.keys.fanOut(), token);
  }

  /** Events waiting for one organization (all its endpoints). */
  async queuedFor(organizationId: string): Promise<number> {
    return Number((await this.store.redis.get(this.keys.queued(organizationId))) ?? 0);
  }
}
