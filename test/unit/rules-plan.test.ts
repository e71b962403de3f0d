// The transfer plan compiled from Warm Transfer Rules: a table of rule texts as operators write them, each
// with the plan it must give (chains per rule, the denylist, confirm-first, warnings, errors).
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { canonicalDestination } from '../../settings/destination.ts';
import { compilePlan, planFor, type TransferPlan } from '../../settings/rules/plan.ts';
import { readBack } from '../../settings/rules/read-back.ts';

interface Expected {
  /** Per rule: its chains, each written canonically and joined by ' > ' (first choice > fallback). */
  rules: string[][];
  never?: string[];
  confirm?: boolean[];
  /** Substrings, one per warning, in order. */
  warnings?: string[];
  /** Named but never dialled (the read-back's own heading), canonically, in order. */
  notDialled?: string[];
}

function planOf(text: string): TransferPlan {
  const compiled = compilePlan(text);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return compiled.plan;
}

function shape(plan: TransferPlan) {
  return {
    rules: plan.rules.map((r) => r.chains.map((chain) => chain.map(canonicalDestination).join(' > '))),
    never: plan.forbidden.map(canonicalDestination),
  };
}

const notDialled = (plan: TransferPlan) => (plan.notDialled ?? []).map((n) => canonicalDestination(n.destination));

const ISSUE_EXAMPLE = `If the caller has a billing dispute, warm transfer to ext:1002.

Never transfer calls to ext:1999 or to +15125559999.

If the caller asks for Eric, warm transfer to +15125551234. Do not transfer to +15125550000 after hours.`;

const TABLE: Array<[string, string, Expected]> = [
  // The issue's example and the product's own.
  // "Do not transfer ..." after Eric's rule on the same line is a rule of its own (text.ts): the denylist is the same.
  ['the issue example', ISSUE_EXAMPLE, { rules: [['ext:1002'], [], ['+15125551234'], []], never: ['ext:1999', '+15125559999', '+15125550000'] }],
  [
    'the product example',
    'If the caller has a billing dispute, warm transfer to ext:1002.\n\nIf the caller asks for Eric, warm transfer to +15125551234.\nFirst confirm with the caller that they would like to be transferred.',
    { rules: [['ext:1002'], ['+15125551234']], confirm: [false, true] },
  ],
  // Negations, in each wording.
  ['never', 'Never transfer to ext:1999.', { rules: [[]], never: ['ext:1999'] }],
  ['do not', 'If the caller asks for sales, transfer to ext:2001. Do not transfer to ext:2009.', { rules: [['ext:2001'], []], never: ['ext:2009'] }],
  ["don't", "If billing, transfer to ext:1002. Don't send anyone to ext:1003.", { rules: [['ext:1002'], []], never: ['ext:1003'] }],
  ['curly don’t', 'If billing, transfer to ext:1002. Don\u2019t transfer to ext:1003.', { rules: [['ext:1002'], []], never: ['ext:1003'] }],
  // A sentence that forbids anything makes nothing in it dialable: default deny.
  ['not to', 'For billing, transfer to ext:1002, not to ext:1003.', { rules: [[]], never: ['ext:1003'], notDialled: ['ext:1002'] }],
  ['except', 'If the caller needs sales, transfer to ext:2001, except ext:2009.', { rules: [[]], never: ['ext:2009'], notDialled: ['ext:2001'] }],
  ['other than', 'Transfer to anyone other than ext:2009.', { rules: [[]], never: ['ext:2009'], warnings: [] }],
  ['unless ... not', 'Unless the caller is a partner, do not transfer to ext:1500.', { rules: [[]], never: ['ext:1500'] }],
  ['unless with the negation inside', 'Unless it is not an emergency, ext:1500 is the line to use.', { rules: [[]], never: ['ext:1500'] }],
  ['instead of', 'If the caller asks for Ann, transfer to ext:1004 instead of ext:1003.', { rules: [[]], never: ['ext:1003'], notDialled: ['ext:1004'] }],
  ['instead of first', 'Instead of ext:1003, transfer support calls to ext:1004.', { rules: [[]], never: ['ext:1003'], notDialled: ['ext:1004'] }],
  [
    'instead, in a sentence of its own',
    'Do not transfer to ext:1003. Transfer support calls to ext:1004 instead.',
    { rules: [['ext:1004']], never: ['ext:1003'] },
  ],
  ['no longer', 'If the caller asks for Bob, transfer to ext:1005. Bob no longer takes calls at ext:1006.', { rules: [['ext:1005']], never: ['ext:1006'] }],
  [
    'is no longer in use',
    'If the caller asks for support, transfer to ext:3000. ext:3001 is no longer in use.',
    { rules: [['ext:3000']], never: ['ext:3001'] },
  ],
  ['are not allowed, for a list', 'Calls to ext:1998 or ext:1999 are not allowed.', { rules: [[]], never: ['ext:1998', 'ext:1999'] }],
  ['must never', 'If sales, transfer to ext:2001. Calls must never go to +1 512 555 0199.', { rules: [['ext:2001']], never: ['+15125550199'] }],
  ['cannot', 'If sales, transfer to ext:2001. You cannot transfer to ext:2002.', { rules: [['ext:2001']], never: ['ext:2002'] }],
  ['never with a condition after it', 'Never transfer to ext:1999 if it is after hours.', { rules: [[]], never: ['ext:1999'] }],
  ['but not', 'If sales, transfer to ext:2001 or ext:2002 but not ext:2003.', { rules: [[]], never: ['ext:2003'], notDialled: ['ext:2001', 'ext:2002'] }],
  // A negation in a condition forbids nothing, but the reader cannot tell it from one that does: not dialled.
  ['a negation in the condition', "If the caller doesn't speak English, transfer to ext:4000.", { rules: [[]], notDialled: ['ext:4000'] }],
  ['never in the condition', 'If the caller has never called before, warm transfer to ext:5000.', { rules: [[]], notDialled: ['ext:5000'] }],
  ['the same condition said positively', "If this is the caller's first call, warm transfer to ext:5000.", { rules: [['ext:5000']] }],
  ['not in the condition', 'If the caller is not a customer, transfer to +1 (512) 555-0123.', { rules: [[]], notDialled: ['+15125550123'] }],
  // Several destinations in one sentence.
  ['alternatives, not fallbacks', 'If the caller needs sales, transfer to ext:2001 or ext:2002.', { rules: [['ext:2001', 'ext:2002']] }],
  ['a list of alternatives', 'For support, transfer to ext:3001, ext:3002 or ext:3003.', { rules: [['ext:3001', 'ext:3002', 'ext:3003']] }],
  [
    'two instructions in one sentence',
    'If the caller asks for Eric, transfer to +15125551234; if they ask for Ann, transfer to ext:1003.',
    { rules: [['+15125551234', 'ext:1003']] },
  ],
  [
    'a number after the destination is not a fallback',
    'If billing, transfer to ext:1002 and tell them our fax is 512-555-0177.',
    { rules: [['ext:1002']], notDialled: ['+15125550177'] },
  ],
  [
    'allowed and forbidden in one sentence',
    'Transfer billing calls to ext:1002, never to ext:1999.',
    { rules: [[]], never: ['ext:1999'], notDialled: ['ext:1002'] },
  ],
  [
    'allowed and forbidden in two sentences',
    'Transfer billing calls to ext:1002. Never transfer to ext:1999.',
    { rules: [['ext:1002'], []], never: ['ext:1999'] },
  ],
  // Fallbacks, in each wording.
  [
    'or if they are unavailable',
    'If the caller needs sales, warm transfer to ext:2001, or if they are unavailable to ext:2002.',
    { rules: [['ext:2001 > ext:2002']] },
  ],
  ['or if they are busy, comma', 'If sales, transfer to ext:2001, or if they are busy, to ext:2002.', { rules: [['ext:2001 > ext:2002']] }],
  ["if they don't answer", "If sales, transfer to ext:2001. If they don't answer, try ext:2002.", { rules: [['ext:2001 > ext:2002']] }],
  ['otherwise', 'If sales, transfer to ext:2001, otherwise ext:2002.', { rules: [['ext:2001 > ext:2002']] }],
  ['otherwise on the next line', 'If sales, transfer to ext:2001.\nOtherwise transfer to ext:2002.', { rules: [['ext:2001 > ext:2002']] }],
  ['then try', 'If the caller needs support, transfer to ext:3001, then try +1-512-555-0150.', { rules: [['ext:3001 > +15125550150']] }],
  ['if busy, naming the first', 'If sales, transfer to ext:2001. If ext:2001 is busy, try ext:2002.', { rules: [['ext:2001 > ext:2002']] }],
  [
    'a chain of three',
    'If the caller needs sales, transfer to ext:2001, or if unavailable ext:2002, and failing that +15125550160.',
    { rules: [['ext:2001 > ext:2002 > +15125550160']] },
  ],
  ['a fallback line as a list item', '- If sales, transfer to ext:2001.\n- If they do not answer, transfer to ext:2002.', { rules: [['ext:2001 > ext:2002']] }],
  // Numbers in every US notation.
  ['E.164', 'If Eric, transfer to +15125551234.', { rules: [['+15125551234']] }],
  ['+1 with spaces', 'If Eric, transfer to +1 512 555 1234.', { rules: [['+15125551234']] }],
  ['parentheses', 'If Eric, transfer to (512) 555-1234.', { rules: [['+15125551234']] }],
  ['dots', 'If Eric, transfer to 512.555.1234.', { rules: [['+15125551234']] }],
  ['dashes with a 1', 'If Eric, transfer to 1-512-555-1234.', { rules: [['+15125551234']] }],
  ['ten digits', 'If Eric, transfer to 5125551234.', { rules: [['+15125551234']] }],
  ['+1 and parentheses', 'If Eric, transfer to +1 (512) 555-1234.', { rules: [['+15125551234']] }],
  // Other destinations.
  [
    'pbx: and a SIP address',
    'If the caller wants a manager, transfer to pbx:3000, or if busy to sip:mgr@pbx.example.com;transport=tcp.',
    { rules: [['ext:3000 > sip:mgr@pbx.example.com;transport=tcp']] },
  ],
  ['try without transfer', 'If the team cannot help, try ext:4000.', { rules: [[]], notDialled: ['ext:4000'] }],
  ['try, said positively', 'If the team is stuck, try ext:4000.', { rules: [['ext:4000']] }],
  // Destinations in conditions, guidance and warnings.
  [
    "the caller's number in the condition",
    'If the caller is calling from 512-555-0000, transfer to ext:9.',
    { rules: [['ext:9']], notDialled: ['+15125550000'] },
  ],
  ['guidance only', 'If the caller declines the transfer, take a message.', { rules: [[]], warnings: ['rule 1 names no destination'] }],
  ['a negated transfer with no destination', 'Never transfer calls to the CEO.', { rules: [[]], warnings: ['forbids a transfer but names no destination'] }],
  ['short numbers are not destinations', 'If billing, transfer to ext:1002 within 30 seconds, up to 3 times.', { rules: [['ext:1002']] }],
  // Rules written as lists.
  [
    'a dashed list',
    '- If billing, transfer to ext:1002.\n- Never transfer to ext:1999.\n- If sales, transfer to ext:2001.',
    { rules: [['ext:1002'], [], ['ext:2001']], never: ['ext:1999'] },
  ],
  [
    'a numbered list',
    '1. If billing, transfer to ext:1002.\n2) If sales, transfer to ext:2001, otherwise ext:2002.',
    { rules: [['ext:1002'], ['ext:2001 > ext:2002']] },
  ],
  [
    'bullets with a continuation',
    '• If the caller asks for Eric, warm transfer to +15125551234.\n  Ask the caller first.',
    { rules: [['+15125551234']], confirm: [true] },
  ],
];

describe('the transfer plan of rules as operators write them', () => {
  it('has at least 40 rule texts', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(TABLE)('%s', (_, text, expected) => {
    const plan = planOf(text);
    expect(shape(plan)).toEqual({ rules: expected.rules, never: expected.never ?? [] });
    expect(notDialled(plan)).toEqual(expected.notDialled ?? []);
    if (expected.confirm) expect(plan.rules.map((r) => r.confirmFirst)).toEqual(expected.confirm);
    const warnings = expected.warnings ?? [];
    expect(plan.warnings).toHaveLength(warnings.length);
    warnings.forEach((w, i) => expect(plan.warnings[i]).toContain(w));
  });
});

describe('rules in YAML block text', () => {
  it.each([
    ['a literal block (|)', 'rules: |\n  If the caller has a billing dispute, warm transfer to ext:1002.\n\n  Never transfer calls to ext:1999.\n'],
    ['a folded block (>)', 'rules: >\n  If the caller has a billing dispute,\n  warm transfer to ext:1002.\n\n  Never transfer calls to ext:1999.\n'],
  ])('reads %s', (_, yaml) => {
    const { rules } = parseYaml(yaml) as { rules: string };
    expect(shape(planOf(rules))).toEqual({ rules: [['ext:1002'], []], never: ['ext:1999'] });
  });
});

describe('errors', () => {
  it.each([
    [
      'allowed by one rule and forbidden by another',
      'If billing, transfer to ext:1002.\n\nNever transfer to ext:1002.',
      ["ext:1002 is a destination of rule 1 and forbidden by rule 2 ('Never transfer to ext:1002.'); say one or the other"],
    ],
    [
      'allowed and forbidden by the same rule',
      'If billing, transfer to ext:1002. Calls must never go to pbx:1002.',
      ["rule 1 both names ext:1002 as a destination and forbids it ('Calls must never go to pbx:1002.'); say one or the other"],
    ],
    [
      'allowed, then forbidden by a rule on the same line',
      'If billing, transfer to ext:1002. Never transfer to pbx:1002.',
      ["ext:1002 is a destination of rule 1 and forbidden by rule 2 ('Never transfer to pbx:1002.'); say one or the other"],
    ],
    [
      'a fallback forbidden by another rule',
      'If sales, transfer to ext:2001, otherwise +1 512 555 0000.\n\nDo not transfer to 512-555-0000.',
      ["+15125550000 is a destination of rule 1 and forbidden by rule 2 ('Do not transfer to 512-555-0000.'); say one or the other"],
    ],
    [
      'a non-US number',
      'If London, warm transfer to +44 20 7946 0958.',
      ["rule 1: '+44 20 7946 0958' is not a US phone number: only +1 numbers can be dialled"],
    ],
    [
      'a vanity number',
      'If flowers, transfer to 1-800-FLOWERS.',
      ["rule 1: '1-800-FLOWERS' is not a phone number: it contains letters; write the number as digits"],
    ],
    [
      'a transfer with no destination',
      'If billing, transfer to ext:1.\n\nIf the caller wants a human, transfer them to someone nice.',
      ["rule 2: it says 'transfer to' but names no destination (write ext:1002, a US phone number or a sip: address)"],
    ],
    [
      'an injected SIP header',
      'If sales, transfer to sip:sales@pbx.example.com?X-Evil=1.',
      ["rule 1: 'sip:sales@pbx.example.com?X-Evil=1' is not an allowed SIP address: SIP headers (after '?') are not allowed"],
    ],
    ['a seven-digit number', 'If support, transfer to 555-1234.', ["rule 1: '555-1234' has 7 digits: a US phone number has 10, or 11 starting with 1"]],
  ])('%s', (_, text, errors) => {
    expect(compilePlan(text)).toEqual({ ok: false, errors });
  });

  it('a forbidden destination that could not be dialled anyway is a warning, not an error', () => {
    const plan = planOf('If billing, transfer to ext:1002. Never transfer to +44 20 7946 0958.');
    expect(shape(plan)).toEqual({ rules: [['ext:1002'], []], never: [] });
    expect(plan.warnings).toEqual([
      "rule 2: '+44 20 7946 0958' is not a US phone number: only +1 numbers can be dialled (it is forbidden, so nothing changes)",
    ]);
  });
});

describe('what the tools obey', () => {
  const plan = planOf(`${ISSUE_EXAMPLE}\n\nIf the caller needs sales, transfer to ext:2001, or if they are unavailable to ext:2002.`);

  it.each([['ext:1999'], ['pbx:1999'], ['+1 512 555 9999'], ['(512) 555-0000'], ['+15125550000'], ['ext:1003'], ['sip:1002@pbx.example.com'], ['']])(
    'refuses %j',
    (raw) => {
      expect(planFor(plan, raw)).toBeUndefined();
    },
  );

  it('gives the chain from the destination asked for, and no fallback the wording does not name', () => {
    const chain = (raw: string) => planFor(plan, raw)?.chain.map(canonicalDestination);
    expect(chain('512.555.1234')).toEqual(['+15125551234']);
    expect(chain('pbx:1002')).toEqual(['ext:1002']);
    expect(chain('ext:2001')).toEqual(['ext:2001', 'ext:2002']);
    expect(chain('ext:2002')).toEqual(['ext:2002']);
    expect(planFor(plan, 'ext:2001')?.rule.label).toBe('sales');
  });

  it('asks the caller first when any rule naming the destination says so', () => {
    const twice = planOf(
      'If the caller has a billing dispute, transfer to ext:1002.\n\nIf the caller asks for Ann, transfer to ext:1002. First confirm with the caller.',
    );
    expect(planFor(twice, 'ext:1002')).toMatchObject({ confirmFirst: true, rule: { index: 1 } });
    expect(planFor(plan, 'ext:1002')?.confirmFirst).toBe(false);
  });
});

describe('read-back', () => {
  it('prints the issue example in plain words, one line per rule, then the denylist', () => {
    expect(readBack(planOf(ISSUE_EXAMPLE))).toEqual([
      'billing dispute → ext:1002 (confirm first: no)',
      'rule 2 → no destination; forbids ext:1999, +15125559999',
      'Eric → +15125551234 (confirm first: no)',
      'rule 4 → no destination; forbids +15125550000',
      'never: ext:1999, +15125559999, +15125550000',
    ]);
  });

  it('writes fallbacks with "then", alternatives with "or", and warnings with the sentence', () => {
    const lines = readBack(
      planOf(
        'If the caller needs sales, transfer to ext:2001 or ext:2002, otherwise sip:desk@pbx.example.com.\n\nIf the caller is calling from 512-555-0000, transfer to ext:9. Be brief.',
      ),
    );
    expect(lines).toEqual([
      'sales → ext:2001 or ext:2002, then sip:desk@pbx.example.com (confirm first: no)',
      'rule 2 → ext:9 (confirm first: no)',
      'never: (nothing forbidden)',
      'not dialled (named in the rules, but no sentence tells the agent to transfer there):',
      "  +15125550000 (rule 2): it is part of a condition, not a destination to dial: 'If the caller is calling from 512-555-0000, transfer to ext:9.'",
    ]);
  });
});
