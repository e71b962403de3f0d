// The `bridged` scenario (issue 21): what a call costs once caller and person are connected, carried by the
// job's relay (BRIDGE_CARRIER=relay: the job process stays and decodes) or by the keeper's wt-forwarder
// (BRIDGE_CARRIER=forwarder: the job hands the call to the worker's main process and exits), beside the floor
// (the same number of two-party calls with nothing of ours). N calls are bridged the whole way
// (bridged-call.ts), arriving `gapMs` apart; once all are bridged and settled, the worker's processes and the
// phones are measured for `seconds`. CPU and memory are the worker's whole process group (main, job
// processes, wt-forwarder) from /proc, less what the same worker used idle just before.
import { cpus } from 'node:os';
import type { StackInfo } from '../../stack/stack-info.ts';
import type { RunningWorker } from '../../stack/worker-process.ts';
import { roomService } from '../support/calls.ts';
import { eventually } from '../support/rooms.ts';
import { bridgeOne, endCalls, SPARE_DESKS, startDesks, type BridgedCall, type BridgedCast, type Carrier } from './bridged-call.ts';
import { waitSettled } from './calls.ts';
import { frameShares } from './floor.ts';
import { profileForwarder, type ForwarderProfile } from './forwarder-profile.ts';
import { cycleBurstDelay } from './listen.ts';
import { jobsInCalls, sampleGroup, watchCommands, watchGroup, watchMachine } from './proc.ts';
import { distribution, frameStats, sleep, type Distribution } from './stats.ts';

export interface TakeSteps {
  lineMs: Distribution;
  bridgeMs: Distribution;
  joinedMs: Distribution;
  recordMs: Distribution;
}

export interface BridgedRow {
  carrier: Carrier;
  concurrent: number;
  bridged: number;
  /** Calls that did not get bridged, by the step they failed at. */
  failures: Record<string, number>;
  measuredS: number;
  /** The worker's CPU while the calls talked, and idle just before (cores, all its processes). */
  workerCores: number;
  idleCores: number;
  /** (workerCores − idleCores) / bridged calls. */
  coresPerCall: number;
  /** The worker's resident memory (all its processes, wt-forwarder included): peak while they talked, idle before. */
  workerRssMb: number;
  idleRssMb: number;
  mbPerCall: number;
  /** Resident memory by kind of process at the end of the window (MB). */
  rssByRole: Record<string, number>;
  /** Job processes alive at the end of the window, the warm pool included, and those of them in a call. */
  jobProcesses: number;
  jobsInCalls: number;
  /** After each bridge (the worker's `bridged` entry), how long until a job process in a call was gone (matched in order). */
  jobsGoneMs: Distribution;
  /** Bridged calls whose job process was still there when the window ended. */
  jobsStayed: number;
  /** Each call's median delay of the desk's bursts at the caller. */
  delayMs: Distribution;
  lateFraction: number;
  missingFraction: number;
  machineCores: number;
  /** Where the machine's CPU went in the window, by command (cores; the bench's own node runs the phones' RTP). */
  byCommand?: Record<string, number>;
  /** The hand-over, step by step (forwarder): the job's ask to the keeper having the call (its `kept` entry), and from there to the job process gone. */
  askToKeptMs?: Distribution;
  keptToGoneMs?: Distribution;
  /** The keeper's take, step by step (its `kept` entries' steps): RoomService, the forwarder's bridge (of it, joining both rooms), the record. */
  takeSteps?: TakeSteps;
  /** Where wt-forwarder's CPU went in the window (forwarder rows, when it could be profiled). */
  forwarderProfile?: ForwarderProfile;
}

/** How many calls failed at each step. */
export const countSteps = (steps: Array<string | undefined>) =>
  steps.reduce<Record<string, number>>((out, s) => (s ? { ...out, [s]: (out[s] ?? 0) + 1 } : out), {});

/** Waits until the worker is back to its warm pool, with no job in a call and no room left (60 s at most). */
export async function quiet(stack: StackInfo, worker: RunningWorker, idle: number): Promise<void> {
  await eventually(async () => jobsInCalls(worker.pid).size === 0 && (await roomService(stack).listRooms()).length === 0, 60_000, 'the calls to be gone').catch(
    () => undefined,
  );
  await waitSettled(worker, idle, 60_000);
}

/**
 * Records when job processes in calls exit: sampled every 200 ms from start() to stop(). In the forwarder
 * mode each job process leaves once it handed its call to the keeper; the relay's stay for the whole call.
 */
export function watchJobExits(pgid: number): { stop(): number[] } {
  let seen = jobsInCalls(pgid);
  const exits: number[] = [];
  const timer = setInterval(() => {
    const now = jobsInCalls(pgid);
    for (const key of seen) if (!now.has(key)) exits.push(Date.now());
    seen = now;
  }, 200);
  return {
    stop: () => {
      clearInterval(timer);
      return exits;
    },
  };
}

/** Each bridge matched with the first exit after it, in order; returns the gaps and how many bridges found none. */
export function matchExits(bridges: number[], exits: number[]): { gapsMs: number[]; unmatched: number } {
  const left = [...exits].sort((a, b) => a - b);
  const gapsMs: number[] = [];
  for (const b of [...bridges].sort((x, y) => x - y)) {
    const i = left.findIndex((e) => e >= b);
    if (i < 0) continue;
    gapsMs.push(left[i]! - b);
    left.splice(i, 1);
  }
  return { gapsMs, unmatched: bridges.length - gapsMs.length };
}

/** When each transfer since `after` first had an entry of `type` (ms since the epoch), by transfer. */
function firstEntries(worker: RunningWorker, after: number, type: string, where: (e: Record<string, unknown>) => boolean = () => true): Map<unknown, number> {
  const first = new Map<unknown, number>();
  for (const e of worker.timeline()) {
    const at = Date.parse(String(e.at));
    if (e.type === type && at >= after && !first.has(e.transferId) && where(e)) first.set(e.transferId, at);
  }
  return first;
}

/** When each transfer since `after` was bridged: its first `bridged` timeline entry (ms since the epoch). */
export function bridgedEntries(worker: RunningWorker, after: number): number[] {
  return [...firstEntries(worker, after, 'bridged').values()];
}

/** The keeper's `kept` entries of calls its jobs handed over since `after`: how long from the ask, and when. */
function keptFromJobs(worker: RunningWorker, after: number): { sinceAskMs: number[]; at: number[]; steps: TakeSteps } {
  const entries = worker.timeline().filter((e) => e.type === 'kept' && e.from === 'job' && Date.parse(String(e.at)) >= after);
  const numbers = (pick: (e: Record<string, unknown>) => unknown) => entries.map((e) => Number(pick(e))).filter(Number.isFinite);
  type Steps = { lineMs?: number; bridgeMs?: number; recordMs?: number; forwarder?: { joinedMs?: number } };
  const steps = (e: Record<string, unknown>) => (e.steps ?? {}) as Steps;
  return {
    sinceAskMs: numbers((e) => e.sinceAskMs),
    at: entries.map((e) => Date.parse(String(e.at))),
    steps: {
      lineMs: distribution(numbers((e) => steps(e).lineMs)),
      bridgeMs: distribution(numbers((e) => steps(e).bridgeMs)),
      joinedMs: distribution(numbers((e) => steps(e).forwarder?.joinedMs)),
      recordMs: distribution(numbers((e) => steps(e).recordMs)),
    },
  };
}

/** RSS of the group's processes by kind (MB), and how many job processes there are. */
function rssByRole(pgid: number): { byRole: Record<string, number>; jobs: number } {
  const byRole: Record<string, number> = {};
  const processes = sampleGroup(pgid);
  for (const p of processes) byRole[p.role] = Math.round((byRole[p.role] ?? 0) + p.rssKb / 1024);
  return { byRole, jobs: processes.filter((p) => p.role === 'job').length };
}

/** Measures the bridged calls for `seconds`: the worker, the machine, and what the phones received. */
async function measure(stack: StackInfo, worker: RunningWorker, calls: BridgedCall[], seconds: number, profileAs: string | undefined) {
  const profile = profileAs ? profileForwarder(stack.logDir, profileAs, seconds - 1, (line) => console.error(line)) : undefined;
  const group = watchGroup(worker.pid);
  const machine = watchMachine(cpus().length);
  const commands = watchCommands();
  const from = Date.now();
  await sleep(seconds * 1000);
  const to = Date.now();
  const usage = group.stop();
  const machineCores = machine.stop();
  const byCommand = commands.stop();
  const frames = calls.flatMap((c) => [frameStats(c.caller!.received.chunks, from, to), frameStats(c.desk!.received.chunks, from, to)]);
  const delays = calls.map((c) => (c.deskStreamStart ? (cycleBurstDelay(c.caller!, c.deskStreamStart, from, to).medianMs ?? Number.NaN) : Number.NaN));
  return {
    usage,
    machineCores,
    byCommand,
    ...frameShares(frames),
    delayMs: distribution(delays),
    ...rssByRole(worker.pid),
    inCalls: jobsInCalls(worker.pid).size,
    forwarderProfile: await profile,
  };
}

export interface BridgedOptions {
  idle: number;
  seconds: number;
  gapMs: number;
}

/** One row: N calls bridged through `cast`'s worker, then measured. */
export async function bridgedRow(stack: StackInfo, cast: BridgedCast, carrier: Carrier, n: number, opts: BridgedOptions): Promise<BridgedRow> {
  const { worker } = cast;
  await quiet(stack, worker, opts.idle);
  const idleWatch = watchGroup(worker.pid);
  await sleep(5000);
  const idle = idleWatch.stop();
  // The phones outlive the arrivals, the transfers, the settling and the window.
  const lifetimeMs = n * opts.gapMs + (opts.seconds + 150) * 1000;
  const desks = await startDesks(n + SPARE_DESKS, lifetimeMs);
  cast.useDesks(desks);
  const started = Date.now();
  const exits = watchJobExits(worker.pid);
  const pending: Array<Promise<BridgedCall>> = [];
  try {
    for (let i = 0; i < n; i++) {
      pending.push(bridgeOne(desks, `bridged-${carrier}-${n}-${i + 1}`, lifetimeMs));
      await sleep(opts.gapMs);
    }
    const calls = await Promise.all(pending);
    const bridged = calls.filter((c) => c.bridgedAt !== undefined);
    // Settled: the last bridge 2 s old, and in the forwarder mode the job processes gone (15 s at most).
    await sleep(2000);
    if (carrier === 'forwarder') await eventually(() => jobsInCalls(worker.pid).size === 0, 15_000, 'job processes to exit').catch(() => undefined);
    const m = await measure(stack, worker, bridged, opts.seconds, carrier === 'forwarder' ? `${n}` : undefined);
    const exited = exits.stop();
    const { gapsMs, unmatched } = matchExits(bridgedEntries(worker, started), exited);
    const kept = keptFromJobs(worker, started);
    const perCall = (x: number) => (bridged.length ? x / bridged.length : Number.NaN);
    await endCalls(calls, desks);
    return {
      carrier,
      concurrent: n,
      bridged: bridged.length,
      failures: countSteps(calls.map((c) => c.failedAt)),
      measuredS: Math.round(m.usage.wallMs / 1000),
      workerCores: round(m.usage.cores),
      idleCores: round(idle.cores),
      coresPerCall: round(perCall(m.usage.cores - idle.cores)),
      workerRssMb: m.usage.peakRssMb,
      idleRssMb: idle.peakRssMb,
      mbPerCall: round(perCall(m.usage.peakRssMb - idle.peakRssMb), 1),
      rssByRole: m.byRole,
      jobProcesses: m.jobs,
      jobsInCalls: m.inCalls,
      jobsGoneMs: distribution(gapsMs),
      jobsStayed: unmatched,
      delayMs: m.delayMs,
      lateFraction: m.lateFraction,
      missingFraction: m.missingFraction,
      machineCores: round(m.machineCores),
      byCommand: m.byCommand,
      ...(carrier === 'forwarder'
        ? {
            askToKeptMs: distribution(kept.sinceAskMs),
            keptToGoneMs: distribution(matchExits(kept.at, exited).gapsMs),
            takeSteps: kept.steps,
            ...(m.forwarderProfile ? { forwarderProfile: m.forwarderProfile } : {}),
          }
        : {}),
    };
  } catch (error) {
    exits.stop();
    const calls = await Promise.all(pending);
    await endCalls(calls, desks);
    throw error;
  }
}

const round = (x: number, digits = 3) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : Number.NaN);
