// Metrics served for Prometheus on a port of their own: `GET /metrics` answers a registry's text exposition,
// anything else 404. The worker's health port belongs to the agents framework (it answers `/` and `/worker`
// only) and the settings service's port faces its users, so both put their metrics here instead: the port is
// bound to loopback unless the operator names another address, and it serves counts only (no request reaches
// anything else through it).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a metrics endpoint serves: prom-client's Registry has this shape. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface MetricsServer {
  /** The port it listens on (the one asked for, or the one given for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** Bounds the work before a scrape is answered (e.g. reading what job processes sent). */
const BEFORE_SCRAPE_TIMEOUT_MS = 1000;

export async function serveMetrics(
  source: MetricsSource,
  { host, port, beforeScrape }: { host: string; port: number; beforeScrape?: () => Promise<void> },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const ready = beforeScrape ? Promise.race([beforeScrape().catch(() => undefined), delay(BEFORE_SCRAPE_TIMEOUT_MS)]) : Promise.resolve();
    ready
      .then(() => source.metrics())
      .then(
        (text) => res.writeHead(200, { 'content-type': source.contentType }).end(req.method === 'HEAD' ? undefined : text),
        (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${(error as Error).name}\n`),
      );
  });
  server.keepAliveTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
