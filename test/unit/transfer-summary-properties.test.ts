// Properties of the transfers summary (fast-check): for any entries an agent's stream may hold (any order, types,
// outcomes, times, and destination fields holding anything), the summary is made without throwing, every transfer
// it counts is counted once in one hour and one group, and no shown destination carries more than two digits of a
// phone number nor anything of a SIP user.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../settings/store/store.ts';
import { OUTCOME_GROUPS } from '../../settings-service/transfers/history.ts';
import { shownDestination } from '../../settings-service/transfers/mask.ts';
import { summarize } from '../../settings-service/transfers/summary.ts';

const NOW = Date.parse('2026-12-06T15:40:00Z');
const TYPES = ['started', 'hold_started', 'dialing', 'ringing', 'answered', 'decision', 'bridged', 'returned', 'ended', 'referred', 'kept', 'error'];
const OUTCOMES = ['accepted', 'rejected', 'busy', 'no_answer', 'caller_hung_up', 'interrupted', 'refer_failed', 'bogus', 42, null];

const step = fc.record({
  type: fc.constantFrom(...TYPES),
  /** Seconds after the step before; now and then back in time, as two processes' clocks may disagree. */
  gapS: fc.oneof(fc.integer({ min: -60, max: -1 }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 60 })),
  outcome: fc.constantFrom(...OUTCOMES),
  destinationKind: fc.constantFrom('phone', 'extension', 'sip', 'unreadable', undefined),
  destinationMasked: fc.oneof(fc.string(), fc.stringMatching(/^\+1\d{10}$/), fc.constant(undefined)),
  resumedFrom: fc.option(fc.constant('briefing'), { nil: undefined }),
});
/** A transfer: mostly begun with `started` (sometimes its start was not read), at any time around the window. */
const transfer = fc.record({ minutesAgo: fc.integer({ min: -30, max: 26 * 60 }), read: fc.boolean(), steps: fc.array(step, { maxLength: 14 }) });
type Transfer = typeof transfer extends fc.Arbitrary<infer T> ? T : never;

/** The transfers' entries as the stream is read: newest first. */
function events(transfers: Transfer[]): StoredEvent[] {
  const out: StoredEvent[] = [];
  transfers.forEach((t, n) => {
    let ms = NOW - t.minutesAgo * 60_000;
    const steps = t.read
      ? [{ type: 'started', gapS: 0, outcome: null, destinationKind: 'phone', destinationMasked: '+1********34', resumedFrom: undefined }, ...t.steps]
      : t.steps;
    for (const e of steps) {
      ms += e.gapS * 1000;
      const at = new Date(ms).toISOString();
      const data: Record<string, unknown> = { transferId: `t${n}`, type: e.type, at, outcome: e.outcome, destinationKind: e.destinationKind };
      if (e.destinationMasked !== undefined) data.destinationMasked = e.destinationMasked;
      if (e.resumedFrom) data.resumedFrom = e.resumedFrom;
      out.push({ id: `e${out.length}`, type: 'transfer.timeline', agentId: 'a', at, data });
    }
  });
  return out.reverse();
}

describe('the transfers summary over any stream', () => {
  it('counts each transfer of the window once, in one hour and one group, and its hold is never negative', () => {
    fc.assert(
      fc.property(fc.array(transfer, { maxLength: 12 }), (list) => {
        const summary = summarize(events(list), NOW);
        const inHours = summary.hours.reduce((sum, hour) => sum + OUTCOME_GROUPS.reduce((s, g) => s + hour[g], 0), 0);
        const inGroups = OUTCOME_GROUPS.reduce((sum, g) => sum + summary.totals[g], 0);
        expect(inHours).toBe(summary.totals.transfers);
        expect(inGroups).toBe(summary.totals.transfers);
        expect(summary.recent.length).toBe(Math.min(20, summary.totals.transfers));
        expect(summary.hold.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(summary.hold.measured);
        for (const t of summary.recent) if (t.holdMs !== undefined) expect(t.holdMs).toBeGreaterThanOrEqual(0);
        // Twelve transfers at most, so every counted one is among the recent ones: each attempt counts for one destination.
        const tried = summary.destinations.reduce((sum, d) => sum + d.tried, 0);
        expect(tried).toBe(summary.recent.reduce((sum, t) => sum + t.attempts.length, 0));
      }),
      { numRuns: 300 },
    );
  });

  it('shows at most the last two digits of a phone number, and no SIP user, whatever an entry holds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\+1\d{10}$/), fc.stringMatching(/^sip:[a-z0-9+]{1,12}@[a-z.]{1,20}$/)), (masked) => {
        const phone = shownDestination('phone', masked);
        expect(phone.replace(/^\+1/, '').replace(/\D/g, '').length).toBeLessThanOrEqual(2);
        const sip = shownDestination('sip', masked);
        expect(sip).toMatch(/^sip:•••(@[A-Za-z0-9.:[\]-]+)?$/);
      }),
      { numRuns: 500 },
    );
  });
});
