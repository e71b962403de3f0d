// Splits Warm Transfer Rules text into rules. A blank line, a list marker ("-", "*", "•", "1.", "1)") or a
// line that begins with "If", "When", "Never", "Do not" or "Don't" starts a new rule; any other line continues the rule above, so
// "First confirm with the caller…" on its own line belongs to the rule before it. A line that begins with
// fallback wording ("Otherwise…", "If they don't answer…", "Then try…") continues its rule too, even as
// a list item, because a fallback means nothing without the destination it stands in for.

const LIST_MARKER = /^(?:[-*•]|\d+[.)])\s+/;
const RULE_START = /^(?:if|when|never|do\s+not|don['\u2019]t)\b/i;
const CONTINUES =
  /^(?:otherwise|failing\s+that|then\b|or\b|if\s+(?:not|that\s+fails|(?:they|he|she|it|nobody|no\s+one)\b[^,.]*\b(?:busy|unavailable|not\s+available|away|answer|pick\s+up|declines?|rejects?)))/i;

export function splitRules(text: string): string[] {
  const rules: string[][] = [];
  let current: string[] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') {
      current = undefined;
      continue;
    }
    const unmarked = line.replace(LIST_MARKER, '');
    const continues = current !== undefined && CONTINUES.test(unmarked);
    if (current === undefined || (!continues && (unmarked !== line || RULE_START.test(line)))) {
      current = [];
      rules.push(current);
    }
    current.push(unmarked);
  }
  return rules.map((lines) => lines.join(' '));
}
