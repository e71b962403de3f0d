// Summaries the bench prints: percentiles, and what the phones' RTP says about late and missing frames.
import type { AudioChunk } from '../../phones/index.ts';

export interface Distribution {
  n: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** Nearest-rank percentiles of the values that were measured (NaN ones are left out, and counted by n). */
export function distribution(values: number[]): Distribution {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const pick = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : null);
  return { n: sorted.length, p50: pick(0.5), p95: pick(0.95), max: sorted.at(-1) ?? null };
}

export interface FrameStats {
  /** Packets expected from the RTP sequence numbers in the window. */
  expected: number;
  /** Missing: sequence numbers that never arrived. */
  missing: number;
  /** Late: packets that arrived more than 40 ms after the one before (20 ms is the pace). */
  late: number;
}

/** Late and missing 20 ms frames among the packets that arrived in [fromMs, toMs). */
export function frameStats(chunks: readonly AudioChunk[], fromMs: number, toMs: number, lateMs = 40): FrameStats {
  const picked = chunks.filter((c) => c.at >= fromMs && c.at < toMs);
  if (picked.length < 2) return { expected: 0, missing: 0, late: 0 };
  let late = 0;
  let missing = 0;
  for (let i = 1; i < picked.length; i++) {
    const gap = (picked[i]!.seq - picked[i - 1]!.seq + 0x10000) % 0x10000;
    // A jump of more than a few seconds' packets is a new stream (a new source), not a loss.
    if (gap > 1 && gap < 500) missing += gap - 1;
    if (picked[i]!.at - picked[i - 1]!.at > lateMs) late += 1;
  }
  return { expected: picked.length + missing, missing, late };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves with fn's value, or with undefined after ms (the bench records a failure, it does not throw). */
export async function within<T>(ms: number, fn: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([fn(), new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** The job processes' own event-loop delay, from the `event_loop_delay` line each logs at its end (agent/capacity/loop-delay.ts). */
export interface LoopDelay {
  jobs: number;
  /** Across the job processes: their p99 delay. */
  p99Ms: Distribution;
  /** The longest single delay in any of them. */
  maxMs: number | null;
}

export function loopDelays(log: string): LoopDelay {
  const lines = log.split('\n').filter((l) => l.includes('"event":"event_loop_delay"'));
  const entries = lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as { p99Ms: number; maxMs: number }];
    } catch {
      return [];
    }
  });
  return {
    jobs: entries.length,
    p99Ms: distribution(entries.map((e) => e.p99Ms)),
    maxMs: entries.length ? Math.max(...entries.map((e) => e.maxMs)) : null,
  };
}

/** Waits (up to `ms`) until `expected` job processes have logged their delay since `logBefore`, then reads them. */
export async function awaitLoopDelays(log: () => string, logBefore: number, expected: number, ms = 10_000): Promise<LoopDelay> {
  const end = Date.now() + ms;
  let delays = loopDelays(log().slice(logBefore));
  while (delays.jobs < expected && Date.now() < end) {
    await sleep(250);
    delays = loopDelays(log().slice(logBefore));
  }
  return delays;
}
