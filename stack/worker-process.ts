// Runs the real worker as a child process in its own process group, with its log in a file, and stops it
// (and its job processes) by that group. It runs the compiled worker (`node dist/agent/main.js start`, built
// first if stale), as production does; `WORKER_RUNTIME=tsx` runs the TypeScript sources through tsx instead
// (every job process then transpiles at start-up: the bench compares the two).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPILED_MAIN, ensureBuilt } from './build.ts';
import { repoRoot } from './local-stack.ts';
import type { StackInfo } from './stack-info.ts';
import { stopGroup } from './processes.ts';

export type WorkerRuntime = 'compiled' | 'tsx';

export interface RunningWorker {
  logFile: string;
  /** The worker's main process id (also its process group: the job processes are in it). */
  pid: number;
  log(): string;
  /** Timeline entries (JSON lines with a transferId) the worker has printed so far. */
  timeline(): Array<Record<string, unknown>>;
  stop(): Promise<void>;
  /** Kills the worker and its job processes at once (SIGKILL to its group), as a crash or an OOM would. */
  kill(): Promise<void>;
}

/** How startWorker runs the worker: WORKER_RUNTIME=tsx for the sources through tsx, else compiled. */
export function workerRuntime(): WorkerRuntime {
  return process.env.WORKER_RUNTIME === 'tsx' ? 'tsx' : 'compiled';
}

export async function startWorker(
  stack: StackInfo,
  name: string,
  env: Record<string, string> = {},
  runtime: WorkerRuntime = workerRuntime(),
  /** Node options for the worker, which its job processes inherit (e.g. --cpu-prof, not allowed in NODE_OPTIONS). */
  nodeArgs: string[] = [],
): Promise<RunningWorker> {
  if (runtime === 'compiled') ensureBuilt();
  const args =
    runtime === 'compiled' ? [...nodeArgs, COMPILED_MAIN, 'start'] : [...nodeArgs, join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'agent/main.ts', 'start'];
  const logDir = join(stack.logDir, 'workers');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}-${Date.now()}.log`);
  const fd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LIVEKIT_URL: stack.livekitUrl,
      LIVEKIT_API_KEY: stack.apiKey,
      LIVEKIT_API_SECRET: stack.apiSecret,
      ...(stack.redisUrl ? { REDIS_URL: stack.redisUrl } : {}),
      // The tests load two cores fully at times; a worker that calls itself full would miss calls.
      WORKER_LOAD_THRESHOLD: '2',
      // One worker serves a whole test file, whose calls' jobs may overlap; one warm process keeps its start cheap.
      WORKER_MAX_CALLS: '16',
      WORKER_IDLE_PROCESSES: '1',
      SIP_OUTBOUND_TRUNK_ID: stack.pstnTrunkId,
      // The local stack's phones listen on loopback: `sip:` destinations may reach them (and nothing else restricted).
      SIP_ALLOWED_HOSTS: '127.0.0.1,::1',
      ...env,
    },
  });
  closeSync(fd);
  const read = () => readFileSync(logFile, 'utf8');
  const stop = () => stopGroup(child);
  const deadline = Date.now() + 60_000;
  while (!read().includes('registered worker')) {
    if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}) before registering:\n${read()}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`worker did not register within 60 s:\n${read()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    logFile,
    pid: child.pid!,
    log: read,
    timeline: () =>
      read()
        .split('\n')
        .filter((line) => line.startsWith('{"transferId"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        return;
      }
      await exited;
    },
  };
}
