// The metrics of one job process: its transfers' timelines turned into observations (observations.ts) and sent
// to its worker's main process as they are made (relay.ts), so that a crash loses nothing already seen.
import { log } from '@livekit/agents';
import type { Redis } from 'ioredis';
import type { WorkerConfig } from '../config.ts';
import type { TimelineEntry } from '../transfer/timeline.ts';
import { type Observation, TransferObserver } from './observations.ts';
import { sendObservations } from './relay.ts';

export interface JobMetrics {
  /** Each timeline entry of this job's transfers, for the agent whose settings the call runs with. */
  timeline(agent: string, entry: TimelineEntry): void;
  send(observation: Observation): void;
}

/** Undefined when the worker serves no metrics (METRICS_PORT unset, inherited from the main process). */
export function jobMetrics(config: WorkerConfig, redis: Redis): JobMetrics | undefined {
  if (!config.metrics || !config.workerKey) return undefined;
  const send = sendObservations({ redis, workerKey: config.workerKey }, (error) =>
    log().warn({ error: String(error) }, 'a metric observation was not sent (Redis away); it is not counted'),
  );
  const observer = new TransferObserver();
  return {
    send,
    timeline(agent, entry) {
      // Called from the timeline's own emit: whatever goes wrong here must not reach the transfer.
      try {
        for (const observation of observer.observe(agent, entry)) send(observation);
      } catch (error) {
        log().warn({ error: String(error) }, 'a timeline entry was not observed for the metrics');
      }
    },
  };
}
