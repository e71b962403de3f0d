// The caller's own words decide a confirm-first rule: a yes in their last turns, and no "no" in the latest.
import { describe, expect, it } from 'vitest';
import { agreesInLastTurns } from '../../agent/transfer/confirmation.ts';

describe("the caller's confirmation", () => {
  it.each([
    [['Can I speak to Eric?', 'Yes please.'], true],
    [['Can I speak to Eric?', 'Sure, go ahead.'], true],
    [['Yeah.', 'Thanks.'], true],
    [['Okay, that is fine'], true],
    [['Yes, no problem.'], true],
    [['Can I speak to Eric?'], false],
    [['Yes please.', 'Actually no, wait.'], false],
    [['No, I would rather not.'], false],
    [["Don't transfer me."], false],
    [['Yes.', 'Hmm.', 'What are your hours?'], false],
    [[], false],
  ])('%j → %s', (turns, agreed) => {
    expect(agreesInLastTurns(turns)).toBe(agreed);
  });
});
