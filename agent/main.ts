// Entry point: validate the configuration, then run the worker.
//   node dist/agent/main.js start [--log-level <level>]   (npm run build first; tsx agent/main.ts works too)
//   node dist/agent/main.js dev | connect --room <name>    (the LiveKit Agents CLI's own modes)
// Wiring only: the settings checked at start (call-settings/), the capacity the worker reports (capacity/),
// the takeover watcher (takeover/), the metrics (metrics/), the job each call runs (job.ts), and in `start`
// the stop that drains the worker within DRAIN_TIMEOUT_S (serve.ts, drain.ts).
import { cli, initializeLogger, ServerOptions } from '@livekit/agents';
import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROPOSALS_VARIABLE } from '../settings/rules/model-compile.ts';
import { SettingsError } from '../settings/settings.ts';
import { type CheckedSettings, checkSettingsAtStart, decodeHoldMusic } from './call-settings/startup-check.ts';
import { WorkerCapacity } from './capacity/worker-load.ts';
import { ConfigError, loadConfig, WORKER_KEY_ENV, type WorkerConfig } from './config.ts';
import { connectRedis } from './redis.ts';
import { jobDispatcher, startTakeoverWatcher } from './takeover/dispatch.ts';
import { startKeeper } from './keeper/start.ts';
import { logLevel, serveUntilStopped } from './serve.ts';
import { startWorkerMetrics } from './metrics/worker.ts';
import { TransferRecordStore } from './transfer/record/store.ts';

let config: WorkerConfig;
let checked: CheckedSettings;
let level: string | undefined;
try {
  if (process.argv[2] === 'start') level = logLevel(process.argv.slice(3));
  config = loadConfig();
  checked = await checkSettingsAtStart(config);
} catch (error) {
  if (!(error instanceof ConfigError) && !(error instanceof SettingsError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// The job processes this worker forks inherit its environment: the key they count their transfers under
// (carrying.ts), and the rules plans the model proposed, so that they are not proposed again per process.
const workerKey = config.workerKey ?? randomUUID();
process.env[WORKER_KEY_ENV] = workerKey;
if (checked.proposals) process.env[PROPOSALS_VARIABLE] = JSON.stringify(checked.proposals);
const redis = connectRedis(config.redisUrl);
// (Loading logs through the framework's logger, which the CLI sets up again below with its own options.)
initializeLogger({ pretty: false, level: 'warn' });
await decodeHoldMusic(redis, checked.musicFiles);
// Prometheus metrics on METRICS_PORT (metrics/): counted here, and sent here by the job processes through Redis.
const metrics = await startWorkerMetrics(config, redis, workerKey);
const capacity = new WorkerCapacity(config, redis, workerKey, metrics && (() => metrics.apply({ metric: 'call_refused', reason: 'max_calls' })));

// Bridged calls are kept here, so their job processes can end (keeper/); set before any job process is forked.
const keeper = startKeeper(config, new TransferRecordStore({ redis }), workerKey, metrics);
// Takeover: this worker's job processes that die, and any worker's records whose lease ran out, are carried on
// by a new job dispatched into the caller's room (a bridged call by the keeper).
const watcher = startTakeoverWatcher(config, redis, workerKey, keeper, metrics);
metrics?.watch({ calls: () => capacity.calls(), transfers: () => capacity.carrying, kept: () => keeper?.kept.size ?? 0 });

const options = new ServerOptions({
  // job.js beside the compiled main.js (dist/, production), job.ts when run through tsx.
  agent: fileURLToPath(new URL(`./job${extname(fileURLToPath(import.meta.url))}`, import.meta.url)),
  // Without an agentName the worker would also be dispatched into every room it creates itself.
  agentName: config.agentName,
  wsURL: config.livekit.url,
  apiKey: config.livekit.apiKey,
  apiSecret: config.livekit.apiSecret,
  // runApp carries dev's unlimited load threshold into production; set it explicitly.
  loadThreshold: config.loadThreshold,
  // The threshold above decides when this worker is full. The calls and the transfers it carries count too:
  // a bridged call or a briefing costs more than its CPU share shows.
  loadFunc: (server) => capacity.load(server),
  // Past WORKER_MAX_CALLS a call is refused at once, even in a burst the load has not caught up with.
  requestFunc: (request) => capacity.request(request),
  numIdleProcesses: config.idleProcesses,
  initializeProcessTimeout: config.processStartTimeoutMs,
  host: '127.0.0.1',
  port: config.workerHttpPort,
});
const records = new TransferRecordStore({ redis });
if (level === undefined) cli.runApp(options);
else
  await serveUntilStopped(options, level, {
    keeper,
    watcher,
    store: records,
    boundMs: config.drainTimeoutMs,
    continueWith: { openFor: (room) => records.openFor(room), dispatch: jobDispatcher(config) },
  });
