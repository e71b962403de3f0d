// The worker's metrics as its main process runs them: the registry (registry.ts), fed by what its job processes
// send (relay.ts), served on METRICS_PORT (core/metrics-http.ts). A scrape first reads what the jobs sent, so it
// is no more than a moment behind them.
import type { Redis } from 'ioredis';
import { serveMetrics } from '../../core/metrics-http.ts';
import type { WorkerConfig } from '../config.ts';
import { receiveObservations } from './relay.ts';
import { WorkerMetrics } from './registry.ts';

/** The metrics of this worker, served; undefined without METRICS_PORT (nothing is counted then). */
export async function startWorkerMetrics(config: WorkerConfig, redis: Redis, workerKey: string): Promise<WorkerMetrics | undefined> {
  if (!config.metrics) return undefined;
  const metrics = new WorkerMetrics();
  let invalid = 0;
  const received = receiveObservations({ redis, workerKey }, (json) => {
    // Only a job of another version (or a bug) sends what is not an observation: said once in a while, not per line.
    if (!metrics.applySent(json) && invalid++ % 100 === 0) console.error(JSON.stringify({ event: 'metric_observation_invalid', count: invalid }));
  });
  const { host, port } = config.metrics;
  const server = await serveMetrics(metrics.registry, { host, port, beforeScrape: received.readNow }).catch((error: unknown) => {
    // A port taken or an address not on this machine: the operator's to fix, said at start like any setting.
    console.error(`METRICS_PORT: cannot serve metrics on ${host}:${port}: ${(error as Error).message}`);
    process.exit(1);
  });
  console.log(JSON.stringify({ event: 'metrics_serving', host, port: server.port, path: '/metrics' }));
  return metrics;
}
