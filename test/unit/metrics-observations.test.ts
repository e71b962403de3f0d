// A transfer's timeline in numbers: which observations each sequence of entries makes (agent/metrics/
// observations.ts). Entries are written by the real TransferTimeline on a hand-wound clock, so their shape is
// the worker's own.
import { describe, expect, it } from 'vitest';
import { type Observation, TransferObserver } from '../../agent/metrics/observations.ts';
import { type TimelineData, type TimelineEventType, TransferTimeline } from '../../agent/transfer/timeline.ts';

type Step = [afterMs: number, type: TimelineEventType, data?: TimelineData];

/** A wall clock the steps wind on; tests that observe in several goes share one. */
const clock = () => ({ now: Date.parse('2026-12-06T10:00:00.000Z') });

/** Every observation a process makes of `steps`, one timeline per `started` (as each attempt has its own). */
function observe(steps: Step[], observer = new TransferObserver(), transferId = 'tr-1', time = clock()): Observation[] {
  const now = () => time.now;
  let timeline = new TransferTimeline({ transferId, sink: () => undefined, now });
  const out: Observation[] = [];
  for (const [afterMs, type, data] of steps) {
    time.now += afterMs;
    if (type === 'started') timeline = new TransferTimeline({ transferId, sink: () => undefined, now });
    out.push(...observer.observe('acme.support', timeline.record(type, data)));
  }
  return out;
}

describe('the observations of a transfer timeline', () => {
  it('a warm transfer accepted by keypad: one accepted transfer, and its hold, answer, briefing and decision times', () => {
    const out = observe([
      [0, 'started', { destinationKind: 'phone' }],
      [3000, 'hold_started', { topology: 'bridge', alreadyOnHold: false }],
      [100, 'dialing'],
      [300, 'ringing'],
      [1500, 'answered'],
      [150, 'briefing_started'],
      [13_000, 'question_started'],
      [6000, 'prompted'],
      [700, 'decision', { choice: 'accept', source: 'keypad' }],
      [60, 'bridged', { topology: 'bridge', carrier: 'relay' }],
      [600, 'handed_over', { to: 'keeper' }],
    ]);
    expect(out).toEqual([
      { metric: 'answer', seconds: 1.8 },
      { metric: 'briefing', seconds: 19 },
      { metric: 'decision', choice: 'accept', source: 'keypad', seconds: 19.85 },
      { metric: 'transfer', outcome: 'accepted', agent: 'acme.support' },
      { metric: 'hold', outcome: 'accepted', seconds: 21.81 },
    ]);
  });

  it('a key pressed during the introduction: the briefing counts until that decision, once', () => {
    const out = observe([
      [0, 'started'],
      [0, 'hold_started'],
      [0, 'dialing'],
      [1000, 'answered'],
      [100, 'briefing_started'],
      [1500, 'decision', { choice: 'reject', source: 'keypad' }],
      [0, 'prompted'],
      [2000, 'ended', { outcome: 'rejected' }],
    ]);
    expect(out.filter((o) => o.metric === 'briefing')).toEqual([{ metric: 'briefing', seconds: 1.5 }]);
    expect(out).toContainEqual({ metric: 'decision', choice: 'reject', source: 'keypad', seconds: 1.6 });
    expect(out).toContainEqual({ metric: 'hold', outcome: 'rejected', seconds: 4.6 });
  });

  it('a rule with a fallback: each destination counts once, and the hold once, from the music to the end of the last', () => {
    const out = observe([
      [0, 'started'],
      [1000, 'hold_started', { alreadyOnHold: false }],
      [0, 'dialing'],
      [500, 'returned', { reason: 'busy' }],
      [0, 'ended', { outcome: 'busy', next: 'destination' }],
      [10, 'started'],
      [0, 'hold_started', { alreadyOnHold: true }],
      [0, 'dialing'],
      [15_000, 'returned', { reason: 'no_answer' }],
      [0, 'ended', { outcome: 'no_answer' }],
    ]);
    expect(out).toEqual([
      { metric: 'transfer', outcome: 'busy', agent: 'acme.support' },
      { metric: 'transfer', outcome: 'no_answer', agent: 'acme.support' },
      { metric: 'hold', outcome: 'no_answer', seconds: 15.51 },
    ]);
  });

  it('a transfer carried on after a takeover: its gap counted, the hold begun in the dead job left out', () => {
    const out = observe([
      [0, 'started', { resumedFrom: 'briefing' }],
      [400, 'hold_started', { alreadyOnHold: false }],
      [0, 'resumed', { phase: 'briefing', gapMs: 1250, resumes: 1 }],
      [3000, 'prompted', { resumed: true }],
      [800, 'decision', { choice: 'accept', source: 'keypad' }],
      [50, 'bridged', { topology: 'bridge', carrier: 'relay' }],
    ]);
    expect(out).toEqual([
      { metric: 'takeover_gap', phase: 'briefing', seconds: 1.25 },
      { metric: 'transfer', outcome: 'accepted', agent: 'acme.support' },
    ]);
  });

  it('a bridge counted where it was made: not again by the job that carries it on, nor at the end of the call', () => {
    expect(
      observe([
        [0, 'started', { resumedFrom: 'bridged' }],
        [0, 'resumed', { phase: 'bridged', gapMs: 900, resumes: 1 }],
        [100, 'bridged', { topology: 'bridge', carrier: 'relay' }],
        [60_000, 'ended', { outcome: 'accepted' }],
      ]),
    ).toEqual([{ metric: 'takeover_gap', phase: 'bridged', seconds: 0.9 }]);
    // The keeper's timeline of a kept call: kept, then who left, then the end.
    expect(
      observe([
        [0, 'kept', { carrier: 'forwarder', from: 'job', tookMs: 300 }],
        [30_000, 'participant_left', { side: 'caller' }],
        [100, 'ended', { outcome: 'accepted', endedBy: 'caller_hung_up' }],
      ]),
    ).toEqual([]);
    // A job that relays its bridged call (BRIDGE_CARRIER=relay) ends it as accepted: counted at the bridge only.
    const relayed = observe([
      [0, 'started'],
      [0, 'hold_started'],
      [5000, 'bridged', { topology: 'bridge', carrier: 'relay' }],
      [60_000, 'ended', { outcome: 'accepted' }],
    ]);
    expect(relayed.filter((o) => o.metric === 'transfer')).toHaveLength(1);
    expect(relayed.filter((o) => o.metric === 'hold')).toEqual([{ metric: 'hold', outcome: 'accepted', seconds: 5 }]);
  });

  it('a REFER the trunk refused, then the dial that follows it: two attempts, refer_failed and the dial', () => {
    const out = observe([
      [0, 'started', { kind: 'keypad', method: 'refer' }],
      [10, 'referring'],
      [2000, 'refer_failed', { sipStatus: 603 }],
      [0, 'ended', { outcome: 'refer_failed', method: 'refer', next: 'dial' }],
      [10, 'started'],
      [1000, 'hold_started'],
      [0, 'dialing'],
      [1000, 'answered'],
      [10, 'bridged'],
    ]);
    expect(out.filter((o) => o.metric === 'transfer').map((o) => o.metric === 'transfer' && o.outcome)).toEqual(['refer_failed', 'accepted']);
  });

  it('values outside the closed sets become `other`; nonsense durations and gaps are not observed', () => {
    const out = observe([
      [0, 'started'],
      [0, 'dialing'],
      [100, 'answered'],
      [0, 'resumed', { phase: 'a phase from a later version', gapMs: 700 }],
      [0, 'resumed', { phase: 'briefing', gapMs: -5 }],
      [0, 'resumed', { phase: 'briefing', gapMs: Infinity }],
      [0, 'decision', { choice: 'maybe', source: 'telepathy' }],
      [0, 'ended', { outcome: '+15125551234' }],
    ]);
    expect(out).toEqual([
      { metric: 'answer', seconds: 0.1 },
      { metric: 'takeover_gap', phase: 'other', seconds: 0.7 },
      { metric: 'decision', choice: 'other', source: 'other', seconds: 0 },
      { metric: 'transfer', outcome: 'other', agent: 'acme.support' },
    ]);
  });

  it('forgets a transfer once its part in this process is over, and keeps two transfers apart', () => {
    const observer = new TransferObserver();
    const time = clock();
    observe(
      [
        [0, 'started'],
        [0, 'hold_started'],
        [1000, 'dialing'],
      ],
      observer,
      'tr-a',
      time,
    );
    observe(
      [
        [0, 'started'],
        [0, 'dialing'],
        [2000, 'answered'],
        [0, 'ended', { outcome: 'rejected' }],
      ],
      observer,
      'tr-b',
      time,
    );
    // tr-b ended: its marks are gone, so a stray `answered` for it measures nothing.
    expect(observe([[0, 'answered']], observer, 'tr-b', time)).toEqual([]);
    // tr-a still has its dial (1 s in) and its hold (from 0), 3 s later.
    expect(
      observe(
        [
          [1000, 'answered'],
          [0, 'ended', { outcome: 'voicemail' }],
        ],
        observer,
        'tr-a',
        time,
      ),
    ).toEqual([
      { metric: 'answer', seconds: 3 },
      { metric: 'transfer', outcome: 'voicemail', agent: 'acme.support' },
      { metric: 'hold', outcome: 'voicemail', seconds: 4 },
    ]);
  });
});
