// The last day of an agent's transfers, summed up for its transfers page and API: outcomes per hour, time on
// hold, and how each destination answers. Pure: the route reads the entries (at most READ_CAP of them, newest
// first) and passes them in with the time; nothing here touches Redis.
import type { StoredEvent } from '../../settings/store/store.ts';
import { OUTCOME_GROUPS, type OutcomeGroup, type TransferView, transfersFrom } from './history.ts';

/** The newest entries read from the stream at most: the stream keeps about 1000 (STREAM_MAX_LENGTH), a day may hold fewer. */
export const READ_CAP = 1000;
export const WINDOW_HOURS = 24;
const HOUR_MS = 3600_000;

/** Hold-time buckets, in seconds from each bucket's start; the last is open-ended. */
export const HOLD_BUCKETS: ReadonlyArray<{ fromS: number; label: string }> = [
  { fromS: 0, label: 'under 10 s' },
  { fromS: 10, label: '10–20 s' },
  { fromS: 20, label: '20–30 s' },
  { fromS: 30, label: '30–60 s' },
  { fromS: 60, label: '1–2 min' },
  { fromS: 120, label: '2–5 min' },
  { fromS: 300, label: '5 min or more' },
];

export type GroupCounts = Record<OutcomeGroup, number>;

export interface DestinationStats {
  destination: string;
  destinationKind: string;
  tried: number;
  answered: number;
  accepted: number;
  /** Attempts by outcome word (`no_answer`, `busy`, ...); attempts still running are not counted. */
  outcomes: Record<string, number>;
}

export interface TransferSummary {
  /** The window: from the start of the hour 23 hours ago, to now. */
  from: string;
  to: string;
  read: { entries: number; cap: number; capped: boolean; oldestAt: string | undefined; partialTransfers: number };
  totals: GroupCounts & { transfers: number };
  hours: Array<{ start: string } & GroupCounts>;
  hold: { buckets: Array<{ fromS: number; label: string; count: number }>; measured: number; medianS: number | undefined; longestS: number | undefined };
  destinations: DestinationStats[];
  /** The newest transfers of the window, newest first. */
  recent: TransferView[];
}

const zero = (): GroupCounts => Object.fromEntries(OUTCOME_GROUPS.map((g) => [g, 0])) as GroupCounts;

/** Where reading begins: the start of the hour WINDOW_HOURS - 1 hours before `nowMs`. */
export const windowStart = (nowMs: number): number => Math.floor(nowMs / HOUR_MS) * HOUR_MS - (WINDOW_HOURS - 1) * HOUR_MS;

function median(sorted: number[]): number | undefined {
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function destinationStats(transfers: TransferView[]): DestinationStats[] {
  const byDestination = new Map<string, DestinationStats>();
  for (const attempt of transfers.flatMap((t) => t.attempts)) {
    const stats = byDestination.get(attempt.destination) ?? {
      destination: attempt.destination,
      destinationKind: attempt.destinationKind,
      tried: 0,
      answered: 0,
      accepted: 0,
      outcomes: {},
    };
    stats.tried++;
    if (attempt.answered) stats.answered++;
    if (attempt.outcome === 'accepted') stats.accepted++;
    if (attempt.outcome) stats.outcomes[attempt.outcome] = (stats.outcomes[attempt.outcome] ?? 0) + 1;
    byDestination.set(attempt.destination, stats);
  }
  return [...byDestination.values()].sort((a, b) => b.tried - a.tried || a.destination.localeCompare(b.destination));
}

/** `newestFirst`: what was read from the stream (at most `cap` entries); `recentCount`: transfers listed in `recent`. */
export function summarize(newestFirst: StoredEvent[], nowMs: number, { cap = READ_CAP, recentCount = 20 } = {}): TransferSummary {
  const fromMs = windowStart(nowMs);
  const { transfers: all, partial } = transfersFrom(newestFirst);
  const transfers = all.filter((t) => t.startedMs >= fromMs && t.startedMs <= nowMs);
  const totals = { ...zero(), transfers: transfers.length };
  const hours = Array.from({ length: WINDOW_HOURS }, (_, i) => ({ start: new Date(fromMs + i * HOUR_MS).toISOString(), ...zero() }));
  for (const t of transfers) {
    totals[t.group]++;
    hours[Math.min(WINDOW_HOURS - 1, Math.floor((t.startedMs - fromMs) / HOUR_MS))]![t.group]++;
  }
  const holds = transfers.flatMap((t) => (t.holdMs === undefined ? [] : [t.holdMs / 1000])).sort((a, b) => a - b);
  const buckets = HOLD_BUCKETS.map((b) => ({ ...b, count: 0 }));
  for (const s of holds) buckets[buckets.findLastIndex((b) => s >= b.fromS)]!.count++;
  const oldest = newestFirst[newestFirst.length - 1];
  return {
    from: new Date(fromMs).toISOString(),
    to: new Date(nowMs).toISOString(),
    read: { entries: newestFirst.length, cap, capped: newestFirst.length >= cap, oldestAt: oldest?.at, partialTransfers: partial },
    totals,
    hours,
    hold: { buckets, measured: holds.length, medianS: median(holds), longestS: holds[holds.length - 1] },
    destinations: destinationStats(transfers),
    recent: transfers.slice(0, recentCount),
  };
}
