// Concurrent calls: N callers dial the agent at once; each phone measures answer → first agent speech (the
// greeting), and the worker's CPU and memory (all its processes, from /proc) are read over the burst.
import { startCaller, type Phone } from '../../phones/index.ts';
import type { StackInfo } from '../../stack/stack-info.ts';
import { startWorker, type RunningWorker, type WorkerRuntime } from '../../stack/worker-process.ts';
import { AGENT_NUMBER, callerNumber } from '../support/calls.ts';
import { jobThreads, sampleGroup, threadDelta, watchGroup, type GroupUsage } from './proc.ts';
import { awaitLoopDelays, distribution, sleep, within, type Distribution, type LoopDelay } from './stats.ts';

export interface CallsRow {
  concurrent: number;
  runtime: WorkerRuntime;
  idleProcesses: number;
  greeted: number;
  /** Answer (the 200 OK at the phone) → first agent audio at the phone, for the greeted calls. */
  greetingMs: Distribution;
  /** Calls the worker never answered within the wait, and answered calls never greeted. */
  unanswered: number;
  ungreeted: number;
  usage: GroupUsage;
  /** CPU ms of the job processes' threads over the burst, by thread name (warm processes only: a process
   *  born during the burst counts from 0). */
  jobThreadsMs: Record<string, number>;
  vadSlowerWarnings: number;
  initTimeouts: number;
  loopDelay: LoopDelay;
}

const GREETING_WAIT_MS = 20_000;

async function oneCall(name: string): Promise<{ answeredAt?: number; greetedAt?: number; phone: Phone }> {
  const phone = await startCaller({ to: AGENT_NUMBER, from: callerNumber(), audio: { speech: 'Hello, I am calling about my account.', gapSeconds: 5 }, name });
  const answered = await within(GREETING_WAIT_MS, () => phone.waitAnswered(GREETING_WAIT_MS));
  if (!answered) return { phone };
  const greetedAt = await within(GREETING_WAIT_MS, () => phone.waitForAudio({ minRms: 300, withinMs: GREETING_WAIT_MS, after: answered.at }));
  return { answeredAt: answered.at, ...(greetedAt ? { greetedAt } : {}), phone };
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

/** The worker the calls meet: greeting only (espeak-ng, no model), a warm pool of `idleProcesses`. */
export async function callsWorker(
  stack: StackInfo,
  runtime: WorkerRuntime,
  idleProcesses: number,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<RunningWorker> {
  return startWorker(
    stack,
    `calls-${runtime}-${idleProcesses}`,
    {
      TTS_PROVIDER: 'espeak',
      AGENT_GREETING: 'Hello, thanks for calling. How can I help you today?',
      WORKER_IDLE_PROCESSES: String(idleProcesses),
      ...env,
    },
    runtime,
    nodeArgs,
  );
}

/** Waits until the worker has `processes` job processes and its group used under 15 % of a core for 2 s. */
export async function waitSettled(worker: RunningWorker, processes: number, maxMs = 90_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < maxMs) {
    const watch = watchGroup(worker.pid, 200);
    await sleep(2000);
    const usage = watch.stop();
    if (sampleGroup(worker.pid).filter((p) => p.role === 'job').length >= processes && usage.cores < 0.15) return Date.now() - started;
  }
  return Date.now() - started;
}

export async function concurrentCalls(worker: RunningWorker, runtime: WorkerRuntime, idleProcesses: number, n: number): Promise<CallsRow> {
  const logBefore = worker.log().length;
  const watch = watchGroup(worker.pid);
  const threadsBefore = jobThreads(worker.pid);
  const results = await Promise.all(Array.from({ length: n }, (_, i) => oneCall(`calls${n}-${i}`)));
  // Every call stays on the line until the slowest greeting, as callers would.
  await sleep(3000);
  const usage = watch.stop();
  const jobThreadsMs = threadDelta(threadsBefore, jobThreads(worker.pid));
  await Promise.all(
    results.map(async ({ phone }) => {
      await phone.hangup().catch(() => undefined);
      await phone.close();
    }),
  );
  const greeted = results.filter((r) => r.greetedAt !== undefined && r.answeredAt !== undefined);
  const log = worker.log().slice(logBefore);
  // A call's job ends once the server closes the room the caller left (its departure timeout, 20 s).
  const loopDelay = await awaitLoopDelays(() => worker.log(), logBefore, results.filter((r) => r.answeredAt !== undefined).length, 30_000);
  return {
    concurrent: n,
    runtime,
    idleProcesses,
    greeted: greeted.length,
    greetingMs: distribution(greeted.map((r) => r.greetedAt! - r.answeredAt!)),
    unanswered: results.filter((r) => r.answeredAt === undefined).length,
    ungreeted: results.filter((r) => r.answeredAt !== undefined && r.greetedAt === undefined).length,
    usage,
    jobThreadsMs,
    vadSlowerWarnings: count(log, 'slower than realtime'),
    initTimeouts: count(log, 'initialization timed out'),
    loopDelay,
  };
}
