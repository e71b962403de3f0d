// The person's own words decide: the caller's for a confirm-first rule, the colleague's for a spoken accept in the
// briefing. A yes in their last turns, and neither a "no" nor a question in the latest.
import { describe, expect, it } from 'vitest';
import { agreesInLastTurns } from '../../agent/transfer/tools/consent.ts';

describe("the person's confirmation", () => {
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
    [['Don’t transfer me.'], false],
    // The colleague in the briefing.
    [['Sure, send them through.'], true],
    [['Who is calling, please?', 'Yes, put them through.'], true],
    [["I'll take it."], true],
    [['Okay, connect them.'], true],
    [['Yes?'], false],
    [['Okay, who is it?'], false],
    [['Who is calling, please?'], false],
    [["I can't take this now."], false],
    [['Sure.', 'Wait, what is it about?'], false],
    [['I cannot take it right now.'], false],
  ])('%j → %s', (turns, agreed) => {
    expect(agreesInLastTurns(turns)).toBe(agreed);
  });
});
