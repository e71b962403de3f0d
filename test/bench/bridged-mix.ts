// The bridged scenario's realistic mix: calls arrive steadily (one every `everyS`), each talks with the agent
// (silent for `leadS` s, then asks for a person: with the transfer, about 30 s), is bridged, talks bridged for
// `bridgedS` s and hangs up. Every 5 s the worker's and the machine's CPU are sampled with the number of calls
// bridged at that moment; the row reports the peak of that number, the CPU while it held, and late frames.
import { cpus } from 'node:os';
import type { StackInfo } from '../../stack/stack-info.ts';
import { bridgeOne, endCalls, SPARE_DESKS, startDesks, type BridgedCall, type BridgedCast, type Carrier } from './bridged-call.ts';
import { countSteps, quiet } from './bridged.ts';
import { frameShares } from './floor.ts';
import { cycleBurstDelay } from './listen.ts';
import { watchGroup, watchMachine } from './proc.ts';
import { distribution, frameStats, sleep, type Distribution } from './stats.ts';

export interface MixOptions {
  calls: number;
  everyS: number;
  leadS: number;
  bridgedS: number;
  idle: number;
}

export interface MixSample {
  /** Seconds since the first call. */
  atS: number;
  bridged: number;
  workerCores: number;
  machineCores: number;
}

export interface MixRow extends MixOptions {
  carrier: Carrier;
  bridgedCalls: number;
  failures: Record<string, number>;
  peakBridged: number;
  /** Mean CPU over the samples taken while the peak number of calls was bridged (cores). */
  workerCoresAtPeak: number;
  machineCoresAtPeak: number;
  /** Over the whole mix. */
  workerCores: number;
  machineCores: number;
  lateFraction: number;
  missingFraction: number;
  delayMs: Distribution;
  samples: MixSample[];
  durationS: number;
}

const SAMPLE_MS = 5000;

/** Calls bridged at `t`: bridged before it and not yet hung up. */
const bridgedAt = (calls: Array<{ from?: number; to?: number }>, t: number) =>
  calls.filter((c) => c.from !== undefined && c.from <= t && (c.to ?? Infinity) > t).length;

export async function bridgedMix(stack: StackInfo, cast: BridgedCast, carrier: Carrier, opts: MixOptions): Promise<MixRow> {
  const { worker } = cast;
  await quiet(stack, worker, opts.idle);
  // The desks start first and the last call arrives (calls − 1) × everyS later.
  const lifetimeMs = (opts.calls * opts.everyS + opts.leadS + opts.bridgedS + 150) * 1000;
  const desks = await startDesks(opts.calls + SPARE_DESKS, lifetimeMs);
  cast.useDesks(desks);
  // When each call was bridged and hung up, for the count of calls bridged at a moment.
  const spans: Array<{ from?: number; to?: number }> = [];
  const samples: MixSample[] = [];
  const started = Date.now();
  const whole = watchGroup(worker.pid);
  const wholeMachine = watchMachine(cpus().length);
  let last = { cpuMs: 0, at: started, machine: watchMachine(cpus().length) };
  const sampler = setInterval(() => {
    const now = whole.now();
    const at = Date.now();
    samples.push({
      atS: Math.round((at - started) / 1000),
      bridged: bridgedAt(spans, at),
      workerCores: Number(((now.cpuMs - last.cpuMs) / (at - last.at)).toFixed(3)),
      machineCores: Number(last.machine.stop().toFixed(3)),
    });
    last = { cpuMs: now.cpuMs, at, machine: watchMachine(cpus().length) };
  }, SAMPLE_MS);
  const oneCall = async (i: number): Promise<{ call: BridgedCall; from?: number; to?: number }> => {
    await sleep(i * opts.everyS * 1000);
    const span: { from?: number; to?: number } = {};
    spans.push(span);
    const call = await bridgeOne(desks, `mix-${i + 1}`, lifetimeMs, opts.leadS);
    if (call.bridgedAt === undefined) return { call };
    span.from = call.bridgedAt;
    await sleep(opts.bridgedS * 1000);
    span.to = Date.now();
    await call.caller?.hangup().catch(() => undefined);
    return { call, from: span.from, to: span.to };
  };
  let results: Array<{ call: BridgedCall; from?: number; to?: number }> = [];
  try {
    results = await Promise.all(Array.from({ length: opts.calls }, (_, i) => oneCall(i)));
  } finally {
    clearInterval(sampler);
    await endCalls(
      results.map((r) => r.call),
      desks,
    );
  }
  const usage = whole.stop();
  const machineCores = wholeMachine.stop();
  const talked = results.filter((r) => r.from !== undefined);
  // Frames and delay over each call's own bridged talk, from 1 s after its bridge.
  const frames = talked.flatMap(({ call, from, to }) => [
    frameStats(call.caller!.received.chunks, from! + 1000, to!),
    frameStats(call.desk!.received.chunks, from! + 1000, to!),
  ]);
  const delays = talked.map(({ call, from, to }) =>
    call.deskStreamStart ? (cycleBurstDelay(call.caller!, call.deskStreamStart, from! + 1000, to!).medianMs ?? Number.NaN) : Number.NaN,
  );
  const peakBridged = Math.max(0, ...samples.map((s) => s.bridged));
  // A sample's CPU is over the 5 s before it: those whose previous sample was at the peak too (else any at the peak).
  const held = samples.filter((s, i) => peakBridged > 0 && s.bridged === peakBridged && samples[i - 1]?.bridged === peakBridged);
  const atPeak = held.length ? held : samples.filter((s) => peakBridged > 0 && s.bridged === peakBridged);
  const mean = (xs: number[]) => (xs.length ? Number((xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3)) : Number.NaN);
  return {
    ...opts,
    carrier,
    bridgedCalls: talked.length,
    failures: countSteps(results.map((r) => r.call.failedAt)),
    peakBridged,
    workerCoresAtPeak: mean(atPeak.map((s) => s.workerCores)),
    machineCoresAtPeak: mean(atPeak.map((s) => s.machineCores)),
    workerCores: Number(usage.cores.toFixed(3)),
    machineCores: Number(machineCores.toFixed(3)),
    ...frameShares(frames),
    delayMs: distribution(delays),
    samples,
    durationS: Math.round((Date.now() - started) / 1000),
  };
}
