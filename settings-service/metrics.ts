// The settings service's metrics for Prometheus: webhook deliveries by result, and the process's own (CPU,
// memory, event loop). Served on SETTINGS_METRICS_PORT, a port of their own on loopback unless
// SETTINGS_METRICS_HOST says otherwise (core/metrics-http.ts), never on the service's own port, which faces
// organizations and their browsers. Only aggregates: no organization, agent or endpoint is a label, so one
// organization's traffic cannot be read from them.
import { isIP } from 'node:net';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/** What became of a webhook event: sent (2xx), a try that failed (it stays queued), dropped undelivered. */
export const WEBHOOK_RESULTS = ['delivered', 'failed', 'expired', 'dropped'] as const;
export type WebhookResult = (typeof WEBHOOK_RESULTS)[number];

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #deliveries: Counter<'result'>;

  constructor({ processMetrics = true }: { processMetrics?: boolean } = {}) {
    this.#deliveries = new Counter({
      name: 'warm_transfer_webhook_deliveries_total',
      help: 'Webhook deliveries by result: delivered, failed (a try; the event stays queued), expired (past retention), dropped (over the queue cap, or its agent moved to another organization).',
      labelNames: ['result'],
      registers: [this.registry],
    });
    for (const result of WEBHOOK_RESULTS) this.#deliveries.inc({ result }, 0);
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  webhook(result: WebhookResult): void {
    this.#deliveries.inc({ result });
  }
}

/** SETTINGS_METRICS_PORT and SETTINGS_METRICS_HOST: where to serve, undefined when the port is unset. */
export function parseMetricsListen(
  env: Record<string, string | undefined>,
): { ok: true; value: { host: string; port: number } | undefined } | { ok: false; error: string } {
  const portText = (env.SETTINGS_METRICS_PORT ?? '').trim();
  if (portText === '') return { ok: true, value: undefined };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) return { ok: false, error: `SETTINGS_METRICS_PORT must be a TCP port, not '${portText}'` };
  const host = (env.SETTINGS_METRICS_HOST ?? '').trim() || '127.0.0.1';
  if (isIP(host) === 0 && host !== 'localhost') return { ok: false, error: `SETTINGS_METRICS_HOST must be an IP address, not '${host}'` };
  return { ok: true, value: { host, port } };
}
