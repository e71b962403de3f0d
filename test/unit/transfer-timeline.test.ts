import { afterEach, describe, expect, it, vi } from 'vitest';
import { TransferTimeline, pii } from '../../agent/transfer/timeline.ts';
import type { TimelineEntry } from '../../agent/transfer/timeline.ts';

const T0 = Date.parse('2025-01-02T03:04:05.000Z');

/** A timeline on a hand-wound clock that keeps every line it writes. */
function setup() {
  let nowMs = T0;
  const lines: string[] = [];
  const timeline = new TransferTimeline({ transferId: 'tr_1', sink: (line) => lines.push(line), now: () => nowMs });
  return { timeline, lines, tick: (ms: number) => (nowMs += ms) };
}

afterEach(() => vi.restoreAllMocks());

describe('TransferTimeline', () => {
  it('stamps each entry with the transfer, the wall-clock time and the time since it started', () => {
    const { timeline, tick } = setup();
    tick(500); // set-up before the transfer proper does not count
    timeline.record('started');
    tick(1_250);
    const entry = timeline.record('answered', { sipStatus: 200 });
    expect(entry).toEqual({
      transferId: 'tr_1',
      type: 'answered',
      at: '2025-01-02T03:04:06.750Z',
      elapsedMs: 1_250,
      sipStatus: 200,
    });
    expect(timeline.entries.map((e) => [e.type, e.elapsedMs])).toEqual([
      ['started', 0],
      ['answered', 1_250],
    ]);
  });

  it('writes one JSON line per entry to the sink and emits it', () => {
    const { timeline, lines } = setup();
    const emitted: TimelineEntry[] = [];
    timeline.on('event', (entry) => emitted.push(entry));
    timeline.record('decision', { choice: 'accept', source: 'keypad' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual(timeline.entries[0]);
    expect(emitted).toEqual(timeline.entries);
  });

  it('writes to stdout, one line each, when no sink is given', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    new TransferTimeline({ transferId: 'tr_2', now: () => T0 }).record('ended', { outcome: 'no_answer' });
    expect(write).toHaveBeenCalledTimes(1);
    const line = String(write.mock.calls[0]?.[0]);
    expect(line.endsWith('}\n')).toBe(true);
    expect(JSON.parse(line)).toMatchObject({ transferId: 'tr_2', type: 'ended', outcome: 'no_answer' });
  });

  it('keeps personal data under lk.pii.* keys only', () => {
    const { timeline, lines } = setup();
    const who = { phoneNumber: '+15125551234', identity: 'sip_dest', roomName: 'consult-1' };
    timeline.record('dialing', pii(who));
    expect(JSON.parse(lines[0] ?? '')).toEqual(
      expect.objectContaining({
        'lk.pii.phone_number': '+15125551234',
        'lk.pii.participant_identity': 'sip_dest',
        'lk.pii.room_name': 'consult-1',
      }),
    );
    const plainKeys = Object.keys(timeline.entries[0] ?? {}).filter((key) => !key.startsWith('lk.pii.'));
    expect(plainKeys).toEqual(['transferId', 'type', 'at', 'elapsedMs']);
  });

  it('leaves out personal fields that were not given', () => {
    expect(pii({ identity: 'caller' })).toEqual({ 'lk.pii.participant_identity': 'caller' });
    expect(pii({})).toEqual({});
  });
});
