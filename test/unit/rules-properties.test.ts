// Properties of the default-deny rules reader, searched by fast-check over generated wordings:
//   - plain transfer sentences (any condition, lead-in, verb form and number format) are dialable;
//   - adding any prohibitive word or phrase, at any word boundary, leaves nothing in the sentence dialable;
//   - a sentence with a negation in it never makes anything dialable, whatever else it says;
//   - any text at all is read without throwing, and the reader's time grows linearly with the text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalDestination, parseDestination } from '../../settings/destination.ts';
import { allowedDestinations, compilePlan } from '../../settings/rules/plan.ts';

const digits = (min: number, max: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(''));
const nanp = fc.tuple(fc.integer({ min: 2, max: 9 }), digits(2, 2), fc.integer({ min: 2, max: 9 }), digits(2, 2), digits(4, 4));

/** A destination as an operator might write it, with its canonical form. */
const destination = fc.oneof(
  digits(2, 6).map((n) => ({ written: `ext:${n}`, canonical: `ext:${n}` })),
  digits(2, 6).map((n) => ({ written: `pbx:${n}`, canonical: `ext:${n}` })),
  fc.tuple(nanp, fc.integer({ min: 0, max: 6 })).map(([[a, b, c, d, e], form]) => {
    const area = `${a}${b}`;
    const exchange = `${c}${d}`;
    const written = [
      `+1${area}${exchange}${e}`,
      `+1 ${area} ${exchange} ${e}`,
      `(${area}) ${exchange}-${e}`,
      `${area}.${exchange}.${e}`,
      `1-${area}-${exchange}-${e}`,
      `${area}${exchange}${e}`,
      `+1 (${area}) ${exchange}-${e}`,
    ][form]!;
    return { written, canonical: `+1${area}${exchange}${e}` };
  }),
  fc.constantFrom('sales', 'desk', 'eric', 'mgr').map((u) => ({ written: `sip:${u}@pbx.example.com`, canonical: `sip:${u}@pbx.example.com` })),
);

const conditions = fc.constantFrom(
  '',
  'If the caller has a billing dispute, ',
  'When the caller asks for Eric, ',
  'For billing, ',
  'If it is after hours, ',
  'During business hours, ',
  'If the caller wants a manager, ',
  'Billing disputes: ',
  'If the caller has a billing dispute ',
);
const leadIns = fc.constantFrom('', 'please ', 'always ', 'you should ', 'immediately ', 'just ');
const frames = fc.constantFrom(
  'warm transfer to D',
  'transfer them to D',
  'transfer the caller to D',
  'put them through to D',
  'send the caller to D',
  'forward billing calls to D',
  'connect the caller to D',
  'put the caller through to the billing team at D',
  'try D',
  'transfer the call to Eric at D',
);
const tails = fc.constantFrom('', ' right away', ' if they ask for billing', ' during business hours');
const ends = fc.constantFrom('.', '', '!');

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A sentence that instructs a transfer to its destination and says nothing against it. */
const dialableSentence = fc.tuple(conditions, leadIns, frames, destination, tails, ends).map(([condition, leadIn, frame, d, tail, end]) => ({
  text: capital(`${condition}${leadIn}${frame.replace('D', d.written)}${tail}${end}`),
  destination: d.canonical,
}));

const PROHIBITIVE = [
  'never',
  'not',
  'no',
  'do not',
  "don't",
  'dont',
  'don\u2019t',
  'must not',
  'should not',
  'may not',
  'cannot',
  "can't",
  "won't",
  "shouldn't",
  "mustn't",
  'under no circumstances',
  'is forbidden',
  'is strictly forbidden',
  'forbidden',
  'is prohibited',
  'prohibited',
  'is not allowed',
  'not permitted',
  'banned',
  'blocked',
  'off-limits',
  'off limits',
  'no longer',
  'at no time',
  'absolutely not',
  'never ever',
  'by no means',
  'on no account',
  'in no case',
  "isn't allowed",
  'NEVER',
  'DO NOT',
  'except',
  'other than',
  'instead of',
  'avoid',
  'refrain from',
  'stop',
  'nobody',
  'nothing',
  'disallowed',
  'is disabled',
  'was decommissioned',
  'against policy',
];

const dialable = (text: string): string[] => {
  const compiled = compilePlan(text);
  return compiled.ok ? allowedDestinations(compiled.plan).map(canonicalDestination) : [];
};

describe('properties of the rules reader', () => {
  it('reads every plain transfer sentence as dialable', () => {
    fc.assert(
      fc.property(dialableSentence, ({ text, destination: d }) => {
        expect(parseDestination(d).ok).toBe(true);
        expect(dialable(text)).toEqual([d]);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves nothing dialable once any prohibitive word or phrase is added, at any word boundary', () => {
    fc.assert(
      fc.property(dialableSentence, fc.constantFrom(...PROHIBITIVE), fc.nat(), ({ text }, phrase, at) => {
        const words = text.split(' ');
        const where = at % (words.length + 1);
        const changed = [...words.slice(0, where), phrase, ...words.slice(where)].join(' ');
        expect(dialable(changed), changed).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves nothing dialable when a prohibitive sentence answers or points back at it', () => {
    fc.assert(
      fc.property(
        dialableSentence,
        fc.constantFrom(
          'Never.',
          'No!',
          'Absolutely not.',
          'Not allowed.',
          'Never transfer there.',
          'Do not call that number.',
          "Don't transfer them.",
          'Never transfer there, use ext:1009.',
        ),
        // On the same line, the next line, after a blank line, as the next list item (text.ts keeps them together).
        fc.constantFrom(' ', '\n', '\r\n', '\n\n', '\n- '),
        fc.boolean(),
        ({ text }, answer, between, stop) => {
          const end = /[.!]$/.test(text) || (!stop && between !== ' ') ? '' : '.';
          const written = `${between === '\n- ' ? '- ' : ''}${text}${end}${between}${answer}`;
          expect(dialable(written), written).toEqual([]);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('never makes anything dialable from a sentence that holds a negation, whatever else it says', () => {
    const vocabulary = fc.constantFrom(
      'transfer',
      'warm',
      'to',
      'put',
      'them',
      'through',
      'send',
      'the',
      'caller',
      'try',
      'call',
      'if',
      'when',
      'billing',
      'or',
      'and',
      'otherwise',
      'then',
      'is',
      'are',
      'should',
      'be',
      'transferred',
      ',',
      ':',
      '-',
      'please',
      'always',
      'ext:1002',
      'ext:1999',
      '+15125551234',
      '(512) 555-1000',
      'sip:a@pbx.example.com',
      'busy',
      'unavailable',
    );
    const negation = fc.constantFrom(...PROHIBITIVE.filter((p) => !['stop'].includes(p)));
    fc.assert(
      fc.property(fc.array(vocabulary, { maxLength: 16 }), negation, fc.array(vocabulary, { maxLength: 16 }), (before, neg, after) => {
        const sentence = [...before, neg, ...after].join(' ');
        expect(dialable(sentence), sentence).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads any text without throwing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (text) => {
        const compiled = compilePlan(text);
        expect(compiled.ok ? compiled.plan.rules : compiled.errors).toBeInstanceOf(Array);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the reader on hostile lengths', () => {
  // Patterns that make a backtracking or pairwise reader quadratic: long runs with no comma, no sentence
  // end and no match; long lists of distinct destinations; many rules that allow and forbid.
  const HOSTILE: Array<[string, (i: number) => string]> = [
    ['if they', () => 'if they '],
    ['unless the caller', () => 'unless the caller '],
    ['transfer', () => 'transfer '],
    ['ask the', () => 'ask the '],
    ['digit pairs', () => '1 2 '],
    ['never', () => 'never '],
    ['confirm ask check', () => 'confirm ask check '],
    ['or if they are busy', () => 'or if they are busy '],
    ['parentheses', () => '(((('],
    ['dashes', () => '-a-a-a'],
    ['put them through', () => 'put them through '],
    ['the same extension', () => 'ext:1 '],
    ['a list of alternatives', (i) => (i === 0 ? 'Transfer to ' : `ext:${i}, `)],
    ['a list of forbidden extensions', (i) => (i === 0 ? 'Never transfer to ' : `ext:${i} or `)],
    ['a chain of fallbacks', (i) => (i === 0 ? 'Transfer to ext:1' : `, otherwise ext:${i + 1}`)],
    ['many rules', (i) => `If b${i}, transfer to ext:${i}. Never transfer to ext:${i + 1}.\n\n`],
    // One line of many sentences that may each start a rule (text.ts reads each piece a few times).
    ['many rules on one line', (i) => `If b${i}, transfer to ext:${i}. Never transfer to ext:${i + 1}. `],
    ['answers on one line', (i) => `If b${i}, transfer to ext:${i}. Never. `],
    // Lines that begin with a rule word are pieces too, and answers after blank lines or as list items join the rule they answer.
    ['many rules on lines', (i) => `If b${i}, transfer to ext:${i}\nNever transfer to ext:${i + 1}\n`],
    ['answers on lines', (i) => `If b${i}, transfer to ext:${i}.\nNever.\n`],
    ['answers as list items', (i) => `- If b${i}, transfer to ext:${i}.\n- Never transfer there.\n`],
    ['answers after guidance paragraphs', (i) => (i === 0 ? 'If b, transfer to ext:1.\n\n' : 'Be kind.\n\nNever.\n\n')],
    ['guidance lines', () => 'If the caller is upset, apologise.\n'],
    ['quoted sentence ends before rule words', () => '"x." If '],
    ['stops', () => '. '],
  ];
  const textOf = (piece: (i: number) => string, length: number) => {
    const parts: string[] = [];
    for (let i = 0, size = 0; size < length; i++) {
      const part = piece(i);
      parts.push(part);
      size += part.length;
    }
    return parts.join('');
  };
  const timeOf = (text: string) => {
    const started = performance.now();
    compilePlan(text);
    return performance.now() - started;
  };

  // An absolute bound, not a timed target: a linear reader takes well under half a second for 128 k
  // characters on the 2-core machine; the quadratic reader it replaced took about 3 s for 40 k (so some
  // 30 s here). The bound sits far from both.
  it.each(HOSTILE)('reads 128 k characters of %s in a time linear in their length', (_, piece) => {
    expect(timeOf(textOf(piece, 128_000))).toBeLessThan(4_000);
  });
});
