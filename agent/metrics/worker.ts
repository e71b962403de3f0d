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
  const server = await serveMetrics(metrics.registry, { host, port, beforeScrape: received.readNow });
  console.log(JSON.stringify({ event: 'metrics_serving', host, port: server.port, path: '/metrics' }));
  return metrics;
}
