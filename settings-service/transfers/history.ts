// Transfers read back from the agent's timeline entries (the stream the worker, its keeper and a takeover write;
// README "Events"). One transfer is one id: the destinations of one rule tried in turn, each an attempt that
// begins with `started` and ends with `bridged` (accepted) or `ended`. A `started` that says `resumedFrom` is a
// taken-over attempt carrying on, not a new one. Only plain fields are read, so nothing here can show more than
// the stored entries hold; destinations are shown masked (mask.ts).
import type { StoredEvent } from '../../settings/store/store.ts';
import { shownDestination } from './mask.ts';

/** What an operator asks of an outcome; every outcome word of core/outcome.ts (and a REFER's) falls in one. */
export const OUTCOME_GROUPS = ['accepted', 'declined', 'unanswered', 'caller_left', 'failed', 'open'] as const;
export type OutcomeGroup = (typeof OUTCOME_GROUPS)[number];

const GROUP_OF: Readonly<Record<string, OutcomeGroup>> = {
  accepted: 'accepted',
  rejected: 'declined',
  declined: 'declined',
  destination_hung_up: 'declined',
  no_answer: 'unanswered',
  busy: 'unanswered',
  voicemail: 'unanswered',
  caller_hung_up: 'caller_left',
  cancelled: 'caller_left',
  dial_failed: 'failed',
  bridge_failed: 'failed',
  hold_failed: 'failed',
  timed_out: 'failed',
  interrupted: 'failed',
  refer_failed: 'failed',
};

/** An outcome word the worker writes, or 'unknown' for anything else an entry holds. */
export const knownOutcome = (outcome: unknown): string => (typeof outcome === 'string' && outcome in GROUP_OF ? outcome : 'unknown');

export interface Attempt {
  destination: string;
  destinationKind: string;
  answered: boolean;
  /** Its outcome word; undefined while it runs (or when its end was not recorded). */
  outcome: string | undefined;
}

export interface Step {
  type: string;
  /** Milliseconds after the transfer's first entry. */
  afterMs: number;
  /** A few plain words beside the type: the decision, the dial failure, the outcome. */
  detail: string | undefined;
}

export interface TransferView {
  transferId: string;
  startedAt: string;
  startedMs: number;
  /** `dial` (dialled into a consultation room) or `refer` (a keypad transfer handed to the trunk by SIP REFER). */
  how: 'dial' | 'refer';
  attempts: Attempt[];
  outcome: string | undefined;
  group: OutcomeGroup;
  /** From the first hold_started to the bridge or the end; undefined when there was no hold or it has not ended. */
  holdMs: number | undefined;
  steps: Step[];
}

const timeOf = (e: StoredEvent): number => {
  const at = Date.parse(String(e.data.at ?? ''));
  return Number.isFinite(at) ? at : Date.parse(e.at);
};

function detailOf(data: StoredEvent['data']): string | undefined {
  if (data.type === 'decision') return [data.choice, data.source].filter((v) => typeof v === 'string').join(' by ') || undefined;
  if (data.type === 'returned') return typeof data.reason === 'string' ? data.reason : undefined;
  if (data.type === 'ended') return knownOutcome(data.outcome);
  return undefined;
}

/** One transfer's entries, oldest first; undefined when its `started` entry was not among those read. */
function transferOf(transferId: string, entries: StoredEvent[]): TransferView | undefined {
  const first = entries[0];
  if (!first || first.data.type !== 'started') return undefined;
  const startedMs = timeOf(first);
  const attempts: Array<Attempt & { bridged: boolean }> = [];
  let current: (typeof attempts)[number] | undefined;
  let holdFrom: number | undefined;
  let holdTo: number | undefined;
  const steps: Step[] = [];
  for (const e of entries) {
    const { data } = e;
    const at = timeOf(e);
    steps.push({ type: String(data.type), afterMs: Math.max(0, at - startedMs), detail: detailOf(data) });
    if (data.type === 'started' && !(data.resumedFrom !== undefined && current)) {
      current = {
        destination: shownDestination(data.destinationKind, data.destinationMasked),
        destinationKind: String(data.destinationKind ?? 'unknown'),
        answered: false,
        outcome: undefined,
        bridged: false,
      };
      attempts.push(current);
    } else if (!current) {
      continue;
    } else if (data.type === 'answered') {
      current.answered = true;
    } else if (data.type === 'hold_started') {
      holdFrom ??= at;
    } else if (data.type === 'bridged' || data.type === 'referred') {
      // The hold ends at the first bridge; an attempt that ended before it only moved the end along.
      if (holdFrom !== undefined && !attempts.some((a) => a.bridged)) holdTo = at;
      current.bridged = true;
      current.outcome = 'accepted';
    } else if (data.type === 'ended') {
      if (!current.bridged) current.outcome = knownOutcome(data.outcome);
      if (holdFrom !== undefined && !attempts.some((a) => a.bridged)) holdTo = at;
      current = undefined;
    }
  }
  const last = attempts[attempts.length - 1];
  const outcome = last?.outcome;
  return {
    transferId,
    startedAt: new Date(startedMs).toISOString(),
    startedMs,
    how: first.data.method === 'refer' ? 'refer' : 'dial',
    attempts: attempts.map(({ destination, destinationKind, answered, outcome }) => ({ destination, destinationKind, answered, outcome })),
    outcome,
    group: outcome === undefined ? 'open' : (GROUP_OF[outcome] ?? 'failed'),
    // Entries of two processes (a job and a takeover's) may disagree by a clock's drift: never a negative hold.
    holdMs: holdFrom !== undefined && holdTo !== undefined && outcome !== undefined ? Math.max(0, holdTo - holdFrom) : undefined,
    steps,
  };
}

/**
 * Transfers from timeline entries read newest first (as the stream is read), newest transfer first. A transfer
 * whose `started` was not read (older than what was read) is left out and counted in `partial`.
 */
export function transfersFrom(newestFirst: StoredEvent[]): { transfers: TransferView[]; partial: number } {
  const byId = new Map<string, StoredEvent[]>();
  for (let i = newestFirst.length - 1; i >= 0; i--) {
    const e = newestFirst[i]!;
    if (e.type !== 'transfer.timeline' || typeof e.data.transferId !== 'string') continue;
    const list = byId.get(e.data.transferId) ?? [];
    list.push(e);
    byId.set(e.data.transferId, list);
  }
  const transfers: TransferView[] = [];
  let partial = 0;
  for (const [transferId, entries] of byId) {
    const transfer = transferOf(transferId, entries);
    if (transfer) transfers.push(transfer);
    else partial++;
  }
  return { transfers: transfers.sort((a, b) => b.startedMs - a.startedMs), partial };
}
