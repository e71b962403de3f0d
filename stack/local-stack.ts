// The local stack: Redis, livekit-server and livekit-sip on loopback, started by this process and
// stopped by it. Each server runs in its own process group so that stop() ends it and anything it spawned.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { freeTcpPort, httpOk, ProcessGroup, sipAnswers, tcpOpen, waitFor } from './processes.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const LIVEKIT_SERVER_VERSION = 'v1.13.5';
export const LIVEKIT_SIP_VERSION = 'v1.8.0';

/** One livekit-server of the stack. */
export interface LiveKitNode {
  /** ws://127.0.0.1:<port>: a worker's LIVEKIT_URL, and (as http://) its RoomService. */
  url: string;
  /** The node's id, as Redis's `room_node_map` names the node a room lives on. */
  nodeId: string;
  /** Its region (livekit.yaml): rooms created through this node are placed in it. */
  region: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface LocalStack {
  /** The first node's URL: livekit-sip's, and the one a worker uses unless told another node. */
  livekitUrl: string;
  /** Every livekit-server node, the first one first; all of them share the stack's Redis. */
  nodes: LiveKitNode[];
  apiKey: string;
  apiSecret: string;
  redisAddress: string;
  /** Where livekit-sip takes calls: sip:<number>@127.0.0.1:<sipPort>. */
  sipHost: string;
  sipPort: number;
  logDir: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  logDir?: string;
  log?: (line: string) => void;
  /** How many livekit-server nodes to start on the one Redis (default 1; at most one per region in livekit.yaml). */
  nodes?: number;
}

const SIP_PORT = 5060;
/** Node n (from 0) listens on HTTP 7880 + 10n, RTC TCP 7881 + 10n and UDP 7882 + 10n. */
const NODE_PORT_STEP = 10;

function cacheBin(name: string, version: string): string {
  const cache = process.env.WARM_TRANSFER_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'warm-transfer');
  return join(cache, 'bin', `${name}-${version}`);
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Finds a server binary: explicit variable, then PATH, then the cache that stack/setup.sh fills. */
export function findBinary(name: 'livekit-server' | 'livekit-sip'): string {
  const variable = name === 'livekit-server' ? 'LIVEKIT_SERVER_BIN' : 'LIVEKIT_SIP_BIN';
  const version = name === 'livekit-server' ? LIVEKIT_SERVER_VERSION : LIVEKIT_SIP_VERSION;
  const found = process.env[variable] ?? onPath(name) ?? cacheBin(name, version);
  if (!existsSync(found)) {
    throw new Error(`${name} not found (looked at $${variable}, PATH and ${found}); run \`npm run setup\` to build it`);
  }
  return found;
}

/** The one API key pair in livekit.yaml, so the SDK, the SIP service and the server agree. */
export function readKeys(): { apiKey: string; apiSecret: string } {
  const text = readFileSync(join(repoRoot, 'livekit.yaml'), 'utf8');
  const match = /^keys:\s*\n(?:\s*#.*\n)*\s+([\w-]+):\s*(\S+)/m.exec(text);
  if (!match?.[1] || !match[2]) throw new Error('livekit.yaml has no keys: entry');
  return { apiKey: match[1], apiSecret: match[2] };
}

/** Where node `index` listens, and its region, from livekit.yaml (node 0 is the file as it is). */
export function nodeConfig(index: number): { httpPort: number; tcpPort: number; udpPort: number; region: string; body: string } {
  const config = parseYaml(readFileSync(join(repoRoot, 'livekit.yaml'), 'utf8')) as {
    port: number;
    region?: string;
    rtc: { tcp_port: number; udp_port: number };
    node_selector?: { regions?: Array<{ name: string }> };
  };
  const regions = (config.node_selector?.regions ?? []).map((r) => r.name);
  const region = index === 0 ? (config.region ?? '') : regions.filter((r) => r !== config.region)[index - 1];
  if (region === undefined) throw new Error(`livekit.yaml lists ${regions.length} regions (node_selector.regions): no region for node ${index + 1}`);
  const step = index * NODE_PORT_STEP;
  const httpPort = config.port + step;
  const tcpPort = config.rtc.tcp_port + step;
  const udpPort = config.rtc.udp_port + step;
  const body = stringifyYaml({ ...config, port: httpPort, region, rtc: { ...config.rtc, tcp_port: tcpPort, udp_port: udpPort } });
  return { httpPort, tcpPort, udpPort, region, body };
}

/** The node id the server logs as it starts ("starting LiveKit server" ... "nodeID": "ND_..."). */
function loggedNodeId(logFile: string, from: number): string | undefined {
  // `from` is a byte offset (the log has multi-byte characters: durations in µs).
  const text = readFileSync(logFile).subarray(from).toString('utf8');
  return /"nodeID": "([^"]+)"/.exec(text)?.[1];
}

/**
 * Starts livekit-server node `index` (0 is the stack's first) on the Redis at `redisAddress`, and waits until it
 * answers and has logged its id. A test can add a node to a running stack this way and stop it alone.
 */
export async function startLiveKitNode(options: { index: number; redisAddress: string; logDir?: string; log?: (line: string) => void }): Promise<LiveKitNode> {
  const { index, redisAddress } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`[stack] ${line}\n`));
  const logDir = options.logDir ?? join(repoRoot, '.stack', 'logs');
  mkdirSync(logDir, { recursive: true });
  const { httpPort, region, body } = nodeConfig(index);
  if (await tcpOpen('127.0.0.1', httpPort)) {
    throw new Error(`port ${httpPort} (livekit-server HTTP) is already in use on 127.0.0.1; stop whatever holds it (another stack?)`);
  }
  const logFile = join(logDir, index === 0 ? 'livekit-server.log' : `livekit-server-${index + 1}.log`);
  const from = existsSync(logFile) ? statSync(logFile).size : 0;
  const config = index === 0 ? ['--config', join(repoRoot, 'livekit.yaml')] : ['--config-body', body];
  const group = new ProcessGroup();
  const server = group.start(
    'livekit-server',
    findBinary('livekit-server'),
    [...config, '--redis-host', redisAddress, '--bind', '127.0.0.1', '--node-ip', '127.0.0.1'],
    logFile,
  );
  try {
    let nodeId: string | undefined;
    await waitFor(
      'livekit-server',
      async () => (await httpOk(`http://127.0.0.1:${httpPort}/`)) && (nodeId = loggedNodeId(logFile, from)) !== undefined,
      30_000,
      server,
      logFile,
    );
    const url = `ws://127.0.0.1:${httpPort}`;
    log(`livekit-server ${LIVEKIT_SERVER_VERSION} node ${index + 1} (${nodeId}, region ${region}) ready on ${url} (log: ${logFile})`);
    return { url, nodeId: nodeId!, region, logFile, stop: () => group.stop() };
  } catch (error) {
    await group.stop();
    throw error;
  }
}

/** Starts Redis (unless one answers), the livekit-server nodes and livekit-sip, and waits until each is ready. */
export async function startLocalStack(options: StackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[stack] ${line}\n`));
  const logDir = options.logDir ?? join(repoRoot, '.stack', 'logs');
  mkdirSync(logDir, { recursive: true });
  const group = new ProcessGroup();
  const nodes: LiveKitNode[] = [];
  // Every process at once, as before there were several nodes (livekit-sip, the nodes, Redis if we started it).
  const stopAll = async () => {
    await Promise.all([group.stop(), ...nodes.splice(0).map((node) => node.stop())]);
  };
  const { apiKey, apiSecret } = readKeys();
  // Each node needs a region of its own in livekit.yaml: say so before anything starts.
  for (let index = 0; index < (options.nodes ?? 1); index++) nodeConfig(index);
  try {
    const redisAddress = await ensureRedis(group, logDir, log);
    for (let index = 0; index < (options.nodes ?? 1); index++) nodes.push(await startLiveKitNode({ index, redisAddress, logDir, log }));

    // livekit-sip talks to the first node; the rooms it creates (inbound calls) are placed there.
    const sipLog = join(logDir, 'livekit-sip.log');
    const sipConfig =
      readFileSync(join(repoRoot, 'stack', 'sip.yaml'), 'utf8') +
      `\napi_key: ${apiKey}\napi_secret: ${apiSecret}\nws_url: ${nodes[0]!.url}\nredis:\n  address: ${redisAddress}\n`;
    const sip = group.start('livekit-sip', findBinary('livekit-sip'), ['--config-body', sipConfig], sipLog);
    await waitFor('livekit-sip', () => sipAnswers(SIP_PORT), 30_000, sip, sipLog);
    log(`livekit-sip ${LIVEKIT_SIP_VERSION} ready on udp 127.0.0.1:${SIP_PORT} (log: ${sipLog})`);

    return {
      livekitUrl: nodes[0]!.url,
      nodes: [...nodes],
      apiKey,
      apiSecret,
      redisAddress,
      sipHost: '127.0.0.1',
      sipPort: SIP_PORT,
      logDir,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function ensureRedis(group: ProcessGroup, logDir: string, log: (line: string) => void): Promise<string> {
  const configured = process.env.REDIS_URL ? new URL(process.env.REDIS_URL) : undefined;
  const host = configured?.hostname || '127.0.0.1';
  const port = Number(configured?.port || 6379);
  if (await tcpOpen(host, port)) {
    log(`using Redis at ${host}:${port}`);
    return `${host}:${port}`;
  }
  if (configured) throw new Error(`REDIS_URL=${process.env.REDIS_URL} does not answer`);
  const redisServer = onPath('redis-server');
  if (!redisServer) throw new Error('no Redis on 127.0.0.1:6379 and redis-server is not installed; run `npm run setup`');
  const free = await freeTcpPort();
  const redisLog = join(logDir, 'redis.log');
  const child = group.start('redis', redisServer, ['--bind', '127.0.0.1', '--port', String(free), '--save', '', '--appendonly', 'no'], redisLog);
  await waitFor('redis-server', () => tcpOpen('127.0.0.1', free), 10_000, child, redisLog);
  log(`started redis-server on 127.0.0.1:${free}`);
  return `127.0.0.1:${free}`;
}

/** Redis alone (for tests that need only Redis): the one at REDIS_URL or 127.0.0.1:6379, else a redis-server of our own. */
export async function startLocalRedis(options: StackOptions = {}): Promise<{ url: string; stop(): Promise<void> }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[stack] ${line}\n`));
  const logDir = options.logDir ?? join(repoRoot, '.stack', 'logs');
  mkdirSync(logDir, { recursive: true });
  const group = new ProcessGroup();
  try {
    return { url: `redis://${await ensureRedis(group, logDir, log)}`, stop: () => group.stop() };
  } catch (error) {
    await group.stop();
    throw error;
  }
}
