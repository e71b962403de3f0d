// Rules on lines of their own follow the logic of rules on one line (settings/rules/text.ts): a line that
// begins with a rule word but answers the sentence before ("Never transfer there."), reads as its fallback
// ("If ext:2001 is busy, try ext:2002.") or only asks to confirm one of its destinations first continues the
// rule above; an answer after a blank line or as a list item joins the rule it answers. The invariant: no
// wording that forbids a destination leaves it dialable, wherever the answer is written, and confirm-first is
// never lost. And its converse: guidance right after a rule ("Never hang up on a caller.") is no answer, so
// it changes nothing in the plan. Table tests over a hostile corpus, then fast-check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalDestination } from '../../settings/destination.ts';
import { allowedDestinations, compilePlan, planFor, type TransferPlan } from '../../settings/rules/plan.ts';
import { readRule } from '../../settings/rules/reader.ts';
import { splitRules } from '../../settings/rules/text.ts';

function planOf(text: string): TransferPlan {
  const compiled = compilePlan(text);
  if (!compiled.ok) throw new Error(`${JSON.stringify(text)}: ${compiled.errors.join('\n')}`);
  return compiled.plan;
}

const dialable = (text: string): string[] => {
  const compiled = compilePlan(text);
  return compiled.ok ? allowedDestinations(compiled.plan).map(canonicalDestination) : [];
};

// Answers to the sentence before: every rule word, any case, every apostrophe, back-references.
const ANSWERS = [
  'Never.',
  'Never!',
  'NEVER.',
  'never.',
  'Never transfer there.',
  'Never do that.',
  'Never call that number.',
  'Never transfer them.',
  'Never put them through to it.',
  'Do not.',
  'Do not transfer there.',
  'DO NOT call that number!',
  'do not send anyone to that extension.',
  "Don't.",
  "Don't transfer there.",
  'Don\u2019t transfer there.',
  'Don\u02bct transfer there.',
  'Don`t transfer there.',
  'Don\u00b4t transfer there.',
  'Don\u2018t call that number.',
  'Dont transfer there.',
  "Don't transfer to it.",
  'If so, never transfer there.',
  'When in doubt, do not transfer there.',
  'Never transfer there, use ext:1009.',
  'Never transfer there; use ext:1009.',
  'Do not call that number, call ext:1009 instead.',
  "Don't transfer them, transfer to ext:1009.",
];

// The answers above that neither point back nor name a destination: after a fallback they refuse the whole chain.
const BARE_ANSWERS = new Set(['Never.', 'Never!', 'NEVER.', 'never.', 'Never do that.', 'Do not.', "Don't."]);

const RULE = 'If billing, transfer to ext:1001.';
const OTHER = 'If sales, transfer to ext:1002.';
// Where the answer is written after RULE: the same line, the next line, and past every hard boundary.
const LAYOUTS: Array<[string, (answer: string) => string]> = [
  ['on the same line', (a) => `${RULE} ${a}\n${OTHER}`],
  ['on the next line', (a) => `${RULE}\n${a}\n${OTHER}`],
  ['on the next line, CRLF', (a) => `${RULE}\r\n${a}\r\n${OTHER}`],
  ['on the next line, no full stops', (a) => `${RULE.slice(0, -1)}\n${a.replace(/[.!]$/, '')}\n${OTHER.slice(0, -1)}`],
  ['indented on the next line', (a) => `  ${RULE}\n\t${a}\n${OTHER}`],
  ['after a blank line', (a) => `${RULE}\n\n${a}\n\n${OTHER}`],
  ['as the next list item', (a) => `- ${RULE}\n- ${a}\n- ${OTHER}`],
  ['as the next numbered item', (a) => `1. ${RULE}\n2) ${a}\n3. ${OTHER}`],
  ['two lines down, after guidance', (a) => `${RULE}\nIf the caller is rude, apologise.\n${a}\n${OTHER}`],
  ['two items down, after a guidance item', (a) => `* ${RULE}\n* If the caller is rude, apologise.\n* ${a}\n* ${OTHER}`],
  ['two paragraphs down', (a) => `${RULE}\n\nBe polite.\n\n${a}\n\n${OTHER}`],
  ['after a fallback line', (a) => `${RULE}\nIf they are busy, try ext:1003.\n${a}\n${OTHER}`],
  ['on one line after two rules', (a) => `${OTHER} ${RULE} ${a}`],
];

describe('an answer to a rule, wherever it is written', () => {
  const cases = LAYOUTS.flatMap(([layout, write]) => ANSWERS.map((answer): [string, string, string] => [answer, layout, write(answer)]));

  it.each(cases)('%j %s leaves the destination it answers undialable and the next rule as it was', (answer, layout, text) => {
    const plan = planOf(text);
    // After a fallback sentence the answer is to that sentence, as on one line: the fallback is what it
    // forbids; a bare one ("Never.", "Don't.") cannot say which it means, so the whole chain is refused.
    const answered = layout === 'after a fallback line' ? ['ext:1003'] : ['ext:1001'];
    if (layout === 'after a fallback line' && BARE_ANSWERS.has(answer)) answered.push('ext:1001');
    for (const d of answered) {
      expect(planFor(plan, d), text).toBeUndefined();
      expect(allowedDestinations(plan).map(canonicalDestination)).not.toContain(d);
    }
    expect(planFor(plan, 'ext:1002')?.chain.map(canonicalDestination), text).toEqual(['ext:1002']);
  });

  it('keeps the answer with the rule it answers, across a blank line or a list marker', () => {
    expect(splitRules(`- ${RULE}\n- Never transfer there.\n- ${OTHER}`)).toEqual([`${RULE} Never transfer there.`, OTHER]);
    expect(splitRules(`${RULE}\n\nIf the caller is rude, hang up.\n\nNever.`)).toEqual([`${RULE} If the caller is rude, hang up. Never.`]);
    expect(splitRules(`If billing, transfer to ext:1001\nNever transfer there`)).toEqual(['If billing, transfer to ext:1001. Never transfer there']);
  });

  it.each([
    ['the text starting with it', 'Never transfer there.'],
    ['the text starting with it, a rule after it', `Never transfer there.\n${OTHER}`],
    ['a list starting with it', `- Don't transfer there.\n- ${OTHER}`],
    ['only guidance before it', 'If the caller is rude, hang up.\n\nDo not call that number.'],
    ['a destination after it on its line', 'Never transfer there, use ext:1002.'],
  ])('warns that an answer with nothing before it forbids nothing: %s', (_, text) => {
    const plan = planOf(text);
    expect(plan.warnings.join('\n')).toMatch(/answers or points back at a sentence before it, but no destination is named before it, so it forbids nothing/);
    expect(plan.forbidden).toEqual([]);
    expect(allowedDestinations(plan).map(canonicalDestination)).toEqual(text.includes(OTHER) ? ['ext:1002'] : []);
  });

  it.each([
    'Do not transfer them to ext:1999.',
    'Never put them through to ext:1999.',
    "Don't send it to ext:1999.",
    'Never transfer to this number: ext:1999.',
    'Do not call that line (ext:1999).',
  ])('reads "them"/"it" before "to" and a destination named after "that number" as this sentence\'s own: %j', (sentence) => {
    for (const text of [`${RULE} ${sentence}`, `${RULE}\n${sentence}`, `- ${RULE}\n- ${sentence}`]) {
      const plan = planOf(text);
      expect(allowedDestinations(plan).map(canonicalDestination), text).toEqual(['ext:1001']);
      expect(plan.forbidden.map(canonicalDestination), text).toEqual(['ext:1999']);
    }
  });

  it('reads a destination named after "that number" as its own, not as a pointer back', () => {
    const plan = planOf(`${RULE} Never transfer to this number: ext:1999. Do not call that line (ext:1998).`);
    expect(dialable(`${RULE} Never transfer to this number: ext:1999.`)).toEqual(['ext:1001']);
    expect(plan.forbidden.map(canonicalDestination)).toEqual(['ext:1999', 'ext:1998']);
  });

  it.each(['Never transfer there, or to ext:1999.', 'Never transfer there or ext:1999.', 'Do not call that number or ext:1999.'])(
    'still forbids what a pointing-back prohibition goes on to name: %j',
    (sentence) => {
      const plan = planOf(`${RULE}\n${sentence}`);
      expect(allowedDestinations(plan)).toEqual([]);
      expect(plan.forbidden.map(canonicalDestination)).toEqual(['ext:1999']);
    },
  );

  it('does not make the destination after a pointing-back prohibition dialable either (a mixed sentence)', () => {
    const plan = planOf(`${RULE}\nNever transfer there, use ext:1009.`);
    expect(allowedDestinations(plan)).toEqual([]);
    expect(plan.notDialled?.map((n) => [canonicalDestination(n.destination), n.reason])).toEqual([
      ['ext:1001', 'later'],
      ['ext:1009', 'mixed'],
    ]);
  });
});

// Short guidance right after a rule: a prohibition with a verb of its own that cannot mean a transfer. It
// answers nothing: the rule above stays dialable and the guidance forbids nothing.
const GUIDANCE = [
  'Never hang up on a caller.',
  'Never put the caller on hold for long.',
  // "phone numbers" names no destination and points at none.
  'Do not give out personal phone numbers.',
  "Don't promise a callback time.",
  'Never share internal extensions with the caller.',
  'Do not interrupt the caller.',
  'Never guess an answer.',
];

describe('guidance right after a rule, wherever it is written', () => {
  const layouts = LAYOUTS.filter(([layout]) => layout !== 'after a fallback line');
  const cases = layouts.flatMap(([layout, write]) => GUIDANCE.map((g): [string, string, string] => [g, layout, write(g)]));

  it.each(cases)('%j %s leaves the rule above dialable and forbids nothing', (_, __, text) => {
    const plan = planOf(text);
    expect(planFor(plan, 'ext:1001')?.chain.map(canonicalDestination), text).toEqual(['ext:1001']);
    expect(planFor(plan, 'ext:1002')?.chain.map(canonicalDestination), text).toEqual(['ext:1002']);
    expect(plan.forbidden, text).toEqual([]);
    expect(plan.notDialled ?? [], text).toEqual([]);
  });

  it.each(GUIDANCE)('leaves a fallback chain whole after %j', (g) => {
    for (const text of [
      `${RULE}\nIf they are busy, try ext:1003.\n${g}`,
      `- ${RULE}\n- If they are busy, try ext:1003.\n- ${g}`,
      `${RULE} If they are busy, try ext:1003. ${g}`,
    ]) {
      const plan = planOf(text);
      expect(planFor(plan, 'ext:1001')?.chain.map(canonicalDestination), text).toEqual(['ext:1001', 'ext:1003']);
      expect(plan.forbidden, text).toEqual([]);
    }
  });

  it('reads guidance written first as guidance, with the warning any rule naming no destination gets', () => {
    const first = planOf(`Never hang up on a caller.\n\n${RULE}`);
    expect(allowedDestinations(first).map(canonicalDestination)).toEqual(['ext:1001']);
    expect(first.warnings).toEqual(["rule 1 names no destination; the agent reads it as guidance only: 'Never hang up on a caller.'"]);
    // As a list item of its own it stays a rule of its own (text.ts joins only answers to the rule before).
    expect(splitRules(`- ${RULE}\n- Never hang up on a caller.\n- ${OTHER}`)).toEqual([RULE, 'Never hang up on a caller.', OTHER]);
  });

  // Decided cases: what makes a short prohibition an answer is its verb. A transfer verb (wherever a verb
  // stands), a pro-verb ("do that"), no verb at all, or a verb the reader does not know (the safe side: it
  // forbids, and the read-back shows the rule not dialled) make an answer; a known verb of its own makes guidance.
  it.each([
    ['Never do that for billing calls.', 'answer'],
    ['Never send them there.', 'answer'],
    ['Never do so.', 'answer'],
    ['Do not do it.', 'answer'],
    ['No.', 'answer'],
    ['Not there.', 'answer'],
    ['Not that one.', 'answer'],
    ['Never to that number.', 'answer'],
    ['Not allowed.', 'answer'],
    ['Never use that number.', 'answer'],
    ['Never connect them.', 'answer'],
    ['Never forward it.', 'answer'],
    ['Never route them there.', 'answer'],
    ['Do not dial that number.', 'answer'],
    ['Never patch them through.', 'answer'],
    ['Never escalate it.', 'answer'],
    ['Never pass them on.', 'answer'],
    // A verb the reader does not know: it might mean a transfer, so it answers.
    ['Never bother them.', 'answer'],
    // A transfer verb beside a verb of its own: the transfer wins.
    ['Never hang up or transfer there.', 'answer'],
    ["Don't hang up, never transfer them.", 'answer'],
    ['Never leave them there.', 'answer'],
    ['Never hang up on that line.', 'answer'],
    ['Never leave a caller with that desk.', 'answer'],
    ['Never let them through.', 'answer'],
    ["Don't make that call.", 'answer'],
    ['Never do that transfer.', 'answer'],
    ['Never be rude.', 'guidance'],
    ['If the caller is not a customer, never hang up.', 'guidance'],
    ['Do not give out personal phone numbers, not even to family.', 'guidance'],
    ['Callers must never be kept waiting.', 'guidance'],
    ['Never be put on hold.', 'guidance'],
    ['Never use jargon.', 'guidance'],
    ['Never try to guess.', 'guidance'],
    ["Don't do refunds over the phone.", 'guidance'],
    ['Never hang up on a call.', 'guidance'],
    ['At no time should you argue with a caller.', 'guidance'],
    ['Never, ever hang up.', 'guidance'],
    ['Avoid interrupting the caller.', 'guidance'],
    // A pointer back with a verb of its own: the number is not to be given out, transferring there is fine.
    ["Don't share that number.", 'guidance'],
  ])('reads %j after a rule as an %s', (sentence, kind) => {
    for (const text of [`${RULE} ${sentence}`, `${RULE}\n${sentence}`, `- ${RULE}\n- ${sentence}`, `${RULE}\n\n${sentence}`]) {
      expect(dialable(text), text).toEqual(kind === 'answer' ? [] : ['ext:1001']);
    }
  });

  it('refuses the whole chain for a bare answer after a fallback, and only the fallback for one that points back', () => {
    const bare = planOf(`If billing, transfer to ext:1001.\nIf they are busy, try ext:1003.\nNever.\n${OTHER}`);
    expect(allowedDestinations(bare).map(canonicalDestination)).toEqual(['ext:1002']);
    expect(bare.notDialled?.map((n) => [canonicalDestination(n.destination), n.reason])).toEqual([
      ['ext:1001', 'later'],
      ['ext:1003', 'later'],
    ]);
    const there = planOf(`If billing, transfer to ext:1001.\nIf they are busy, try ext:1003.\nNever transfer there.\n${OTHER}`);
    expect(allowedDestinations(there).map(canonicalDestination)).toEqual(['ext:1001', 'ext:1002']);
    // Two fallbacks: a bare answer refuses all three; a fresh instruction starts a chain of its own.
    expect(dialable(`${RULE} If they are busy, try ext:1003. If they don't answer, try ext:1004. No.`)).toEqual([]);
    expect(dialable(`${RULE} If they are busy, try ext:1003. Transfer refunds to ext:1005. Never.`)).toEqual(['ext:1001', 'ext:1003']);
  });
});

describe('a line that continues the rule above', () => {
  it.each([
    ['If ext:2001 is busy, try ext:2002.'],
    ['If the line is busy, transfer to ext:2002.'],
    ['if ext:2001 is unavailable, transfer to ext:2002.'],
    ['When ext:2001 is busy, try ext:2002.'],
    ["If they don't answer, try ext:2002."],
    ['If nobody picks up, transfer to ext:2002.'],
  ])('reads %j on the next line as the fallback of the rule above', (fallback) => {
    for (const text of [`If sales, transfer to ext:2001.\n${fallback}`, `If sales, transfer to ext:2001\r\n${fallback}\r\n${RULE}`]) {
      const plan = planOf(text);
      expect(planFor(plan, 'ext:2001')?.chain.map(canonicalDestination), text).toEqual(['ext:2001', 'ext:2002']);
    }
  });

  const CONFIRMS = [
    'When transferring to ext:1001, confirm with the caller first.',
    'When transferring to ext:1001, ask the caller first.',
    'If transferring to ext:1001, check with them before transferring.',
    'Before any transfer to ext:1001, confirm with the caller first.',
  ];
  const confirmLayouts: Array<[string, (c: string) => string]> = [
    ['on the same line', (c) => `${RULE} ${c}\n${OTHER}`],
    ['on the next line', (c) => `${RULE}\n${c}\n${OTHER}`],
    ['after a fallback line', (c) => `${RULE}\nIf they are busy, try ext:1003.\n${c}\n${OTHER}`],
    ['as the next list item', (c) => `- ${RULE}\n- ${c}\n- ${OTHER}`],
    ['after a blank line', (c) => `${RULE}\n\n${c}\n\n${OTHER}`],
    ['before the rule, in a paragraph of its own', (c) => `${c}\n\n${RULE}\n${OTHER}`],
  ];
  it.each(confirmLayouts.flatMap(([layout, write]) => CONFIRMS.map((c): [string, string, string] => [c, layout, write(c)])))(
    'never loses %j written %s',
    (_, __, text) => {
      const plan = planOf(text);
      expect(planFor(plan, 'ext:1001')?.confirmFirst, text).toBe(true);
      expect(planFor(plan, 'ext:1002')?.confirmFirst, text).toBe(false);
    },
  );

  it.each([
    ['a paragraph of its own', `${RULE}\n\nAlways confirm with the caller first.\n\n${OTHER}`],
    ['a list item of its own', `- Ask the caller first.\n- ${RULE}\n- ${OTHER}`],
  ])('makes every rule confirm first from a confirm-first rule naming no destination, in %s', (_, text) => {
    const plan = planOf(text);
    expect([planFor(plan, 'ext:1001')?.confirmFirst, planFor(plan, 'ext:1002')?.confirmFirst]).toEqual([true, true]);
    expect(plan.warnings.join('\n')).toContain('names no destination but asks to confirm first, so every transfer confirms first');
  });

  it('keeps the confirmation of a line naming only destinations of its rule in that rule', () => {
    expect(splitRules(`${RULE}\nWhen transferring to ext:1001, confirm with the caller first.\n${OTHER}`)).toEqual([
      `${RULE} When transferring to ext:1001, confirm with the caller first.`,
      OTHER,
    ]);
  });

  it('keeps a line that names no destination with the rule above, but reports an instruction it cannot carry out', () => {
    expect(splitRules(`${RULE}\nIf the caller is upset, apologise first.\n${OTHER}`)).toEqual([`${RULE} If the caller is upset, apologise first.`, OTHER]);
    expect(compilePlan(`${RULE}\nIf the caller is a VIP, transfer them to a manager.`)).toEqual({
      ok: false,
      errors: ["rule 1: it says 'transfer to' but names no destination (write ext:1002, a US phone number or a sip: address)"],
    });
  });
});

describe('lines that still start rules of their own', () => {
  it.each([
    [
      'every rule word',
      "If a, transfer to ext:1.\nWhen b, transfer to ext:2.\nNever transfer to ext:3.\nDo not transfer to ext:4.\nDon't transfer to ext:5.",
      5,
    ],
    ['no full stops', 'If a, transfer to ext:1\nIf b, transfer to ext:2\nNever transfer to ext:3', 3],
    ['a closing quote before the line break', 'Greet the caller with "Welcome to Acme."\nIf billing, transfer to ext:1.', 2],
    ['an abbreviation before the line break', 'For urgent calls, e.g.\nIf the caller is angry, transfer to ext:5.', 2],
    [
      'every apostrophe',
      'If a, transfer to ext:1.\nDon\u02bct transfer to ext:2.\nDon`t transfer to ext:3.\nDon\u00b4t transfer to ext:4.\nDont transfer to ext:6.',
      5,
    ],
    ['mixed one-line and multi-line', 'If a, transfer to ext:1. If b, transfer to ext:2.\nNever transfer to ext:3. Never.\nWhen c, transfer to ext:4.', 4],
  ])('%s', (_, text, count) => {
    expect(splitRules(text)).toHaveLength(count);
  });

  it('leaves a rule without a full stop dialable when the next line forbids something else', () => {
    const plan = planOf('If billing, transfer to ext:1001\nNever transfer to ext:1002\nIf sales, transfer to ext:1003');
    expect(allowedDestinations(plan).map(canonicalDestination)).toEqual(['ext:1001', 'ext:1003']);
    expect(plan.forbidden.map(canonicalDestination)).toEqual(['ext:1002']);
  });

  it('dials after a quoted greeting on the line before (a line break ends its sentence)', () => {
    expect(dialable('Greet the caller with "Welcome to Acme."\nIf billing, transfer to ext:1001.')).toEqual(['ext:1001']);
  });
});

// Random rule sets; an answer inserted right after one rule, on its line, on the next line or as the next
// list item, never leaves that rule's destinations dialable.
const conditions = fc.constantFrom(
  'If the caller has a billing dispute, ',
  'When the caller asks for Eric, ',
  'if it is after hours, ',
  'If they need sales, ',
);
const frames = fc.constantFrom('warm transfer to {D}', 'transfer them to {D}', 'put them through to {D}', 'try {D}', 'send the caller to {D}');
const fallbacks = fc.constantFrom('', ' If they are busy, transfer to {F}.', ', otherwise {F}', " If they don't answer, try {F}.");
const forms = fc.constantFrom(
  (n: number) => `ext:${n}`,
  (n: number) => `+1 (512) 555-${1000 + n}`,
  (n: number) => `sip:desk${n}@pbx.example.com`,
);
const generated = fc.oneof(
  fc.tuple(conditions, frames, fallbacks, forms).map(([c, f, fb, form]) => (n: number) => {
    const main = `${c}${f.replace('{D}', form(n))}`;
    const fallback = fb.replace('{F}', form(n + 500));
    return fallback.startsWith(' ') ? `${main}.${fallback}` : `${main}${fallback}.`;
  }),
  fc.constantFrom('Never transfer to {D}.', "Don't send anyone to {D}.", 'Be polite to every caller.').map((p) => (n: number) => p.replace('{D}', `ext:${n}`)),
);
const answers = fc.constantFrom(...ANSWERS);
const separators = fc.constantFrom(' ', '\n', '\r\n', '\n\n', '\n- ');

// Guidance: a prohibition with a verb of its own that cannot mean a transfer.
const guidanceSentences = fc
  .tuple(
    fc.constantFrom('Never', 'Do not', "Don't", 'Dont', 'Don\u2019t', 'NEVER', 'Please never', 'You must never', 'Never ever', 'Avoid'),
    fc.constantFrom(
      'hang up on a caller',
      'put the caller on hold for long',
      'give out personal phone numbers',
      'promise a callback time',
      'share internal extensions with the caller',
      'interrupt the caller',
      'guess an answer',
      'be rude to anyone',
      'keep callers waiting',
      'argue with the caller',
      'read out account numbers',
      'leave a caller on hold',
      'discuss pricing',
      'say that you are a bot',
      'make promises about refunds',
      'ask for a card number',
      'use jargon',
      'tell them the manager is away',
      'disclose internal phone numbers',
      'hang up on a call',
    ),
    fc.constantFrom('.', '!'),
  )
  .map(([opener, phrase, end]) => {
    // "Avoid" takes the -ing form: "Avoid hanging up on a caller."
    if (opener !== 'Avoid') return `${opener} ${phrase}${end}`;
    const [verb, ...rest] = phrase.split(' ');
    const ing = verb === 'be' ? 'being' : verb!.endsWith('e') ? `${verb!.slice(0, -1)}ing` : verb === 'put' ? 'putting' : `${verb}ing`;
    return `${opener} ${[ing, ...rest].join(' ')}${end}`;
  });

// Answers: a transfer verb, a pro-verb, or nothing, after "Never"/"Do not"/"Don't".
const answerSentences = fc
  .tuple(
    fc.constantFrom('Never', 'Do not', "Don't", 'Dont', 'NEVER', 'Please never', 'You must never'),
    fc.constantFrom(
      '',
      ' transfer there',
      ' send them there',
      ' put them through',
      ' connect them there',
      ' forward them there',
      ' route them there',
      ' dial that number',
      ' call that number',
      ' patch them through',
      ' hand them over there',
      ' pass them to that line',
      ' escalate to that line',
      ' do that',
      ' do this',
      ' do so',
      ' do it',
      ' do that for billing calls',
    ),
    fc.constantFrom('.', '!'),
  )
  .map(([opener, phrase, end]) => `${opener}${phrase}${end}`);

/** What the tools obey: every chain, and the denylist. */
const planShape = (text: string) => {
  const compiled = compilePlan(text);
  if (!compiled.ok) return { errors: compiled.errors };
  const { plan } = compiled;
  const chains = allowedDestinations(plan).map((d) => planFor(plan, canonicalDestination(d))?.chain.map(canonicalDestination));
  return { chains, forbidden: plan.forbidden.map(canonicalDestination).sort() };
};

/** For random rule lists, `answer` written after one rule (by `before`, then `after` before the next) refuses that rule's destinations. */
function answerRefuses(answer: fc.Arbitrary<string>): void {
  fc.assert(
    fc.property(fc.array(generated, { minLength: 1, maxLength: 4 }), fc.nat(), answer, separators, separators, (made, at, said, before, after) => {
      const texts = made.map((r, i) => r(100 + i));
      const k = at % texts.length;
      const head = texts.slice(0, k + 1).join('\n- ');
      const tail = texts.slice(k + 1);
      const text = `- ${head}${before}${said}${tail.length > 0 ? after + tail.join('\n- ') : ''}`;
      // The answer is to the last sentence of the rule that names a destination (as the reader reads it).
      const mentions = readRule(texts[k]!).mentions;
      const last = mentions[mentions.length - 1]?.sentence;
      const answered = mentions.filter((m) => m.sentence === last && ['start', 'alternative', 'fallback'].includes(m.role));
      const compiled = compilePlan(text);
      if (!compiled.ok) return; // refused as a whole: nothing is dialled
      for (const m of answered) expect(planFor(compiled.plan, m.raw), text).toBeUndefined();
    }),
    { numRuns: 1500 },
  );
}

describe('properties of answers to rules', () => {
  it('never changes what is dialable or forbidden when guidance follows a rule, on its line, the next line, the next item or paragraph', () => {
    fc.assert(
      fc.property(
        fc.array(generated, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        guidanceSentences,
        separators,
        separators,
        (made, at, guidance, before, after) => {
          const texts = made.map((r, i) => r(100 + i));
          const k = at % texts.length;
          const head = texts.slice(0, k + 1).join('\n- ');
          const tail = texts.slice(k + 1);
          const rest = tail.length > 0 ? `\n- ${tail.join('\n- ')}` : '';
          const text = `- ${head}${before}${guidance}${tail.length > 0 ? after + tail.join('\n- ') : ''}`;
          expect(planShape(text), text).toEqual(planShape(`- ${head}${rest}`));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('always refuses the destination of the rule an answer with a transfer verb, a pro-verb or nothing follows', () => {
    answerRefuses(answerSentences);
  });

  it('never leaves dialable a destination of the rule an answer follows, on its line, the next line or the next item', () => {
    answerRefuses(answers);
  });
});
