// The transfers page's arithmetic (settings-service/transfers/): transfers read back from the worker's own
// timeline entries, counted per hour and outcome, their time on hold, how each destination answers, what a
// read cut short leaves out, and destinations shown masked whatever an entry holds.
import { describe, expect, it } from 'vitest';
import { withoutPii } from '../../core/pii.ts';
import type { TimelineEntry } from '../../agent/transfer/timeline.ts';
import type { StoredEvent } from '../../settings/store/store.ts';
import { transfersFrom } from '../../settings-service/transfers/history.ts';
import { shownDestination } from '../../settings-service/transfers/mask.ts';
import { summarize, windowStart } from '../../settings-service/transfers/summary.ts';
import { recordTransfer, type ScriptedTransfer } from '../support/transfer-script.ts';

const NOW = Date.parse('2026-12-06T15:40:00Z');
const HOUR = 3600_000;
const CALLER = '+15125550142';

/** Entries as the store keeps them (its scrubber applied), newest first as the stream is read. */
function stored(transfers: ScriptedTransfer[]): StoredEvent[] {
  const entries: TimelineEntry[] = [];
  for (const t of transfers) recordTransfer(t, (entry) => entries.push(entry));
  return entries
    .map((entry, i) => ({ id: `e${i}`, type: 'transfer.timeline' as const, agentId: 'acme.support', at: entry.at, data: withoutPii({ ...entry }) }))
    .reverse();
}

const transfer = (transferId: string, hoursAgo: number, attempts: ScriptedTransfer['attempts'], extra: Partial<ScriptedTransfer> = {}): ScriptedTransfer => ({
  transferId,
  startMs: NOW - hoursAgo * HOUR,
  caller: CALLER,
  attempts,
  ...extra,
});

describe('transfers read back from their timelines', () => {
  it('a chain (no answer, then accepted) is one accepted transfer, on hold from the first hold to the bridge', () => {
    const chain = transfer('t-chain', 1, [
      { destination: 'ext:1002', outcome: 'no_answer', ringS: 20 },
      { destination: '+15125551234', outcome: 'accepted', ringS: 5, briefS: 15 },
    ]);
    const { transfers, partial } = transfersFrom(stored([chain]));
    expect(partial).toBe(0);
    expect(transfers).toHaveLength(1);
    const [t] = transfers;
    expect(t).toMatchObject({ transferId: 't-chain', outcome: 'accepted', group: 'accepted', how: 'dial' });
    expect(t!.attempts).toEqual([
      { destination: 'ext:•••2', destinationKind: 'extension', answered: false, outcome: 'no_answer' },
      { destination: '+1 ••• ••• ••34', destinationKind: 'phone', answered: true, outcome: 'accepted' },
    ]);
    // 0.2 + 0.3 + 20 s on the first, then 0.4 + 0.2 + 0.3 + 5 + 15 + 0.1 s to the bridge (the call after it is not hold).
    expect(t!.holdMs).toBe(41_500);
    expect(t!.steps.map((s) => s.type)).toContain('bridged');
  });

  it('a transfer still running has no outcome and no hold time yet; one whose start was not read is left out and counted', () => {
    const running = transfer('t-running', 0.1, [{ destination: 'ext:1002', outcome: 'accepted', ringS: 4 }], { unfinished: true });
    const cut = stored([transfer('t-cut', 2, [{ destination: 'ext:1002', outcome: 'rejected', ringS: 3 }])]).slice(0, 4);
    const { transfers, partial } = transfersFrom([...stored([running]), ...cut]);
    expect(transfers.map((t) => [t.transferId, t.group, t.outcome, t.holdMs])).toEqual([['t-running', 'open', undefined, undefined]]);
    expect(partial).toBe(1);
  });

  it('a taken-over attempt (started again with resumedFrom) carries on the same attempt', () => {
    const events = stored([transfer('t-resumed', 1, [{ destination: 'ext:1002', outcome: 'rejected', ringS: 3 }])]);
    const resumed: StoredEvent = { ...events[0]!, id: 'r', data: { ...events[events.length - 1]!.data, resumedFrom: 'briefing' } };
    const [t] = transfersFrom([...events.slice(0, 1), resumed, ...events.slice(1)]).transfers;
    expect(t!.attempts).toHaveLength(1);
    expect(t!.outcome).toBe('rejected');
  });
});

describe('the last 24 hours summed up', () => {
  const day = [
    transfer('a1', 0.2, [{ destination: '+15125551234', outcome: 'accepted', ringS: 4, briefS: 10 }]),
    transfer('a2', 0.5, [{ destination: '+15125551234', outcome: 'rejected', ringS: 2, briefS: 20 }]),
    transfer('a3', 3.1, [{ destination: 'ext:1002', outcome: 'no_answer', ringS: 30 }]),
    transfer('a4', 3.2, [{ destination: 'ext:1002', outcome: 'busy', ringS: 1 }]),
    transfer('a5', 23.5, [{ destination: 'sip:alice@pbx.example.com', outcome: 'caller_hung_up', ringS: 8 }]),
    transfer('old', 25, [{ destination: '+15125551234', outcome: 'accepted', ringS: 4 }]),
  ];
  const summary = summarize(stored(day), NOW);

  it('counts each transfer in the hour it started, by outcome group, and nothing older than the window', () => {
    expect(summary.from).toBe(new Date(windowStart(NOW)).toISOString());
    expect(summary.from).toBe('2026-12-05T16:00:00.000Z');
    expect(summary.totals).toEqual({ transfers: 5, accepted: 1, declined: 1, unanswered: 2, caller_left: 1, failed: 0, open: 0 });
    expect(summary.hours).toHaveLength(24);
    const hour = (iso: string) => summary.hours.find((h) => h.start === iso);
    expect(hour('2026-12-06T15:00:00.000Z')).toMatchObject({ accepted: 1, declined: 1 });
    expect(hour('2026-12-06T12:00:00.000Z')).toMatchObject({ unanswered: 2 });
    expect(hour('2026-12-05T16:00:00.000Z')).toMatchObject({ caller_left: 1 });
    const counted = summary.hours.reduce((sum, h) => sum + h.accepted + h.declined + h.unanswered + h.caller_left + h.failed + h.open, 0);
    expect(counted).toBe(5);
  });

  it('puts each time on hold in its bucket, with the median and the longest', () => {
    // a1 14.6 s, a2 23 s, a3 30.5 s, a4 1.5 s (busy), a5 8.5 s (the caller left while it rang).
    const byLabel = Object.fromEntries(summary.hold.buckets.map((b) => [b.label, b.count]));
    expect(byLabel).toEqual({ 'under 10 s': 2, '10–20 s': 1, '20–30 s': 1, '30–60 s': 1, '1–2 min': 0, '2–5 min': 0, '5 min or more': 0 });
    expect(summary.hold).toMatchObject({ measured: 5, medianS: 14.6, longestS: 30.5 });
  });

  it('says per destination how often it was tried, answered and accepted', () => {
    expect(summary.destinations).toEqual([
      { destination: '+1 ••• ••• ••34', destinationKind: 'phone', tried: 2, answered: 2, accepted: 1, outcomes: { accepted: 1, rejected: 1 } },
      { destination: 'ext:•••2', destinationKind: 'extension', tried: 2, answered: 0, accepted: 0, outcomes: { busy: 1, no_answer: 1 } },
      { destination: 'sip:•••@pbx.example.com', destinationKind: 'sip', tried: 1, answered: 0, accepted: 0, outcomes: { caller_hung_up: 1 } },
    ]);
    expect(summary.recent.map((t) => t.transferId)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
  });

  it('says when the read met its cap', () => {
    const events = stored(day);
    expect(summary.read).toMatchObject({ entries: events.length, capped: false });
    const capped = summarize(events.slice(0, 20), NOW, { cap: 20 });
    expect(capped.read).toMatchObject({ entries: 20, cap: 20, capped: true, oldestAt: events[19]!.at });
    expect(capped.read.partialTransfers).toBeGreaterThan(0);
  });

  it('never carries the caller, nor more of a number than its last two digits', () => {
    const json = JSON.stringify(summary);
    expect(json).not.toContain('5550142');
    expect(json).not.toContain('5551234');
    expect(json).not.toContain('alice');
  });
});

describe('destinations shown masked, whatever the entry holds', () => {
  it.each([
    ['phone', '+1********34', '+1 ••• ••• ••34'],
    ['phone', '+15125551234', '+1 ••• ••• ••34'],
    ['phone', undefined, '+1 ••• ••• ••••'],
    ['extension', 'ext:***2', 'ext:•••2'],
    ['extension', 'ext:1002', 'ext:•••2'],
    ['extension', 'ext:', 'ext:•••'],
    ['sip', 'sip:***@pbx.example.com', 'sip:•••@pbx.example.com'],
    ['sip', 'sip:alice@pbx.example.com', 'sip:•••@pbx.example.com'],
    ['sip', 'sip:***@<script>', 'sip:•••'],
    ['unreadable', undefined, 'unknown destination'],
  ])('%s %s → %s', (kind, masked, shown) => {
    expect(shownDestination(kind, masked)).toBe(shown);
  });
});
