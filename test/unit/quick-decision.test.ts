// The briefing's decision from plain words, taken without a model: a plain yes or no bridges or ends at once;
// anything less plain (a question, a backchannel "okay", a yes with a but) is not decided here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quickDecision } from '../../agent/transfer/briefing/quick-decision.ts';
import { agreesInLastTurns } from '../../agent/transfer/tools/consent.ts';
import { ACCEPT_PHRASES, REJECT_PHRASES } from '../../agent/conversation/speech/decision-phrases.ts';

const ACCEPTED = [
  'Yes.',
  'Yes, send them through.',
  'Sure, send them through.',
  'Go ahead.',
  'Yeah, put them on.',
  'Yes, yes, put them through please.',
  "Sure, I'll take it.",
  'Okay, connect them.',
  'Put them through, thanks.',
  'Yep.',
];
const REJECTED = ['No.', "No, I can't take this now.", 'Not now.', 'No thanks.', "Sorry, I can't.", "I'm busy.", 'Nope, not right now.', 'Decline.'];
const NEITHER = [
  'Okay.',
  'Okay, tell me more.',
  'Alright.',
  'Yes? Who is it?',
  'Yes?',
  'Who is calling?',
  'Yes, no, wait.',
  'Yes, but not now.',
  "Yes, I can't.",
  "Don't put them through.",
  'Do not send them through.',
  'Never put them through.',
  'Put them through? No.',
  'Hello?',
  'Hello.',
  'Thank you.',
  '',
  '   ',
  'Send them through to voicemail.',
  'Yes, send them through to Bob instead.',
  'Hi, you have reached the voicemail of John Smith. Please leave a message after the tone.',
  'Can you put them on hold?',
  'No, yes, go ahead.',
  'Wait, put them through.',
  'Hold on, yes.',
];

describe('quickDecision', () => {
  it.each(ACCEPTED)('accepts %j', (text) => expect(quickDecision(text)).toBe('accept'));
  it.each(REJECTED)('rejects %j', (text) => expect(quickDecision(text)).toBe('reject'));
  it.each(NEITHER)('leaves %j undecided', (text) => expect(quickDecision(text)).toBeUndefined());

  it('every listed phrase decides as its list says', () => {
    for (const phrase of ACCEPT_PHRASES.filter((p) => !['okay'].includes(p))) expect(quickDecision(phrase), phrase).toBe('accept');
    for (const phrase of REJECT_PHRASES) expect(quickDecision(phrase), phrase).toBe('reject');
  });

  it('a quick accept always passes the consent check a model accept must pass', () => {
    const word = fc.constantFrom(
      'yes',
      'no',
      'sure',
      'okay',
      'not',
      'send',
      'them',
      'through',
      'please',
      'wait',
      "don't",
      'never',
      'who',
      'put',
      'on',
      'take',
      'it',
      '?',
      ',',
      '.',
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (words) => {
        const text = words.join(' ');
        if (quickDecision(text) === 'accept') expect(agreesInLastTurns([text])).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('words that refuse or doubt never accept, whatever surrounds them', () => {
    const around = fc.array(fc.constantFrom(...ACCEPT_PHRASES, 'yes', 'please', 'thanks'), { maxLength: 3 });
    const refusing = fc.constantFrom('no', 'not', "don't", 'never', 'wait', 'hold on', "can't", 'stop', 'who is it?', 'why?');
    fc.assert(
      fc.property(around, refusing, around, (before, word, after) => {
        expect(quickDecision([...before, word, ...after].join(' '))).not.toBe('accept');
      }),
      { numRuns: 3000 },
    );
  });
});
