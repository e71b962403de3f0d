// What a job process costs before it takes a call: the worker with a warm pool of `idle` job processes is
// started, left to settle, and each process's CPU since it was born is read from /proc (start-up work:
// module loading, settings, hold music decode, the VAD model). Then one call and four at once.
import type { StackInfo } from '../../stack/stack-info.ts';
import type { WorkerRuntime } from '../../stack/worker-process.ts';
import { callsWorker, concurrentCalls, waitSettled, type CallsRow } from './calls.ts';
import { sampleGroup, watchGroup } from './proc.ts';
import { sleep } from './stats.ts';

export interface StartupRow {
  runtime: WorkerRuntime;
  idleProcesses: number;
  /** Spawn → the worker registered with the server. */
  registerMs: number;
  /** Registered → every job process up and the group idle. */
  settleMs: number;
  mainProcessCpuMs: number;
  /** CPU each warm job process used to get ready (mean over the pool), and its memory. */
  jobProcessCpuMs: number;
  jobProcessRssMb: number;
  /** The whole idle worker's CPU (share of one core) over 5 s. */
  idleCores: number;
  calls: CallsRow[];
}

export async function startupCost(stack: StackInfo, runtime: WorkerRuntime, idle = 4, bursts: number[] = [1, 4]): Promise<StartupRow> {
  const spawned = Date.now();
  const worker = await callsWorker(stack, runtime, idle);
  try {
    const registerMs = Date.now() - spawned;
    const settleMs = await waitSettled(worker, idle);
    const processes = sampleGroup(worker.pid);
    const main = processes.find((p) => p.role === 'main');
    const jobs = processes.filter((p) => p.role === 'job');
    const watch = watchGroup(worker.pid);
    await sleep(5000);
    const idleCores = watch.stop().cores;
    const calls: CallsRow[] = [];
    for (const n of bursts) {
      calls.push(await concurrentCalls(worker, runtime, idle, n));
      await sleep(4000);
      await waitSettled(worker, idle, 40_000);
    }
    return {
      runtime,
      idleProcesses: idle,
      registerMs,
      settleMs,
      mainProcessCpuMs: Math.round(main?.cpuMs ?? Number.NaN),
      jobProcessCpuMs: Math.round(jobs.reduce((n, p) => n + p.cpuMs, 0) / Math.max(1, jobs.length)),
      jobProcessRssMb: Math.round(jobs.reduce((n, p) => n + p.rssKb, 0) / Math.max(1, jobs.length) / 1024),
      idleCores: Number(idleCores.toFixed(3)),
      calls,
    };
  } finally {
    await worker.stop();
  }
}
