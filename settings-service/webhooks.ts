// Webhooks: each event in the store's outbox is POSTed as JSON to its agent's webhookUrl, signed the way
// LiveKit signs its own webhooks: an Authorization JWT made with the API key and secret whose `sha256`
// claim is the base64 SHA-256 of the body. A receiver checks it with livekit-server-sdk's WebhookReceiver
// (or TokenVerifier). Every event carries an id, so a receiver drops a retried delivery it already has.
//
// The outbox is a Redis stream read through a consumer group, so several service instances share the
// work and an event is acknowledged only once delivered (or given up after the last retry).
import { createHash } from 'node:crypto';
import { AccessToken } from 'livekit-server-sdk';
import { withoutPii } from '../agent/pii.ts';
import type { SettingsStore, StoredEvent } from './store/store.ts';

export interface WebhookOptions {
  apiKey: string;
  apiSecret: string;
  /** Delays between tries; the default gives up after about half a minute. */
  backoffMs?: number[];
  timeoutMs?: number;
  log?: (message: string, fields: Record<string, unknown>) => void;
  /** How long an entry handed to a sender may stay unacknowledged before another sender claims it. */
  claimIdleMs?: number;
}

const GROUP = 'webhooks';
const DEFAULT_BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 16000];

/**
 * The body a receiver gets: `id`, `event` and `createdAt` are where LiveKit's own webhook events have them.
 * Never an `lk.pii.*` field, also from an event an older worker put in the outbox whole.
 */
export function webhookBody(event: StoredEvent): string {
  return JSON.stringify({ id: event.id, event: event.type, createdAt: Math.floor(Date.parse(event.at) / 1000), agentId: event.agentId, data: withoutPii(event.data) });
}

export async function signBody(body: string, apiKey: string, apiSecret: string): Promise<string> {
  const token = new AccessToken(apiKey, apiSecret, { ttl: '5m' });
  token.sha256 = createHash('sha256').update(body).digest('base64');
  return token.toJwt();
}

/** POSTs one event, retrying with backoff; true when the receiver answered 2xx. */
export async function deliver(url: string, event: StoredEvent, options: WebhookOptions, signal?: AbortSignal): Promise<boolean> {
  const body = webhookBody(event);
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  for (let attempt = 0; attempt <= backoff.length; attempt++) {
    if (signal?.aborted) return false;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/webhook+json', authorization: await signBody(body, options.apiKey, options.apiSecret) },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      if (response.ok) return true;
      options.log?.('webhook refused', { eventId: event.id, status: response.status, attempt });
    } catch (error) {
      options.log?.('webhook failed', { eventId: event.id, attempt, error: error instanceof Error ? error.message : String(error) });
    }
    const delay = backoff[attempt];
    if (delay === undefined) break;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  return false;
}

/** Sends the outbox's events until `stop()`; returns the handle. */
export function startWebhookSender(store: SettingsStore, options: WebhookOptions, consumer = `sender-${process.pid}`): { stop(): Promise<void> } {
  const reader = store.redis.duplicate();
  const controller = new AbortController();
  const outbox = store.keys.outbox();
  // Entries handed out but not acknowledged for this long belong to a sender that died: another takes them.
  const claimIdleMs = options.claimIdleMs ?? 60_000;
  const handle = async (entries: Array<[string, string[]]>): Promise<boolean> => {
    for (const [entryId, fields] of entries) {
      const event = JSON.parse(fields[1] ?? '{}') as StoredEvent;
      const agent = await store.agent(event.agentId).catch(() => undefined);
      if (agent?.webhookUrl) {
        const delivered = await deliver(agent.webhookUrl, event, options, controller.signal);
        if (!delivered && controller.signal.aborted) return false; // left pending: delivered after a restart
        if (!delivered) options.log?.('webhook given up', { eventId: event.id, agentId: event.agentId });
      }
      await store.redis.xack(outbox, GROUP, entryId);
    }
    return true;
  };
  const run = (async () => {
    // From the start of the outbox: events written before any sender ever ran are sent too.
    await reader.xgroup('CREATE', outbox, GROUP, '0', 'MKSTREAM').catch((error: Error) => {
      if (!error.message.includes('BUSYGROUP')) throw error;
    });
    // First what this consumer read before a restart and never acknowledged, then new events.
    let cursor = '0';
    while (!controller.signal.aborted) {
      const claimed = (await reader
        .xautoclaim(outbox, GROUP, consumer, claimIdleMs, '0-0', 'COUNT', 20)
        .catch(() => null)) as [string, Array<[string, string[]] | null>] | null;
      const stale = (claimed?.[1] ?? []).filter((e): e is [string, string[]] => Array.isArray(e) && Array.isArray(e[1]));
      if (!(await handle(stale))) return;
      const reply = (await reader
        .xreadgroup('GROUP', GROUP, consumer, 'COUNT', 20, 'BLOCK', 1000, 'STREAMS', outbox, cursor)
        .catch(() => null)) as Array<[string, Array<[string, string[]]>]> | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (cursor === '0' && entries.length === 0) cursor = '>';
      if (!(await handle(entries))) return;
    }
  })();
  return {
    async stop() {
      controller.abort();
      await run.catch(() => undefined);
      reader.disconnect();
    },
  };
}
