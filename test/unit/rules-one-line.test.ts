// Several Warm Transfer Rules written on one line: the plan they give (each condition's destinations, the
// denylist, confirm-first), and, searched by fast-check, that writing independent rules on one line gives
// the plan of writing them on lines of their own, and that splitting a line never makes dialable what its
// text read as one rule forbids or does not dial.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalDestination, parseDestination } from '../../settings/destination.ts';
import { allowedDestinations, compilePlan, isForbidden, planFor, type TransferPlan } from '../../settings/rules/plan.ts';
import { readBack } from '../../settings/rules/read-back.ts';
import { readRule } from '../../settings/rules/reader.ts';

function planOf(text: string): TransferPlan {
  const compiled = compilePlan(text);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return compiled.plan;
}

/** Per rule, its chains ('ext:1 > ext:2' for a fallback), then the denylist and what is not dialled. */
function shape(plan: TransferPlan) {
  return {
    rules: plan.rules.map((r) => r.chains.map((chain) => chain.map(canonicalDestination).join(' > '))),
    never: plan.forbidden.map(canonicalDestination),
    confirm: plan.rules.map((r) => r.confirmFirst),
    labels: plan.rules.map((r) => r.label),
  };
}

const dialable = (plan: TransferPlan) => allowedDestinations(plan).map(canonicalDestination);

describe('the plan of rules written on one line', () => {
  it('gives each condition its own destination (the bug: "billing → ext:1001 or ext:1002")', () => {
    const plan = planOf('If the caller has a billing dispute, warm transfer to ext:1001. If the caller wants sales, warm transfer to ext:1002.');
    expect(readBack(plan)).toEqual(['billing dispute → ext:1001 (confirm first: no)', 'sales → ext:1002 (confirm first: no)', 'never: (nothing forbidden)']);
    expect(planFor(plan, 'ext:1002')?.rule.label).toBe('sales');
    expect(planFor(plan, 'ext:1001')?.chain.map(canonicalDestination)).toEqual(['ext:1001']);
  });

  it.each([
    ['a prohibition first', 'Never transfer to ext:1003. If sales, warm transfer to ext:1002.', { rules: [[], ['ext:1002']], never: ['ext:1003'] }],
    ['a prohibition last', 'If sales, warm transfer to ext:1002. Do not transfer to ext:1003.', { rules: [['ext:1002'], []], never: ['ext:1003'] }],
    [
      'a prohibition between',
      "If a, transfer to ext:1. Don't transfer to ext:3. If b, transfer to ext:2.",
      { rules: [['ext:1'], [], ['ext:2']], never: ['ext:3'] },
    ],
    [
      'a fallback on the same line',
      "If sales, transfer to ext:2001. If they don't answer, try ext:2002. If billing, transfer to ext:1001.",
      { rules: [['ext:2001 > ext:2002'], ['ext:1001']], never: [] },
    ],
    [
      'a fallback naming the first destination',
      'If sales, transfer to ext:2001. If ext:2001 is busy, try ext:2002. If billing, transfer to ext:1001.',
      { rules: [['ext:2001 > ext:2002'], ['ext:1001']], never: [] },
    ],
    [
      '"Never." answering the rule before',
      'If sales, transfer to ext:2001. Never. If billing, transfer to ext:1001.',
      { rules: [[], ['ext:1001']], never: [] },
    ],
    [
      '"Never transfer there." after a sentence with no destination',
      'If sales, transfer to ext:2001. If the caller is rude, end the call. Never transfer there.',
      { rules: [[]], never: [] },
    ],
    ['a prohibition read on across a closing quote', 'Never say "hello." If billing, transfer to ext:1001.', { rules: [[]], never: ['ext:1001'] }],
    [
      'a list item of two rules',
      '- If a, transfer to ext:1. If b, transfer to ext:2.\n- Never transfer to ext:3.',
      { rules: [['ext:1'], ['ext:2'], []], never: ['ext:3'] },
    ],
  ])('%s', (_, text, expected) => {
    const plan = planOf(text);
    expect({ rules: shape(plan).rules, never: shape(plan).never }).toEqual(expected);
  });

  it('keeps confirm-first with the rule it follows', () => {
    expect(shape(planOf('If the caller asks for Eric, transfer to ext:1003. First confirm with the caller. If sales, transfer to ext:2001.')).confirm).toEqual([
      true,
      false,
    ]);
    const when = planOf(
      'If the caller asks for Eric, transfer to ext:1003. When transferring to ext:1003, confirm with the caller first. If sales, transfer to ext:2001.',
    );
    expect(shape(when)).toMatchObject({ rules: [['ext:1003'], ['ext:2001']], confirm: [true, false] });
  });

  it.each([
    [
      'forbidden, then allowed',
      'Do not transfer billing calls to ext:1001. If billing, warm transfer to ext:1001.',
      'is a destination of rule 2 and forbidden by rule 1',
    ],
    ['allowed, then forbidden', 'If billing, warm transfer to ext:1001. Never transfer to ext:1001.', 'is a destination of rule 1 and forbidden by rule 2'],
    [
      'forbidden on one line, allowed on the next',
      'If a, transfer to ext:1. Never transfer to ext:2.\nIf b, transfer to ext:2.',
      'is a destination of rule 3 and forbidden by rule 2',
    ],
  ])('still refuses a destination that is %s: the denylist is every rule’s', (_, text, error) => {
    const compiled = compilePlan(text);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.errors.join('\n')).toContain(error);
  });
  it('reports a rule of its own that says "transfer to" but names no destination, as it would on a line of its own', () => {
    // Read as one rule (before rules were split within lines) the instruction was silently ignored.
    expect(compilePlan('If the caller is a VIP, transfer them to a manager. If billing, transfer to ext:1001.')).toEqual({
      ok: false,
      errors: ["rule 1: it says 'transfer to' but names no destination (write ext:1002, a US phone number or a sip: address)"],
    });
  });
});

// Independent rules, each starting with a rule-starting word, with distinct destinations.
const written = fc.constantFrom<Array<(n: number) => { written: string; canonical: string }>>(
  (n) => ({ written: `ext:${n}`, canonical: `ext:${n}` }),
  (n) => ({ written: `pbx:${n}`, canonical: `ext:${n}` }),
  (n) => ({ written: `+1 (512) 555-${1000 + n}`, canonical: `+15125551${String(n).padStart(3, '0')}` }),
  (n) => ({ written: `512.555.${2000 + n}`, canonical: `+15125552${String(n).padStart(3, '0')}` }),
  (n) => ({ written: `sip:desk${n}@pbx.example.com`, canonical: `sip:desk${n}@pbx.example.com` }),
);
const conditions = fc.constantFrom(
  'If the caller has a billing dispute, ',
  'When the caller asks for Eric, ',
  'if the caller wants a manager, ',
  'If it is after hours, ',
  'When they need sales, ',
  'If the caller asks for support ',
);
const frames = fc.constantFrom('warm transfer to {D}', 'transfer them to {D}', 'put them through to {D}', 'try {D}', 'send the caller to {D}');
const fallbacks = fc.constantFrom(
  '',
  ' If they are busy, transfer to {F}.',
  ', otherwise {F}',
  " If they don't answer, try {F}.",
  ' If nobody picks up, transfer to {F}.',
);
const confirms = fc.constantFrom('', ' First confirm with the caller.', ' Ask the caller first.');
const prohibitions = fc.constantFrom(
  'Never transfer to {D}',
  'Do not transfer calls to {D}',
  "Don't send anyone to {D}",
  'Don\u2019t transfer to {D}',
  'NEVER put callers through to {D}',
);
const ends = fc.constantFrom('.', '!', '');

const rule = fc.oneof(
  fc.tuple(conditions, frames, fallbacks, confirms, ends, written, written).map(([c, f, fb, confirm, end, d, fd]) => (n: number) => {
    const main = `${c}${f.replace('{D}', d(n).written)}`;
    const fallback = fb.replace('{F}', fd(n + 500).written);
    const text = fallback.startsWith(' ') ? `${main}.${fallback}` : `${main}${fallback}`;
    // A sentence that already ends (a fallback sentence) takes no other end; a confirm sentence needs one before it.
    const ended = /[.!]$/.test(text) ? text : `${text}${confirm === '' ? end : '.'}`;
    return `${ended}${confirm}`;
  }),
  fc.tuple(prohibitions, ends, written).map(
    ([p, end, d]) =>
      (n: number) =>
        `${p.replace('{D}', d(n).written)}${end}`,
  ),
);
const rules = fc.array(rule, { minLength: 2, maxLength: 4 }).map((made) => made.map((r, i) => r(100 + i)));

/** Each rule with an end of its own ("." where it has none), so that rules on one line are joined by ". " or " ". */
const ended = (texts: string[]) => texts.map((t) => (/[.!?]$/.test(t) ? t : `${t}.`));

describe('properties of rules written on one line', () => {
  it('gives the plan of the same rules on lines of their own', () => {
    fc.assert(
      fc.property(rules, fc.constantFrom('\n', '\n\n', '\r\n'), (texts, between) => {
        const line = ended(texts).join(' ');
        const apart = planOf(ended(texts).join(between));
        const together = planOf(line);
        expect(shape(together), line).toEqual(shape(apart));
        expect(together.rules).toHaveLength(texts.length);
        for (const d of together.forbidden) expect(planFor(together, canonicalDestination(d)), line).toBeUndefined();
        expect(dialable(together).filter((d) => shape(together).never.includes(d))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  // Sentences of every kind the splitter must be careful with, on one line in any order.
  const sentences = fc.constantFrom(
    'If billing, transfer to ext:1001.',
    'If sales, transfer to ext:1002!',
    'When the caller asks for Eric, transfer to +1 (512) 555-1234.',
    'Never transfer to ext:1001.',
    'Do not transfer billing calls to ext:1002.',
    "Don't put them through to sip:desk@pbx.example.com.",
    'Never.',
    'No!',
    'Never transfer there.',
    'Do not call that number.',
    'If they are busy, try ext:1003.',
    'If ext:1001 is busy, try ext:1004.',
    'If the caller is rude, end the call.',
    'Say "one moment."',
    'Never say "hello."',
    '(If in doubt, transfer to ext:1005.)',
    'For urgent calls, e.g.',
    'if the caller is angry, transfer to ext:1006.',
    'Is it after hours?',
    'If so, transfer to ext:1007.',
    'First confirm with the caller.',
    'Transfer to ext:1008 is strictly forbidden.',
  );

  it('never makes dialable, or stops forbidding, what the line read as one rule does not dial or forbids', () => {
    fc.assert(
      fc.property(fc.array(sentences, { minLength: 2, maxLength: 7 }), (picked) => {
        const line = picked.join(' ');
        const asOne = readRule(line).mentions;
        const compiled = compilePlan(line);
        if (!compiled.ok) return; // refused as a whole: nothing is dialled
        const plan = compiled.plan;
        const canonical = (raw: string) => {
          const parsed = parseDestination(raw);
          return parsed.ok ? canonicalDestination(parsed.destination) : raw;
        };
        const dialableAsOne = new Set(asOne.filter((m) => ['start', 'alternative', 'fallback'].includes(m.role)).map((m) => canonical(m.raw)));
        for (const d of dialable(plan)) expect(dialableAsOne.has(d), `${line}: ${d}`).toBe(true);
        for (const m of asOne.filter((x) => x.role === 'forbid')) {
          const parsed = parseDestination(m.raw);
          if (parsed.ok) expect(isForbidden(plan, parsed.destination), `${line}: ${m.raw}`).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
