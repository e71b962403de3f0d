// Entry point: validate the configuration, then hand over to the LiveKit Agents CLI.
//   node dist/agent/main.js start | dev | connect --room <name>   (npm run build first; tsx agent/main.ts works too)
import { type AgentServer, cli, initializeLogger, ServerOptions } from '@livekit/agents';
import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveSettings } from './call-settings/files.ts';
import { Admission, reportedLoad } from './capacity/admission.ts';
import { carried, WORKER_KEY_ENV } from './capacity/carrying.ts';
import { ConfigError, loadConfig, type WorkerConfig } from './config.ts';
import { cpuLoad } from './capacity/load.ts';
import { proposeAll, PROPOSALS_VARIABLE, withProposals } from '../settings/rules/model-compile.ts';
import { readBack } from '../settings/rules/read-back.ts';
import { connectedSince, connectRedis } from './redis.ts';
import { bounded } from '../core/bounded.ts';
import { sipHostProblems } from './transfer/dial/authorise.ts';
import { SettingsError, warmTransferEnabled } from '../settings/settings.ts';
import { SettingsStore } from '../settings/store/store.ts';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import { TakeoverWatcher } from './takeover/watcher.ts';
import { loadHoldMusicShared } from './transfer/hold/music.ts';
import { TransferRecordStore } from './transfer/record/store.ts';
import { httpUrl, quietly, roomServiceApi } from './livekit/room-api.ts';
import { ROOM_API_TIMEOUT_MS } from '../core/bounded.ts';

const MAX_REPORTED_LOAD = 0.95;
/** loadFunc runs every 2.5 s; a Redis that does not answer in time counts as carrying what it said last. */
const CARRIED_READ_TIMEOUT_MS = 500;

let config: WorkerConfig;
/** The hold music files the agents use ('' for the built-in one). */
const musicFiles = new Set<string>();
try {
  config = loadConfig();
  if (config.settingsStore) {
    // Agents are read (and checked) from the store at each call; here only that the store answers.
    const store = SettingsStore.connect(config.settingsStore.url, config.settingsStore.prefix);
    const ids = await store.agentIds().finally(() => store.close());
    console.error(`settings store ${config.settingsStore.prefix}: ${ids.length} agent(s): ${ids.join(', ') || '(none yet)'}`);
  }
  // Settings are checked here, before the worker registers, so no call ever meets a bad destination.
  // Agents in the settings store are read per call (settings-service/); files and variables are read here.
  let settings = config.settingsStore ? undefined : await resolveSettings(config);
  if (settings && config.rulesCompiler === 'model' && config.openai) {
    // Once, here: the job processes inherit the accepted proposals with this process's environment.
    const { proposals, report } = await proposeAll(settings, config.openai);
    for (const line of report) console.error(`rules: ${line}`);
    process.env[PROPOSALS_VARIABLE] = JSON.stringify(proposals);
    settings = withProposals(settings, proposals);
  }
  // A destination that would be refused at every dial is a configuration problem, reported now.
  const unreachable = [...(settings?.agents.values() ?? [])].flatMap((agent) => sipHostProblems(agent, config.sipHosts));
  if (unreachable.length > 0) throw new ConfigError(unreachable);
  for (const agent of settings?.agents.values() ?? []) musicFiles.add(agent.warmTransfer.holdMusic ?? '');
  if (!settings) musicFiles.add('');
  for (const agent of settings?.agents.values() ?? []) {
    const transfer = warmTransferEnabled(agent) ? 'on' : agent.organization.warmTransferAvailable ? 'off' : 'not available to the organization';
    console.error(`agent ${agent.agentId}: warm transfer ${transfer}; ${agent.warmTransfer.plan.rules.length} rule(s); ${agent.keypad.size} keypad rule(s)`);
    console.error(`  transfer plan (${agent.warmTransfer.plan.source === 'model' ? 'proposed by the model, checked by the parser' : 'from the parser'}):`);
    for (const line of readBack(agent.warmTransfer.plan)) console.error(`    ${line}`);
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
// Each hold music file is decoded once, here, before any job process starts: they read it from Redis. (Loading
// logs through the framework's logger, which the CLI sets up again below with its own options.)
initializeLogger({ pretty: false, level: 'warn' });
for (const file of musicFiles) {
  await loadHoldMusicShared(redis, file || undefined).catch((error: unknown) => {
    // No job process could start with it either.
    console.error(`hold music ${file || '(built-in)'} does not decode: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
let carrying = 0;
// The framework hands the server to loadFunc only; job requests before its first call find no job running.
let server: AgentServer | undefined;
const admission = new Admission({
  maxCalls: config.maxCalls,
  running: () => server?.activeJobs.map((job) => job.job.id) ?? [],
  // The assignment (the framework waits 7.5 s for it) and a process start, at most.
  acceptedForMs: config.processStartTimeoutMs + 10_000,
  onRefused: (jobId, calls) => console.log(JSON.stringify({ event: 'call_refused', jobId, calls, maxCalls: config.maxCalls })),
});
setInterval(() => admission.count(), 500).unref();
async function load(worker: AgentServer): Promise<number> {
  server = worker;
  try {
    const now = await bounded(carried({ redis, workerKey }), CARRIED_READ_TIMEOUT_MS, 'counting carried transfers');
    if (now !== carrying) console.log(JSON.stringify({ event: 'carrying', transfers: now, maxTransfers: config.maxTransfers }));
    carrying = now;
  } catch {
    // Redis is away: keep the last count rather than report an empty worker.
  }
  return reportedLoad(cpuLoad(), [[admission.count(), config.maxCalls], [carrying, config.maxTransfers]], MAX_REPORTED_LOAD);
}

// Takeover (takeover.ts): this worker's job processes that die, and any worker's records whose lease ran out,
// are carried on by a new job dispatched into the caller's room.
const dispatches = new AgentDispatchClient(httpUrl(config.livekit.url), config.livekit.apiKey, config.livekit.apiSecret);
const rooms = roomServiceApi(config.livekit);
const roomClient = new RoomServiceClient(httpUrl(config.livekit.url), config.livekit.apiKey, config.livekit.apiSecret);
const records = new TransferRecordStore({ redis });
new TakeoverWatcher({
  store: records,
  workerKey,
  // A lease that ran out while Redis was away (a restart) is no sign of a dead owner.
  connectedSince: connectedSince(redis),
  dispatch: async (record, order) => {
    const metadata = JSON.stringify({ ...(record.agentId ? { agentId: record.agentId } : {}), resume: order });
    await bounded(dispatches.createDispatch(record.callerRoom, config.agentName, { metadata }), ROOM_API_TIMEOUT_MS, 'dispatching the takeover');
  },
  callGone: async (record) => {
    const found = await bounded(roomClient.listRooms([record.callerRoom]), ROOM_API_TIMEOUT_MS, 'looking up the call');
    return found.length === 0;
  },
  abandon: async (record, fence, outcome) => {
    // The call is gone, or every job sent to this transfer failed: end what is left rather than leave anyone
    // on an unattended line.
    await Promise.all([record.consultationRoom, record.holdRoom, record.callerRoom].map((room) => room && quietly(rooms.deleteRoom(room))));
    await records.remove(record.id, fence, record.callerRoom).catch(() => undefined);
    console.log(JSON.stringify({ transferId: record.id, type: 'ended', at: new Date().toISOString(), outcome, resumes: record.resumes }));
  },
}).start();

cli.runApp(
  new ServerOptions({
    // worker.js beside the compiled main.js (dist/, production), worker.ts when run through tsx.
    agent: fileURLToPath(new URL(`./job${extname(fileURLToPath(import.meta.url))}`, import.meta.url)),
    // Without an agentName the worker would also be dispatched into every room it creates itself.
    agentName: config.agentName,
    wsURL: config.livekit.url,
    apiKey: config.livekit.apiKey,
    apiSecret: config.livekit.apiSecret,
    // runApp carries dev's unlimited load threshold into production; set it explicitly.
    loadThreshold: config.loadThreshold,
    // The server gives a worker reporting a load of 1 no calls at all, whatever its threshold says; the
    // threshold above decides when this worker is full, so the load reported never quite reaches 1. The calls
    // and the transfers it carries count too: a bridged call or a briefing costs more than its CPU share shows.
    loadFunc: load,
    // Past WORKER_MAX_CALLS a call is refused at once, even in a burst the load has not caught up with.
    requestFunc: (request) => admission.request(request),
    numIdleProcesses: config.idleProcesses,
    initializeProcessTimeout: config.processStartTimeoutMs,
    host: '127.0.0.1',
    port: config.workerHttpPort,
  }),
);
