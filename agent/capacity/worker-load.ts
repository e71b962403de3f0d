// What the worker tells the server about its capacity: the calls it takes (admission.ts, answered at once per
// job request) and the load it reports every 2.5 s, the highest of its CPU share, its calls and the transfers
// its job processes carry (carrying.ts).
import type { AgentServer, JobRequest } from '@livekit/agents';
import type { Redis } from 'ioredis';
import { bounded } from '../../core/bounded.ts';
import type { WorkerConfig } from '../config.ts';
import { Admission, reportedLoad } from './admission.ts';
import { carried } from './carrying.ts';
import { cpuLoad } from './load.ts';

/**
 * The server gives a worker reporting a load of 1 no calls at all, whatever its threshold says; the threshold
 * decides when this worker is full, so the load reported never quite reaches 1.
 */
const MAX_REPORTED_LOAD = 0.95;
/** loadFunc runs every 2.5 s; a Redis that does not answer in time counts as carrying what it said last. */
const CARRIED_READ_TIMEOUT_MS = 500;
/** How often the accepted calls are counted again (Admission.count). */
const ADMISSION_COUNT_MS = 500;

export class WorkerCapacity {
  readonly #config: WorkerConfig;
  readonly #redis: Redis;
  readonly #workerKey: string;
  readonly #admission: Admission;
  /** The framework hands the server to loadFunc only; job requests before its first call find no job running. */
  #server: AgentServer | undefined;
  /** The transfers carried at the last count that Redis answered. */
  #carrying = 0;

  /** `onRefused`: each call refused for want of room (the worker's metrics count them). */
  constructor(config: WorkerConfig, redis: Redis, workerKey: string, onRefused?: () => void) {
    this.#config = config;
    this.#redis = redis;
    this.#workerKey = workerKey;
    this.#admission = new Admission({
      maxCalls: config.maxCalls,
      running: () => this.#server?.activeJobs.map((job) => job.job.id) ?? [],
      // The assignment (the framework waits 7.5 s for it) and a process start, at most.
      acceptedForMs: config.processStartTimeoutMs + 10_000,
      onRefused: (jobId, calls) => {
        console.log(JSON.stringify({ event: 'call_refused', jobId, calls, maxCalls: config.maxCalls }));
        onRefused?.();
      },
    });
    setInterval(() => this.#admission.count(), ADMISSION_COUNT_MS).unref();
  }

  /** The calls this worker runs or has accepted. */
  calls(): number {
    return this.#admission.count();
  }

  /** The transfers its job processes carried at the last count (every 2.5 s). */
  get carrying(): number {
    return this.#carrying;
  }

  /** The worker's requestFunc: past WORKER_MAX_CALLS a call is refused at once, even in a burst. */
  request(request: JobRequest): Promise<void> {
    return this.#admission.request(request);
  }

  /** The worker's loadFunc. */
  async load(server: AgentServer): Promise<number> {
    this.#server = server;
    const { maxCalls, maxTransfers } = this.#config;
    try {
      const now = await bounded(carried({ redis: this.#redis, workerKey: this.#workerKey }), CARRIED_READ_TIMEOUT_MS, 'counting carried transfers');
      if (now !== this.#carrying) console.log(JSON.stringify({ event: 'carrying', transfers: now, maxTransfers }));
      this.#carrying = now;
    } catch {
      // Redis is away: keep the last count rather than report an empty worker.
    }
    return reportedLoad(
      cpuLoad(),
      [
        [this.#admission.count(), maxCalls],
        [this.#carrying, maxTransfers],
      ],
      MAX_REPORTED_LOAD,
    );
  }
}
