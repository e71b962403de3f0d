// Entry point: validate the configuration, then hand over to the LiveKit Agents CLI.
//   tsx agent/main.ts start | dev | connect --room <name>
import { cli, ServerOptions } from '@livekit/agents';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { resolveSettings } from './agent-settings.ts';
import { carried, WORKER_KEY_ENV, workerLoad } from './carrying.ts';
import { ConfigError, loadConfig, type WorkerConfig } from './config.ts';
import { cpuLoad } from './load.ts';
import { connectRedis } from './redis.ts';
import { bounded } from './transfer/bounded.ts';
import { SettingsError, warmTransferEnabled } from './settings/settings.ts';

const MAX_REPORTED_LOAD = 0.95;
/** loadFunc runs every 2.5 s; a Redis that does not answer in time counts as carrying what it said last. */
const CARRIED_READ_TIMEOUT_MS = 500;

let config: WorkerConfig;
try {
  config = loadConfig();
  // Settings are checked here, before the worker registers, so no call ever meets a bad destination.
  const settings = await resolveSettings(config);
  for (const agent of settings.agents.values()) {
    const transfer = warmTransferEnabled(agent) ? 'on' : agent.organization.warmTransferAvailable ? 'off' : 'not available to the organization';
    console.error(`agent ${agent.agentId}: warm transfer ${transfer}; ${agent.warmTransfer.rules.length} rule(s); ${agent.keypad.size} keypad rule(s)`);
  }
} catch (error) {
  if (!(error instanceof ConfigError) && !(error instanceof SettingsError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// The job processes this worker forks inherit the key, and count their transfers under it (carrying.ts).
process.env[WORKER_KEY_ENV] ??= randomUUID();
const workerKey = process.env[WORKER_KEY_ENV];
const redis = connectRedis(config.redisUrl);
let carrying = 0;
async function load(): Promise<number> {
  try {
    const now = await bounded(carried({ redis, workerKey }), CARRIED_READ_TIMEOUT_MS, 'counting carried transfers');
    if (now !== carrying) console.log(JSON.stringify({ event: 'carrying', transfers: now, maxTransfers: config.maxTransfers }));
    carrying = now;
  } catch {
    // Redis is away: keep the last count rather than report an empty worker.
  }
  return workerLoad(cpuLoad(), carrying, config.maxTransfers, MAX_REPORTED_LOAD);
}

cli.runApp(
  new ServerOptions({
    agent: fileURLToPath(new URL('./worker.ts', import.meta.url)),
    // Without an agentName the worker would also be dispatched into every room it creates itself.
    agentName: config.agentName,
    wsURL: config.livekit.url,
    apiKey: config.livekit.apiKey,
    apiSecret: config.livekit.apiSecret,
    // runApp carries dev's unlimited load threshold into production; set it explicitly.
    loadThreshold: config.loadThreshold,
    // The server gives a worker reporting a load of 1 no calls at all, whatever its threshold says; the
    // threshold above decides when this worker is full, so the load reported never quite reaches 1. The
    // transfers it carries count too: a bridged call or a briefing costs more than its CPU share shows.
    loadFunc: load,
    numIdleProcesses: config.idleProcesses,
    host: '127.0.0.1',
    port: config.workerHttpPort,
  }),
);
