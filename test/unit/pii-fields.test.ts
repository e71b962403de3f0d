// The helpers that keep personal data under lk.pii.* keys: what a timeline entry or a log line keeps in plain
// fields (a destination's kind and masked form, the SIP status and a fixed reason, the error's type), and the
// one scrubber every exporting sink uses.
import { describe, expect, it } from 'vitest';
import { personalDataOutsidePii } from '../support/pii.ts';
import { errorFields, mask, sipFailureFields, withoutPii } from '../../core/pii.ts';
import { destinationFields, parseDestination } from '../../settings/destination.ts';
import { TransferTimeline } from '../../agent/transfer/timeline.ts';

const dest = (raw: string) => {
  const parsed = parseDestination(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return destinationFields(parsed.destination);
};

describe('personal data fields', () => {
  it('keeps a masked destination, its kind, the SIP status and a fixed reason in plain fields', () => {
    const timeline = new TransferTimeline({ transferId: 't', sink: () => undefined });
    const entries = [
      timeline.record('dialing', dest('(512) 555-1234')),
      timeline.record('dialing', dest('ext:1002')),
      timeline.record('dialing', dest('sip:+15125551234@carrier.example.com:5061;transport=tls')),
      timeline.record('returned', { reason: 'busy', ...sipFailureFields({ sipStatus: 486, message: 'SIP call failed: 486 Busy Here to=+15125551234' }) }),
      timeline.record('returned', { reason: 'dial_failed', ...sipFailureFields({ message: 'no route to sip:+15125551234@carrier.example.com' }) }),
      timeline.record('error', { effect: 'dial', ...errorFields(new TypeError('bad number +15125551234')) }),
    ];
    expect(entries.map(({ transferId, type, at, elapsedMs, ...rest }) => rest)).toEqual([
      { destinationKind: 'phone', destinationMasked: '+1********34', 'lk.pii.destination': '+15125551234' },
      { destinationKind: 'extension', destinationMasked: 'ext:***2', 'lk.pii.destination': 'ext:1002' },
      {
        destinationKind: 'sip',
        destinationMasked: 'sip:***@carrier.example.com:5061;transport=tls',
        'lk.pii.destination': 'sip:+15125551234@carrier.example.com:5061;transport=tls',
      },
      { reason: 'busy', sipStatus: 486, sipReason: 'Busy Here', 'lk.pii.error': 'SIP call failed: 486 Busy Here to=+15125551234' },
      { reason: 'dial_failed', sipStatus: null, 'lk.pii.error': 'no route to sip:+15125551234@carrier.example.com' },
      { effect: 'dial', errorType: 'TypeError', 'lk.pii.error': 'bad number +15125551234' },
    ]);
    expect(personalDataOutsidePii(entries, ['+15125551234', '1002'])).toEqual([]);
  });

  it('masks all but the last two characters, and never more than a third of them', () => {
    expect(['5125551234', '100234', '1002', '123', '12', '7', ''].map(mask)).toEqual(['********34', '****34', '***2', '**3', '**', '*', '']);
  });

  it('gives an error its type in plain and its text (with the stack, for a log) under lk.pii', () => {
    expect(errorFields('plain text with +15125551234')).toEqual({ errorType: 'string', 'lk.pii.error': 'plain text with +15125551234' });
    const withStack = errorFields(new RangeError('no destination'), { stack: true });
    expect(withStack.errorType).toBe('RangeError');
    expect(withStack['lk.pii.error']).toMatch(/^RangeError: no destination\n\s+at /);
  });
});

describe('withoutPii, the one scrubber of streams, webhooks and the API', () => {
  it('drops lk.pii.* keys at any depth and keeps everything else as it was', () => {
    const event = {
      id: 'e1',
      type: 'message.taken',
      at: '2026-01-01T00:00:00.000Z',
      data: { name: 'Dana', callbackNumber: '+15125550142', 'lk.pii.caller_number': '+15125550199', list: [{ 'lk.pii.room_name': 'call_x', kept: 1 }] },
      'lk.pii.error': 'quoted',
    };
    expect(withoutPii(event)).toEqual({
      id: 'e1',
      type: 'message.taken',
      at: '2026-01-01T00:00:00.000Z',
      data: { name: 'Dana', callbackNumber: '+15125550142', list: [{ kept: 1 }] },
    });
    expect(event.data['lk.pii.caller_number']).toBe('+15125550199'); // the input is not changed
    expect(withoutPii('text')).toBe('text');
    expect(withoutPii(null)).toBeNull();
  });
});
