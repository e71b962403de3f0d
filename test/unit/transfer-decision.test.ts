// The person's keys and words become one decision event (decision.ts), so the machine sees a single kind of
// decision whichever way it was given.
import { describe, expect, it } from 'vitest';
import { keyDecision, spokenDecision, UNBRIEFED_ACCEPT } from '../../agent/transfer/decision.ts';

describe('the decision: keys and words into one event', () => {
  it.each([
    ['1', { type: 'decision', choice: 'accept', source: 'keypad' }],
    ['9', { type: 'decision', choice: 'reject', source: 'keypad' }],
    ['0', { type: 'invalid_key', digit: '0' }],
    ['5', { type: 'invalid_key', digit: '5' }],
    ['#', { type: 'invalid_key', digit: '#' }],
  ])('key %s', (digit, event) => {
    expect(keyDecision(digit)).toEqual(event);
  });

  it.each([
    ['accept', { type: 'decision', choice: 'accept', source: 'voice' }],
    ['reject', { type: 'decision', choice: 'reject', source: 'voice' }],
    ['voicemail', { type: 'voicemail' }],
  ] as const)('spoken %s', (decision, event) => {
    expect(spokenDecision(decision)).toEqual(event);
  });

  it('an ordinary transfer, with nobody to brief, is accepted at the answer as a keypad decision', () => {
    expect(UNBRIEFED_ACCEPT).toEqual({ type: 'decision', choice: 'accept', source: 'keypad' });
  });
});
