// How rules text is split into rules and what else each rule carries: labels and "confirm first".
import { describe, expect, it } from 'vitest';
import { compilePlan, type TransferPlan } from '../../settings/rules/plan.ts';
import { splitRules } from '../../settings/rules/text.ts';

function planOf(text: string): TransferPlan {
  const compiled = compilePlan(text);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return compiled.plan;
}

describe('splitting rules', () => {
  it.each([
    ['one rule per line', 'If billing, transfer to ext:1.\nIf sales, transfer to ext:2.', 2],
    ['blank lines', 'If billing, transfer to ext:1.\n\n\nIf sales, transfer to ext:2.', 2],
    ['list markers', '- billing: transfer to ext:1\n* sales: transfer to ext:2\n3) support: transfer to ext:3', 3],
    ['When', 'When the caller asks for billing, transfer to ext:1.\nWhen they need sales, transfer to ext:2.', 2],
    ['Never on a line of its own', 'If billing, transfer to ext:1.\nNever transfer to ext:9.', 2],
    ['Windows line ends', 'If billing, transfer to ext:1.\r\n\r\nIf sales, transfer to ext:2.', 2],
    ['a fallback on a line of its own', 'If sales, transfer to ext:2001.\nOtherwise transfer to ext:2002.', 1],
    ['a fallback list item', '- If sales, transfer to ext:2001.\n- If they are busy, transfer to ext:2002.', 1],
    ['empty text', '  \n\n ', 0],
  ])('splits on %s', (_, text, count) => {
    expect(splitRules(text)).toHaveLength(count);
  });

  it('keeps a continuation line in the rule above it', () => {
    expect(
      splitRules('If the caller asks for Eric, warm transfer to +15125551234.\nFirst confirm with the caller that they would like to be transferred.'),
    ).toEqual(['If the caller asks for Eric, warm transfer to +15125551234. First confirm with the caller that they would like to be transferred.']);
  });
});

// Several rules on one line: a sentence that starts with a rule-starting word after a sentence end starts a
// rule, unless it continues the one before (fallback wording, an answer to it, nothing of its own).
const ONE_LINE: Array<[string, string, string[]]> = [
  // The bug: two, three and four rules on one line.
  [
    'two rules',
    'If billing, warm transfer to ext:1001. If sales, warm transfer to ext:1002.',
    ['If billing, warm transfer to ext:1001.', 'If sales, warm transfer to ext:1002.'],
  ],
  [
    'a prohibition first',
    'Never transfer to ext:1003. If sales, warm transfer to ext:1002.',
    ['Never transfer to ext:1003.', 'If sales, warm transfer to ext:1002.'],
  ],
  [
    'three rules, with ! and ?',
    'When the caller asks for Eric, transfer to ext:1003! If sales, transfer to ext:2001? Do not transfer to ext:1999.',
    ['When the caller asks for Eric, transfer to ext:1003!', 'If sales, transfer to ext:2001?', 'Do not transfer to ext:1999.'],
  ],
  [
    'four rules, every rule-starting word',
    "If a, transfer to ext:1. When b, transfer to ext:2. Don't transfer to ext:3. Do  not transfer to ext:4.",
    ['If a, transfer to ext:1.', 'When b, transfer to ext:2.', "Don't transfer to ext:3.", 'Do  not transfer to ext:4.'],
  ],
  [
    'any case',
    'If a, transfer to ext:1. if b, transfer to ext:2. NEVER transfer to ext:3.',
    ['If a, transfer to ext:1.', 'if b, transfer to ext:2.', 'NEVER transfer to ext:3.'],
  ],
  ['a curly apostrophe', 'If a, transfer to ext:1. Don\u2019t transfer to ext:3.', ['If a, transfer to ext:1.', 'Don\u2019t transfer to ext:3.']],
  ['an ellipsis and tabs', 'If a, transfer to ext:1...\t If b, transfer to ext:2.', ['If a, transfer to ext:1...', 'If b, transfer to ext:2.']],
  // Destinations at a sentence end.
  [
    'every kind of destination at a sentence end',
    'If a, transfer to +1 (512) 555-1234. If b, transfer to sip:alice@pbx.example.com. If c, transfer to 512.555.1235. Never transfer to pbx:1002.',
    ['If a, transfer to +1 (512) 555-1234.', 'If b, transfer to sip:alice@pbx.example.com.', 'If c, transfer to 512.555.1235.', 'Never transfer to pbx:1002.'],
  ],
  // Mixed with lines, lists and continuation lines.
  [
    'one-line rules between lines',
    'If a, transfer to ext:1. If b, transfer to ext:2.\nIf c, transfer to ext:3.\n\nNever transfer to ext:4. When d, transfer to ext:5.',
    ['If a, transfer to ext:1.', 'If b, transfer to ext:2.', 'If c, transfer to ext:3.', 'Never transfer to ext:4.', 'When d, transfer to ext:5.'],
  ],
  [
    'Windows line ends',
    'If a, transfer to ext:1. If b, transfer to ext:2.\r\nNever transfer to ext:3.',
    ['If a, transfer to ext:1.', 'If b, transfer to ext:2.', 'Never transfer to ext:3.'],
  ],
  [
    'list items of two sentences each',
    '- If a, transfer to ext:1. If b, transfer to ext:2.\n2) Never transfer to ext:3. Do not transfer to ext:4.',
    ['If a, transfer to ext:1.', 'If b, transfer to ext:2.', 'Never transfer to ext:3.', 'Do not transfer to ext:4.'],
  ],
  [
    'a continuation line goes with the last rule of the line above',
    'If a, transfer to ext:1. If b, transfer to ext:2.\nFirst confirm with the caller.',
    ['If a, transfer to ext:1.', 'If b, transfer to ext:2. First confirm with the caller.'],
  ],
  [
    'a fallback line goes with the last rule of the line above',
    'If a, transfer to ext:1. If b, transfer to ext:2.\nOtherwise transfer to ext:3.',
    ['If a, transfer to ext:1.', 'If b, transfer to ext:2. Otherwise transfer to ext:3.'],
  ],
  [
    'a fallback list item holding the next rule',
    '- If sales, transfer to ext:2001.\n- If they are busy, transfer to ext:2002. If billing, transfer to ext:1001.',
    ['If sales, transfer to ext:2001. If they are busy, transfer to ext:2002.', 'If billing, transfer to ext:1001.'],
  ],
  // Fallback wording on the same line stays with its rule.
  ...(
    [
      "If they don't answer, try ext:2002.",
      'If they don\u2019t pick up, transfer to ext:2002.',
      'If not, try ext:2002.',
      'If that fails, try ext:2002.',
      'If nobody answers, transfer to ext:2002.',
      'If no one picks up, transfer to ext:2002.',
      'If she declines, transfer to ext:2002.',
      'If ext:2001 is busy, try ext:2002.',
      'If the line is busy, transfer to ext:2002.',
    ] as const
  ).map((fallback): [string, string, string[]] => [
    `the fallback ${JSON.stringify(fallback)}`,
    `If sales, transfer to ext:2001. ${fallback} If billing, transfer to ext:1001.`,
    [`If sales, transfer to ext:2001. ${fallback}`, 'If billing, transfer to ext:1001.'],
  ]),
  // Closing quotes and brackets.
  [
    'a closing quote',
    'Tell them "one moment, please." If billing, transfer to ext:1001.',
    ['Tell them "one moment, please."', 'If billing, transfer to ext:1001.'],
  ],
  ['curly quotes', 'Tell them \u201chold on.\u201d If billing, transfer to ext:1001.', ['Tell them \u201chold on.\u201d', 'If billing, transfer to ext:1001.']],
  [
    'a closing bracket',
    '(If billing, transfer to ext:1001.) If sales, transfer to ext:1002.',
    ['(If billing, transfer to ext:1001.)', 'If sales, transfer to ext:1002.'],
  ],
  ['a question, then "If so"', 'Is the caller a VIP? If so, transfer to ext:9.', ['Is the caller a VIP?', 'If so, transfer to ext:9.']],
  // Not a sentence end: abbreviations (whatever the case after them), decimals, no space.
  ['e.g. if', 'For urgent calls, e.g. if the caller is angry, transfer to ext:5.', ['For urgent calls, e.g. if the caller is angry, transfer to ext:5.']],
  ['i.e. If', 'For urgent calls, i.e. If the caller is angry, transfer to ext:5.', ['For urgent calls, i.e. If the caller is angry, transfer to ext:5.']],
  ['etc. If', 'For refunds, invoices etc. If sales, transfer to ext:2.', ['For refunds, invoices etc. If sales, transfer to ext:2.']],
  [
    'Dr., Mr. and St. before a name',
    'If the caller asks for Dr. Smith, transfer to ext:1. If Mr. Jones, transfer to ext:2. If St. Paul, transfer to ext:3.',
    ['If the caller asks for Dr. Smith, transfer to ext:1.', 'If Mr. Jones, transfer to ext:2.', 'If St. Paul, transfer to ext:3.'],
  ],
  [
    'decimals',
    'If the bill is over 99.50 dollars, transfer to ext:1. If sales, transfer to ext:2.',
    ['If the bill is over 99.50 dollars, transfer to ext:1.', 'If sales, transfer to ext:2.'],
  ],
  ['no space after the stop', 'If a, transfer to ext:1.If b, transfer to ext:2.', ['If a, transfer to ext:1.If b, transfer to ext:2.']],
  [
    'a word that only starts like one',
    'If a, transfer to ext:1. Iffy callers: transfer to ext:2. Whenever b, transfer to ext:3.',
    ['If a, transfer to ext:1. Iffy callers: transfer to ext:2. Whenever b, transfer to ext:3.'],
  ],
  // Every apostrophe the reader folds starts a rule in "Don't", and so does "Dont".
  ...(['\u02bc', '`', '\u00b4', '\u2018', ''] as const).map((mark): [string, string, string[]] => [
    `"Don${mark}t" (${JSON.stringify(mark)})`,
    `If a, transfer to ext:1. Don${mark}t transfer to ext:3.`,
    ['If a, transfer to ext:1.', `Don${mark}t transfer to ext:3.`],
  ]),
  // Kept with the rule before: an answer to it, nothing of its own, or read differently apart.
  ...(['Never.', 'No! Never.', 'Never transfer there.', 'Do not call that number.', "Don't put them through to it."] as const).map(
    (answer): [string, string, string[]] => [
      `the answer ${JSON.stringify(answer)}`,
      `If sales, transfer to ext:2001. ${answer} If billing, transfer to ext:1001.`,
      [`If sales, transfer to ext:2001. ${answer}`, 'If billing, transfer to ext:1001.'],
    ],
  ),
  [
    'an answer after a sentence with no destination',
    'If sales, transfer to ext:2001. If the caller is rude, end the call. Never transfer there.',
    ['If sales, transfer to ext:2001. If the caller is rude, end the call. Never transfer there.'],
  ],
  [
    'guidance with no destination',
    'If billing, transfer to ext:1. If the caller is upset, apologise first.',
    ['If billing, transfer to ext:1. If the caller is upset, apologise first.'],
  ],
  [
    'confirm-first with no destination of its own',
    'If billing, transfer to ext:1001. When transferring to ext:1001, confirm with the caller first.',
    ['If billing, transfer to ext:1001. When transferring to ext:1001, confirm with the caller first.'],
  ],
  [
    'a prohibition read on across a closing quote',
    'Never say "hello." If billing, transfer to ext:1001.',
    ['Never say "hello." If billing, transfer to ext:1001.'],
  ],
  [
    'a closing quote, then an answer to the sentence across it',
    'If billing, transfer to ext:1 "now." If sales, transfer to ext:2. Never.',
    ['If billing, transfer to ext:1 "now." If sales, transfer to ext:2. Never.'],
  ],
];

describe('splitting rules written on one line', () => {
  it.each(ONE_LINE)('%s', (_, text, rules) => {
    expect(splitRules(text)).toEqual(rules);
  });

  it.each(ONE_LINE)('reads the rules of %s back the same when each is given a paragraph of its own', (_, text, rules) => {
    expect(splitRules(splitRules(text).join('\n\n'))).toEqual(rules);
  });
});

describe('labels and confirmation', () => {
  it('labels a rule by what the caller wants', () => {
    const plan = planOf(
      'If the caller has a billing dispute, warm transfer to ext:1002.\nIf the caller asks for Eric, warm transfer to +15125551234.\nIf the caller wants to speak to a manager, transfer to ext:3000.\n\nTransfer everything else to ext:9000.',
    );
    expect(plan.rules.map((r) => r.label)).toEqual(['billing dispute', 'Eric', 'manager', undefined]);
  });

  it.each([
    ['First confirm with the caller that they would like to be transferred.', true],
    ['Check with them before transferring.', true],
    ['Ask the caller first.', true],
    ['If the caller wants to confirm an appointment, transfer to ext:5.', false],
    ['If the caller wants to check their balance, transfer to ext:5 before 5pm.', false],
  ])('reads confirmFirst from %j as %s', (sentence, confirmFirst) => {
    const text = sentence.startsWith('If') ? sentence : `If billing, transfer to ext:5. ${sentence}`;
    expect(planOf(text).rules[0]?.confirmFirst).toBe(confirmFirst);
  });
});
