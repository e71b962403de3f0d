// Splits Warm Transfer Rules text into rules. A blank line, a list marker ("-", "*", "•", "1.", "1)") or a
// line that begins with "If", "When", "Never", "Do not" or "Don't" starts a new rule; any other line continues the rule above, so
// "First confirm with the caller…" on its own line belongs to the rule before it. A line that begins with
// fallback wording ("Otherwise…", "If they don't answer…", "Then try…") continues its rule too, even as
// a list item, because a fallback means nothing without the destination it stands in for.
//
// Within a line, a sentence that begins with one of those words after a sentence end (".", "!" or "?", then
// any closing quotes or brackets, then a space) starts a new rule too: "If billing, transfer to ext:1001. If
// sales, transfer to ext:1002." is two rules. It stays with the sentence before it when splitting would change
// what the rules mean:
//   - it is fallback wording, as above, or the reader reads its first destination as a fallback ("If ext:2001
//     is busy, try ext:2002.");
//   - it names no destination ("If the caller is upset, apologise."): on its own it would add nothing to the
//     plan but could take something away, such as a "Never." that answers the sentence before;
//   - a sentence in it answers the sentence before ("Never.", "Never transfer there.") before it names a
//     destination of its own;
//   - it asks to confirm first, makes nothing dialable and names only destinations the text before it names
//     ("When transferring to ext:1001, confirm with the caller first.");
//   - read apart, a destination of either part would be dialable or no longer forbidden where read together it
//     is not (the reader does not end a sentence at '." ', so 'Never say "hello." If billing, transfer to
//     ext:1001.' is one prohibitive sentence, and stays one rule).
// And a net under those checks: the whole rule read as one and read as the rules it was split into must give
// every destination the same or a stricter role (nothing dialable that was not, nothing forbidden that stops
// being). If not, the splits after closing quotes or brackets are undone; if still not, the rule is not split.
// Forbidding is never per rule anyway: every rule's forbidden destinations form one denylist (plan.ts).
// The '.' of an abbreviation the reader knows ("e.g.", "i.e.", "etc.", "Dr.") ends no sentence, whatever the
// case of the word after it: "e.g. if the caller ..." continues its sentence, and so does "etc. If ...".
// Nor does a sentence end without a space after it ("ext:1001.If sales, ..."), as for the reader.
import { destinationKey, parseDestination } from '../destination.ts';
import { readRule, type ReadMention, type RuleReading } from './reader.ts';
import { endsInAbbreviation, normalizeRuleText } from './tokens.ts';

const LIST_MARKER = /^(?:[-*•]|\d+[.)])\s+/;
const RULE_WORD = String.raw`(?:if|when|never|do\s+not|don['\u2019]t)\b`;
const RULE_START = new RegExp(`^${RULE_WORD}`, 'i');
const CONTINUES =
  /^(?:otherwise|failing\s+that|then\b|or\b|if\s+(?:not|that\s+fails|(?:they|he|she|it|nobody|no\s+one)\b[^,.]*\b(?:busy|unavailable|not\s+available|away|answer|pick\s+up|declines?|rejects?)))/i;
// A sentence end, any closing quotes or brackets, and the space before a rule-starting word. The lookbehind
// starts a match only at the first mark of a run, so a long run of dots is scanned once.
const SENTENCE_THEN_RULE = new RegExp(String.raw`(?<![.!?])([.!?]+)(["'\u2019\u201d\u00bb)\]]*)\s+(?=${RULE_WORD})`, 'gi');
const DIALABLE: ReadonlySet<ReadMention['role']> = new Set(['start', 'alternative', 'fallback']);

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
  return rules.flatMap(bySentence);
}

/** A piece of a rule's text; all but the first start at a rule-starting word after a sentence end in a line. */
interface Piece {
  text: string;
  /** The sentence end before it had closing quotes or brackets ('." If'): the reader reads on across it. */
  afterCloser: boolean;
}

/** One rule's lines, split where a sentence inside a line starts a rule of its own. */
function bySentence(lines: string[]): string[] {
  const pieces: Piece[] = [];
  lines.forEach((line, k) => {
    const [first, ...rest] = piecesOf(line);
    if (k === 0) pieces.push(first!);
    else pieces[pieces.length - 1]!.text += ` ${first!.text}`;
    pieces.push(...rest);
  });
  if (pieces.length === 1) return [pieces[0]!.text];
  // The net under the checks in startsRule: read as one rule and read as the split rules, no destination may
  // become dialable or stop being forbidden. Failing that, no split after closing quotes; failing that, none.
  const whole = readRule(pieces.map((p) => p.text).join('')).mentions;
  for (const closers of [true, false]) {
    const rules = grouped(pieces, closers);
    const apart = rules.length === 1 ? whole : rules.flatMap((r) => readRule(r).mentions);
    if (noLooser(whole, apart)) return rules;
  }
  return [lines.join(' ')];
}

/** A line cut before each rule-starting word that follows a sentence end (the text between kept whole). */
function piecesOf(line: string): Piece[] {
  const pieces: Piece[] = [];
  let start = 0;
  let afterCloser = false;
  for (const m of line.matchAll(SENTENCE_THEN_RULE)) {
    const at = m.index;
    if (m[1] === '.' && endsInAbbreviation(normalizeRuleText(line.slice(Math.max(0, at - 24), at)))) continue;
    const cut = at + m[0].length;
    pieces.push({ text: line.slice(start, cut), afterCloser });
    start = cut;
    afterCloser = m[2] !== '';
  }
  pieces.push({ text: line.slice(start), afterCloser });
  return pieces;
}

function grouped(pieces: Piece[], closers: boolean): string[] {
  const rules = [pieces[0]!.text];
  let before = readRule(pieces[0]!.text);
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i]!;
    const alone = readRule(piece.text);
    if ((closers || !piece.afterCloser) && startsRule(pieces[i - 1]!.text, before, piece.text, alone)) {
      rules[rules.length - 1] = rules[rules.length - 1]!.trimEnd();
      rules.push(piece.text);
    } else {
      rules[rules.length - 1] += piece.text;
    }
    before = alone;
  }
  return rules;
}

/** Whether `piece` starts a rule of its own after `previous` (see the header: when it stays). */
function startsRule(previous: string, before: RuleReading, piece: string, alone: RuleReading): boolean {
  if (CONTINUES.test(piece)) return false;
  if (alone.mentions.length === 0 || alone.answersEarlier) return false;
  if (alone.mentions.find((m) => DIALABLE.has(m.role))?.role === 'fallback') return false;
  if (alone.confirmFirst && !alone.mentions.some((m) => DIALABLE.has(m.role)) && alone.mentions.every((m) => namedIn(before).has(keyOf(m.raw)))) {
    return false;
  }
  return noLooser(readRule(previous + piece).mentions, [...before.mentions, ...alone.mentions]);
}

const namedIn = (reading: RuleReading) => new Set(reading.mentions.map((m) => keyOf(m.raw)));

function keyOf(raw: string): string {
  const parsed = parseDestination(raw);
  return parsed.ok ? destinationKey(parsed.destination) : raw;
}

/** Whether the same destinations, read apart, are nowhere dialable or unforbidden where read together they are not. */
function noLooser(together: ReadMention[], apart: ReadMention[]): boolean {
  return (
    together.length === apart.length &&
    together.every((t, i) => {
      const a = apart[i]!;
      return a.raw === t.raw && (!DIALABLE.has(a.role) || DIALABLE.has(t.role)) && (t.role !== 'forbid' || a.role === 'forbid');
    })
  );
}
