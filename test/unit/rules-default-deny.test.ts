// Default deny: a corpus of wordings operators write, half forbidding or merely mentioning a destination
// (none of which may leave it dialable), half transferring (which must keep working), each with what the
// plan must make of every destination it names: dialable, forbidden (the denylist), or not dialled.
import { describe, expect, it } from 'vitest';
import { canonicalDestination } from '../../settings/destination.ts';
import { allowedDestinations, compilePlan, planFor, type TransferPlan } from '../../settings/rules/plan.ts';

interface Reading {
  dial?: string[];
  never?: string[];
  /** Named, neither dialable nor forbidden. */
  not?: string[];
}

function planOf(text: string): TransferPlan {
  const compiled = compilePlan(text);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return compiled.plan;
}

function readingOf(plan: TransferPlan): Required<Reading> {
  return {
    dial: allowedDestinations(plan).map(canonicalDestination),
    never: plan.forbidden.map(canonicalDestination),
    not: (plan.notDialled ?? []).map((n) => canonicalDestination(n.destination)),
  };
}

const X = 'ext:1999';
const FORBID: Reading = { never: [X] };
const NOT: Reading = { not: [X] };

// Forbidding, in every position and form: before, after, passive, as a question, without an apostrophe.
const FORBIDDING: Array<[string, Reading]> = [
  ['Transfer to ext:1999 is strictly forbidden.', FORBID],
  ['Under no circumstances transfer to ext:1999.', FORBID],
  ['Dont transfer to ext:1999.', FORBID],
  ["Don't transfer to ext:1999.", FORBID],
  ['Don\u2019t transfer to ext:1999.', FORBID],
  ['Never, ever, transfer to ext:1999.', FORBID],
  ['NEVER transfer to EXT:1999', FORBID],
  ['Please do NOT transfer to ext:1999.', FORBID],
  ['Do not, under any circumstances, put callers through to ext:1999.', FORBID],
  ['You must not transfer to ext:1999.', FORBID],
  ['You cannot send calls to ext:1999.', FORBID],
  ['Transferring to ext:1999 is prohibited.', FORBID],
  ['Transfers to ext:1999 are not permitted.', FORBID],
  ['Calls should not go to ext:1999.', FORBID],
  ['Nobody should be transferred to ext:1999.', FORBID],
  ['Callers must never be put through to ext:1999.', FORBID],
  ['Transfer callers to ext:1999 under no circumstances.', FORBID],
  ['Transfer to ext:1999 \u2014 never.', FORBID],
  ['Transfer to ext:1999, NOT.', FORBID],
  ['Transfer to ext:1999 (not allowed).', FORBID],
  ['Transfer to ext:1999 isnt allowed.', FORBID],
  ['Warm transfer to ext:1999 is banned.', FORBID],
  ['Forward to ext:1999 never.', FORBID],
  ['ext:1999 is off-limits.', FORBID],
  ['ext:1999 is off limits for transfers.', FORBID],
  ['ext:1999 - blocked.', FORBID],
  ['ext:1999: do not transfer.', FORBID],
  ['ext:1999 was decommissioned.', FORBID],
  ['Transfers to ext:1999 have been discontinued.', FORBID],
  ['Avoid transferring to ext:1999.', FORBID],
  ['Refrain from transferring to ext:1999.', FORBID],
  ['Stop sending calls to ext:1999.', FORBID],
  ['It is against policy to transfer to ext:1999.', FORBID],
  ['No transfers to ext:1999.', FORBID],
  ['Send nothing to ext:1999.', FORBID],
  ['We no longer transfer to ext:1999.', FORBID],
  ["We don't transfer to ext:1999 anymore.", FORBID],
  ['Is it okay to transfer to ext:1999? No.', FORBID],
  ['Transfer to ext:1999? Absolutely not.', FORBID],
  ['Put them through to ext:1999? No way.', FORBID],
  ['If the caller asks for ext:1999, say no.', FORBID],
  ['ext:1999 is the CEO\u2019s line. Never transfer there.', FORBID],
  ['Never transfer to that number: ext:1999.', FORBID],
  ['Never transfer to +1 (512) 555-9999 or 512.555.9998.', { never: ['+15125559999', '+15125559998'] }],
  ['Calls to ext:1998 or ext:1999 are not allowed.', { never: ['ext:1998', X] }],
  ['Do not transfer to ext:1998, ext:1999 or sip:ceo@pbx.example.com.', { never: ['ext:1998', X, 'sip:ceo@pbx.example.com'] }],
  ['Transfer to ne\u200bver ext:1999.', FORBID], // a zero-width space inside the word
  ['Transfer to \uff4e\uff45\uff56\uff45\uff52 ext:1999.', FORBID], // full-width letters
  // Restricting, questioning, merely mentioning: named, never dialled.
  ['Transfer to ext:1999 only with manager approval.', NOT],
  ['Calls may be transferred to ext:1999 only by supervisors.', NOT],
  ['Transfer to ext:1999 unless it is after hours.', NOT],
  ['Transfer to ext:1999 if the CEO approves.', NOT],
  ['Should we transfer to ext:1999?', NOT],
  ['Why would anyone transfer to ext:1999?', NOT],
  ['Transfer to ext:1999 will get you fired.', NOT],
  ['Transfer to ext:1999 is off the table.', NOT],
  ['Only the CEO uses ext:1999.', NOT],
  ['ext:1999 is the CEO\u2019s private line.', NOT],
  ['ext:1999 is reserved for emergencies.', NOT],
  ['Keep calls away from ext:1999.', NOT],
  ['The old support line was ext:1999.', NOT],
  ['Our fax number is 512-555-0177.', { not: ['+15125550177'] }],
  ['If the caller asks to be transferred to ext:1999, take a message.', NOT],
  ['If the caller asks for a transfer to ext:1999, take a message.', NOT],
  ['Transfer to ext:1999. Never.', NOT],
  ['Tr\u0430nsfer to ext:1999.', NOT], // a Cyrillic a: the reader cannot vouch for the sentence
  ['Billing: ext:1999', NOT],
  ["Transfer to ext:1999 \u2014 that's over.", NOT],
  ['~~Transfer to ext:1999.~~', NOT],
  ['Transfer to ext:1999 is deprecated.', NOT],
  ["Do'nt transfer to ext:1999.", FORBID],
  ['Nah, transfer to ext:1999 is a bad idea.', FORBID],
  ['Donot transfer to ext:1999.', FORBID],
  ['Transfer to ext:1999 when pigs fly.', FORBID],
  ['Put them through to ext:1999 over my dead body.', FORBID],
  ['Transfer to ext:1999. N\u0435ver.', NOT], // a Cyrillic e in the answer: the reader cannot vouch for it
];

// Transferring: the seed's forms and the ways people write them, with or without a condition.
const TRANSFERRING: Array<[string, Reading]> = [
  ['If the caller has a billing dispute, warm transfer to ext:1002.', { dial: ['ext:1002'] }],
  ['If the caller has a billing dispute warm transfer to ext:1002', { dial: ['ext:1002'] }],
  ['Warm transfer to ext:1002.', { dial: ['ext:1002'] }],
  ['Transfer billing disputes to ext:1002.', { dial: ['ext:1002'] }],
  ['Transfer the caller directly to ext:1002.', { dial: ['ext:1002'] }],
  ['Put them through to ext:1002.', { dial: ['ext:1002'] }],
  ['Put the caller through to the billing team at ext:1002.', { dial: ['ext:1002'] }],
  ['Patch them through to Eric on +15125551234.', { dial: ['+15125551234'] }],
  ['Send billing calls to ext:1002.', { dial: ['ext:1002'] }],
  ['Send the caller to +1 (512) 555-1234.', { dial: ['+15125551234'] }],
  ['For billing, transfer to ext:1002.', { dial: ['ext:1002'] }],
  ['Billing disputes: warm transfer to ext:1002.', { dial: ['ext:1002'] }],
  ['When the caller asks for Eric, transfer them to +15125551234.', { dial: ['+15125551234'] }],
  ['If the caller asks for Eric, warm transfer to 512.555.1234.', { dial: ['+15125551234'] }],
  ['If the caller asks for Eric, transfer to 1-512-555-1234.', { dial: ['+15125551234'] }],
  ['If the caller asks for Eric, transfer to 5125551234.', { dial: ['+15125551234'] }],
  ['If the caller asks for Eric, transfer to +1 512 555 1234.', { dial: ['+15125551234'] }],
  ['If the caller asks for Eric, transfer to +1 (512) 555-1234.', { dial: ['+15125551234'] }],
  ['If the caller asks for Eric, transfer to (512) 555-1234.', { dial: ['+15125551234'] }],
  ['Please transfer sales calls to sip:sales@pbx.example.com.', { dial: ['sip:sales@pbx.example.com'] }],
  ['If a manager is needed, transfer to sips:mgr@pbx.example.com:5061.', { dial: ['sips:mgr@pbx.example.com:5061'] }],
  ['You should transfer billing questions to ext:1002.', { dial: ['ext:1002'] }],
  ['Billing calls should be transferred to ext:1002.', { dial: ['ext:1002'] }],
  ['Calls about invoices are to be sent to ext:1002.', { dial: ['ext:1002'] }],
  ['Connect the caller to ext:1002 if they ask for billing.', { dial: ['ext:1002'] }],
  ['Forward support calls to ext:3001, ext:3002 or ext:3003.', { dial: ['ext:3001', 'ext:3002', 'ext:3003'] }],
  ['If the caller needs sales, transfer to ext:2001, or if they are unavailable to ext:2002.', { dial: ['ext:2001', 'ext:2002'] }],
  ["If sales, transfer to ext:2001. If they don't answer, try ext:2002.", { dial: ['ext:2001', 'ext:2002'] }],
  ['If sales, transfer to ext:2001. If nobody picks up, transfer to ext:2002.', { dial: ['ext:2001', 'ext:2002'] }],
  ['If sales, transfer to ext:2001, otherwise ext:2002.', { dial: ['ext:2001', 'ext:2002'] }],
  ['If sales, transfer to ext:2001. Otherwise, put them through to ext:2002.', { dial: ['ext:2001', 'ext:2002'] }],
  ['If the caller needs support, transfer to ext:3001, then try +1-512-555-0150.', { dial: ['ext:3001', '+15125550150'] }],
  ['Transfer billing calls to ext:1002 and sales calls to ext:2001.', { dial: ['ext:1002', 'ext:2001'] }],
  ['If the caller wants a manager, transfer to pbx:3000.', { dial: ['ext:3000'] }],
  ['Route emergencies to ext:911.', { dial: ['ext:911'] }],
  ['Escalate angry callers to ext:4000.', { dial: ['ext:4000'] }],
  ['Hand the caller off to ext:1002.', { dial: ['ext:1002'] }],
  ['If it is after hours, transfer to ext:5000.', { dial: ['ext:5000'] }],
  ['During business hours, send callers to ext:1002.', { dial: ['ext:1002'] }],
  ['If billing, then transfer to ext:1002.', { dial: ['ext:1002'] }],
  ['Always transfer VIP callers to ext:1002.', { dial: ['ext:1002'] }],
  ['Transfer to Eric (ext:1003).', { dial: ['ext:1003'] }],
  ['Direct all sales questions to ext:2001.', { dial: ['ext:2001'] }],
  ['Try ext:4000.', { dial: ['ext:4000'] }],
  ['Transfer the caller to Dr. Smith at ext:1004.', { dial: ['ext:1004'] }],
  [
    'If the caller asks for Eric, warm transfer to +15125551234. First confirm with the caller that they would like to be transferred.',
    { dial: ['+15125551234'] },
  ],
  ['Transfer to ext:1002 to resolve the dispute.', { dial: ['ext:1002'] }],
  ['If billing, transfer to **ext:1002** (markdown).', { dial: ['ext:1002'] }],
  ['If billing, transfer to _ext:1002_ or [ext:1003].', { dial: ['ext:1002', 'ext:1003'] }],
  ['Transfer billing disputes to ext:1002 ASAP.', { dial: ['ext:1002'] }],
  ['Transfer the caller to ext:1002 right away, if they ask for billing.', { dial: ['ext:1002'] }],
  // Lists and mixed rules: each sentence read on its own.
  ['- If billing, transfer to ext:1002.\n- Never transfer to ext:1999.\n- If sales, transfer to ext:2001.', { dial: ['ext:1002', 'ext:2001'], never: [X] }],
  ['1. If sales, transfer to ext:2001, otherwise ext:2002.\n2. ext:1999 is the CEO\u2019s private line.', { dial: ['ext:2001', 'ext:2002'], not: [X] }],
  ['If billing, transfer to ext:1002. Do not transfer to ext:1999.', { dial: ['ext:1002'], never: [X] }],
  ['Do not transfer to ext:1999. Transfer support calls to ext:1004 instead.', { dial: ['ext:1004'], never: [X] }],
  ['If billing, transfer to ext:1002 and tell them our fax is 512-555-0177.', { dial: ['ext:1002'], not: ['+15125550177'] }],
];

describe('default deny: what each wording makes of its destinations', () => {
  it('has at least 80 wordings, about half forbidding or mentioning and half transferring', () => {
    expect(FORBIDDING.length + TRANSFERRING.length).toBeGreaterThanOrEqual(80);
    expect(FORBIDDING.length).toBeGreaterThanOrEqual(40);
    expect(TRANSFERRING.length).toBeGreaterThanOrEqual(40);
  });

  it.each(FORBIDDING)('forbids or withholds: %j', (text, expected) => {
    const plan = planOf(text);
    expect(readingOf(plan)).toEqual({ dial: [], never: expected.never ?? [], not: expected.not ?? [] });
    for (const d of [...(expected.never ?? []), ...(expected.not ?? [])]) expect(planFor(plan, d)).toBeUndefined();
  });

  it.each(TRANSFERRING)('transfers: %j', (text, expected) => {
    const plan = planOf(text);
    expect(readingOf(plan)).toEqual({ dial: expected.dial ?? [], never: expected.never ?? [], not: expected.not ?? [] });
    for (const d of expected.dial ?? []) expect(planFor(plan, d)?.destination).toBeDefined();
  });
});

describe('the read-back of what is not dialled', () => {
  it('quotes the sentence and says why, for each reason', () => {
    const plan = planOf(
      [
        'Transfer to ext:1990 only with manager approval.',
        'Should we transfer to ext:1991?',
        "ext:1992 is the CEO's private line.",
        "If the caller doesn't speak English, transfer to ext:1993.",
      ].join('\n\n'),
    );
    expect((plan.notDialled ?? []).map((n) => [canonicalDestination(n.destination), n.rule, n.reason, n.trigger, n.sentence])).toEqual([
      ['ext:1990', 1, 'restricted', 'only', 'Transfer to ext:1990 only with manager approval.'],
      ['ext:1991', 2, 'question', undefined, 'Should we transfer to ext:1991?'],
      ['ext:1992', 3, 'mention', undefined, "ext:1992 is the CEO's private line."],
      ['ext:1993', 4, 'mixed', "doesn't", "If the caller doesn't speak English, transfer to ext:1993."],
    ]);
  });

  it('leaves out of the heading what another sentence makes dialable', () => {
    const plan = planOf('ext:1002 is the billing desk.\n\nIf the caller has a billing dispute, warm transfer to ext:1002.');
    expect(readingOf(plan)).toEqual({ dial: ['ext:1002'], never: [], not: [] });
  });
});
