// Webhooks: each event in the store's outbox goes to its agent's webhookUrl as a JSON POST signed with the
// organization's own secret (webhook-secrets.ts), to a checked address only (webhook-url.ts).
//
// Two loops, each safe to run in several service instances at once:
// - the fan-out reads the outbox through a consumer group and moves each event to the queue of its endpoint
//   (webhook-queue.ts), acknowledging it only once queued; events of agents without a webhook are dropped here.
//   One instance fans out at a time (a lease), so an endpoint's queue is in the order events were written;
// - the delivery loop takes endpoints whose turn has come, at most `concurrency` at a time and one delivery in
//   flight per endpoint across instances (a lease in Redis), and sends each endpoint's events in order. A failure
//   (no answer within `timeoutMs`, a refused address, a 3xx, 4xx or 5xx, no secret yet) pauses only that endpoint
//   for a growing time, the breaker (firstPauseMs doubling up to maxPauseMs); its events stay queued, others flow.
// Retention: an event is kept until delivered or until it is `retentionMs` old (default 24 h), when it is dropped
// at the endpoint's next turn and the drop logged; an organization has at most `maxQueuedPerOrganization` events
// queued over all its endpoints, and events past that are dropped as they arrive, logged with the running count.
// Delivery is at least once: every body carries the event id, so a receiver drops a repeat it already has.
import { randomUUID } from 'node:crypto';
import { withoutPii } from '../core/pii.ts';
import type { HostPolicy } from '../core/restricted-hosts.ts';
import { signatureHeaders, signingSecrets } from './webhook-secrets.ts';
import { endpointId, type Endpoint, WebhookQueues } from './webhook-queue.ts';
import { postChecked, type Resolve, webhookHostPolicy } from '../settings/webhook-url.ts';
import type { WebhookResult } from './metrics.ts';
import type { SettingsStore, StoredAgent, StoredEvent } from '../settings/store/store.ts';

export interface WebhookOptions {
  /** Restricted hosts the operator allows (SETTINGS_WEBHOOK_ALLOWED_HOSTS by default). */
  allowedHosts?: HostPolicy;
  /** How host names are resolved at delivery (DNS by default). */
  resolve?: Resolve;
  /** One try, from the lookup to the answer's head. */
  timeoutMs?: number;
  retentionMs?: number;
  maxQueuedPerOrganization?: number;
  firstPauseMs?: number;
  maxPauseMs?: number;
  /** Deliveries in flight at once in this instance (each to a different endpoint). */
  concurrency?: number;
  pollMs?: number;
  log?: (message: string, fields: Record<string, unknown>) => void;
  /** What became of each event (and each failed try): the service's metrics count them (metrics.ts). */
  onDelivery?: (result: WebhookResult) => void;
  /** How long an outbox entry handed to a fan-out may stay unacknowledged before another claims it. */
  claimIdleMs?: number;
}

export const WEBHOOK_DEFAULTS = {
  timeoutMs: 5000,
  retentionMs: 24 * 3600_000,
  maxQueuedPerOrganization: 10_000,
  firstPauseMs: 1000,
  maxPauseMs: 10 * 60_000,
  concurrency: 8,
  pollMs: 200,
  claimIdleMs: 60_000,
} as const;

const GROUP = 'webhooks';
const FAN_OUT_LEASE_MS = 10_000;

/**
 * The body a receiver gets: `id`, `event` and `createdAt` are where LiveKit's own webhook events have them;
 * `organizationId` names whose secret signed it. Never an `lk.pii.*` field, also from an event an older worker
 * put in the outbox whole.
 */
export function webhookBody(event: StoredEvent, organizationId: string): string {
  return JSON.stringify({
    id: event.id,
    event: event.type,
    createdAt: Math.floor(Date.parse(event.at) / 1000),
    organizationId,
    agentId: event.agentId,
    data: withoutPii(event.data),
  });
}

/** Fans the outbox out and delivers until `stop()`; returns the handle. */
export function startWebhookSender(store: SettingsStore, options: WebhookOptions = {}, consumer = `sender-${process.pid}`): { stop(): Promise<void> } {
  const o = { ...WEBHOOK_DEFAULTS, ...options };
  const policy = options.allowedHosts ?? webhookHostPolicy();
  const log = options.log ?? (() => undefined);
  const counted = options.onDelivery ?? (() => undefined);
  const queues = new WebhookQueues(store);
  const reader = store.redis.duplicate();
  const controller = new AbortController();
  const { signal } = controller;
  const outbox = store.keys.outbox();
  const leaseMs = o.timeoutMs + 5000;
  const token = `${consumer}-${randomUUID()}`;

  const fanOut = async (entries: Array<[string, string[]]>): Promise<void> => {
    const agents = new Map<string, StoredAgent | undefined>();
    for (const [entryId, fields] of entries) {
      let event: StoredEvent | undefined;
      try {
        event = JSON.parse(fields[1] ?? '') as StoredEvent;
      } catch {
        log('webhook outbox entry is not JSON; dropped', { entryId });
        counted('dropped');
      }
      if (event && typeof event.agentId === 'string') {
        if (!agents.has(event.agentId)) agents.set(event.agentId, await store.agent(event.agentId));
        const agent = agents.get(event.agentId);
        // Written for the organization that owned the agent then: never sent to another that owns it now.
        if (agent && event.organizationId !== undefined && event.organizationId !== agent.organizationId) {
          log('webhook event dropped: its agent now belongs to another organization', { eventId: event.id, agentId: event.agentId });
          counted('dropped');
        } else if (agent?.webhookUrl) {
          const endpoint: Endpoint = { id: endpointId(agent.organizationId, agent.webhookUrl), url: agent.webhookUrl, organizationId: agent.organizationId };
          const queued = await queues.enqueue(endpoint, JSON.stringify(event), o.maxQueuedPerOrganization);
          if (!queued.queued) {
            counted('dropped');
            log('webhook event dropped: the organization has too many events queued', {
              eventId: event.id,
              organizationId: agent.organizationId,
              cap: o.maxQueuedPerOrganization,
              droppedTotal: queued.droppedTotal,
            });
          }
        }
      }
      await store.redis.xack(outbox, GROUP, entryId);
    }
  };

  // One instance at a time fans out (a lease in Redis), so each endpoint's queue keeps the outbox's order; an
  // instance that takes the lease over first claims whatever its predecessor read and never queued.
  const fanOutLoop = async () => {
    // From the start of the outbox: events written before any sender ever ran are sent too.
    await reader.xgroup('CREATE', outbox, GROUP, '0', 'MKSTREAM').catch((error: Error) => {
      if (!error.message.includes('BUSYGROUP')) throw error;
    });
    // First what this consumer read before a restart and never acknowledged, then new events.
    let cursor = '0';
    while (!signal.aborted) {
      try {
        const lease = await queues.holdFanOut(token, FAN_OUT_LEASE_MS);
        if (lease === 'other') {
          await sleep(1000, signal);
          continue;
        }
        const claimed = (await reader.xautoclaim(outbox, GROUP, consumer, lease === 'taken' ? 0 : o.claimIdleMs, '0-0', 'COUNT', 100)) as [
          string,
          Array<[string, string[]] | null>,
        ];
        await fanOut((claimed[1] ?? []).filter((e): e is [string, string[]] => Array.isArray(e) && Array.isArray(e[1])));
        const reply = (await reader.xreadgroup('GROUP', GROUP, consumer, 'COUNT', 200, 'BLOCK', 1000, 'STREAMS', outbox, cursor)) as Array<
          [string, Array<[string, string[]]>]
        > | null;
        const entries = reply?.[0]?.[1] ?? [];
        if (cursor === '0' && entries.length === 0) cursor = '>';
        await fanOut(entries);
      } catch (error) {
        if (signal.aborted) return;
        log('webhook outbox read failed; retrying', { error: String(error) });
        await sleep(1000, signal);
      }
    }
  };

  /** One turn of an endpoint: its events in order until one fails, the queue is empty or the sender stops. */
  const turn = async (id: string) => {
    const taken = await queues.take(id, token, leaseMs);
    if (!taken) return;
    const { endpoint } = taken;
    let head: string | undefined | false = taken.head;
    const failed = async (eventId: string | undefined, fields: Record<string, unknown>) => {
      counted('failed');
      const { failures, pauseMs } = await queues.fail(id, token, o.firstPauseMs, o.maxPauseMs);
      log('webhook delivery failed; the endpoint pauses, its events stay queued', {
        eventId,
        organizationId: endpoint.organizationId,
        endpoint: id,
        failures,
        pauseMs,
        ...fields,
      });
    };
    while (typeof head === 'string' && !signal.aborted) {
      const event = JSON.parse(head) as StoredEvent;
      if (!(Date.now() - Date.parse(event.at) <= o.retentionMs)) {
        counted('expired');
        log('webhook event expired undelivered', { eventId: event.id, organizationId: endpoint.organizationId, endpoint: id, retentionMs: o.retentionMs });
        head = await queues.pop(endpoint, token, false, leaseMs);
        continue;
      }
      const secrets = await signingSecrets(store, endpoint.organizationId);
      if (!secrets)
        return failed(event.id, {
          why: `organization '${endpoint.organizationId}' has no webhook secret yet (POST /v1/organizations/${endpoint.organizationId}/webhook-secret)`,
        });
      const body = webhookBody(event, endpoint.organizationId);
      const headers = { 'content-type': 'application/webhook+json', ...(await signatureHeaders(body, endpoint.organizationId, secrets)) };
      const outcome = await postChecked(endpoint.url, body, headers, policy, o.timeoutMs, options.resolve, signal);
      if (signal.aborted) break;
      if (!outcome.ok) return failed(event.id, { status: outcome.status, why: outcome.why });
      counted('delivered');
      head = await queues.pop(endpoint, token, true, leaseMs);
    }
    if (head !== false) await queues.release(id, token);
  };

  const deliveryLoop = async () => {
    const inFlight = new Map<string, Promise<void>>();
    while (!signal.aborted) {
      try {
        if (inFlight.size < o.concurrency) {
          for (const id of await queues.due(o.concurrency + inFlight.size)) {
            if (inFlight.size >= o.concurrency) break;
            if (inFlight.has(id)) continue;
            const running = turn(id)
              .catch((error: unknown) => log('webhook delivery error', { endpoint: id, error: String(error) }))
              .finally(() => inFlight.delete(id));
            inFlight.set(id, running);
          }
        }
      } catch (error) {
        log('webhook queue read failed; retrying', { error: String(error) });
      }
      await sleep(o.pollMs, signal);
    }
    await Promise.all(inFlight.values());
  };

  const running = Promise.all([fanOutLoop(), deliveryLoop()]);
  return {
    async stop() {
      controller.abort();
      await running.catch(() => undefined);
      await queues.releaseFanOut(token).catch(() => undefined);
      reader.disconnect();
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
