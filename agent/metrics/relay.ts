// Observations made in job processes reach their worker's main process, which holds the metrics, through a
// Redis stream of that worker (`wt:metrics:<workerKey>`): the Redis every process of the worker already uses.
// A job writes each observation as it is made, so what a job saw before it crashed is counted; the main process
// reads the stream every second, applies what it finds, and trims what it has read. Several workers never
// share a stream (each exports its own counts; Prometheus adds them up), and a job taken over by another worker
// reports to that worker. While Redis is away observations are lost (each failed write is logged); a stream
// nobody reads (its worker gone) expires after an hour, and holds at most MAX_QUEUED observations meanwhile.
import type { Redis } from 'ioredis';
import { bounded } from '../../core/bounded.ts';
import type { Observation } from './observations.ts';

export const METRICS_STREAM_PREFIX = 'wt:metrics:';
/** How often the main process reads its stream. */
export const READ_INTERVAL_MS = 1000;
/** Observations kept unread at most (approximately: Redis trims whole nodes). */
const MAX_QUEUED = 10_000;
const IDLE_EXPIRY_MS = 3600_000;
const WRITE_TIMEOUT_MS = 2000;
const READ_TIMEOUT_MS = 2000;
const READ_COUNT = 1000;

const streamOf = (workerKey: string, prefix: string) => `${prefix}${workerKey}`;

export interface RelayOptions {
  redis: Redis;
  workerKey: string;
  /** Key prefix (tests keep apart with their own). */
  prefix?: string;
}

/** The job process's side: sends each observation to its worker's main process. */
export function sendObservations(
  { redis, workerKey, prefix = METRICS_STREAM_PREFIX }: RelayOptions,
  onError: (error: unknown) => void,
): (o: Observation) => void {
  const key = streamOf(workerKey, prefix);
  return (observation) => {
    const write = redis.multi().xadd(key, 'MAXLEN', '~', MAX_QUEUED, '*', 'o', JSON.stringify(observation)).pexpire(key, IDLE_EXPIRY_MS).exec();
    bounded(write, WRITE_TIMEOUT_MS, 'sending a metric observation').catch(onError);
  };
}

/**
 * The main process's side: applies every observation written to this worker's stream from now on, until
 * stopped. `apply` gets each one's JSON text (WorkerMetrics.applySent checks it).
 */
export function receiveObservations(
  { redis, workerKey, prefix = METRICS_STREAM_PREFIX }: RelayOptions,
  apply: (json: string) => void,
  intervalMs = READ_INTERVAL_MS,
): { stop(): Promise<void>; readNow(): Promise<void> } {
  const key = streamOf(workerKey, prefix);
  // Read from the stream's end as it is now: what a worker of the same key wrote before this one started was
  // counted by that one (or lost with it).
  let cursor: Promise<string> = bounded(redis.xrevrange(key, '+', '-', 'COUNT', 1), READ_TIMEOUT_MS, 'reading the metrics stream')
    .then((last) => last[0]?.[0] ?? '0-0')
    .catch(() => '0-0');
  let reading: Promise<void> | undefined;
  const read = async () => {
    let last = await cursor;
    for (;;) {
      const reply = (await bounded(redis.xread('COUNT', READ_COUNT, 'STREAMS', key, last), READ_TIMEOUT_MS, 'reading the metrics stream')) as Array<
        [string, Array<[string, string[]]>]
      > | null;
      const entries = reply?.[0]?.[1] ?? [];
      for (const [id, fields] of entries) {
        const json = fields[fields.indexOf('o') + 1];
        if (fields.includes('o') && json !== undefined) apply(json);
        last = id;
      }
      cursor = Promise.resolve(last);
      if (entries.length === 0) return;
      // What has been applied is not needed again: the stream keeps only what is unread.
      await redis.xtrim(key, 'MINID', last).catch(() => undefined);
      if (entries.length < READ_COUNT) return;
    }
  };
  const readNow = () =>
    (reading ??= read()
      .catch(() => undefined)
      .finally(() => (reading = undefined)));
  const timer = setInterval(() => void readNow(), intervalMs);
  timer.unref();
  return {
    readNow,
    async stop() {
      clearInterval(timer);
      await reading;
    },
  };
}
