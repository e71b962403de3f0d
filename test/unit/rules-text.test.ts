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
