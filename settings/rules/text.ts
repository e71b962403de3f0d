// Splits Warm Transfer Rules text into rules.
//
// Hard boundaries: a blank line and a list marker ("-", "*", "•", "1.", "1)") start a new rule, except that
// a line beginning with fallback wording ("Otherwise…", "If they don't answer…", "Then try…") continues its
// rule even as a list item, because a fallback means nothing without the destination it stands in for.
//
// Soft boundaries, one logic for both: a line that begins with "If", "When", "Never", "Do not" or "Don't"
// (any apostrophe the reader folds, or none: "Dont"), and, within a line, a sentence that begins with one of
// those words after a sentence end (".", "!" or "?", then any closing quotes or brackets, then a space). So
// "If billing, transfer to ext:1001. If sales, transfer to ext:1002." is two rules, on one line or two. A
// line break there is a sentence end: where the line before has none the reader sees, ". " is written in
// when the two stay one rule ("ext:1001" + "Never transfer there" is read "ext:1001. Never transfer there"),
// and unlike '." ' within a line (below) the reader does not read on across it. Any other line continues
// the rule above ("First confirm with the caller…"). The piece after a soft boundary stays with the text
// before it when splitting would change what the rules mean:
//   - it is fallback wording, as above, or the reader reads its first destination as a fallback ("If ext:2001
//     is busy, try ext:2002.");
//   - it names no destination ("If the caller is upset, apologise."): on its own it would add nothing to the
//     plan but could take something away, such as a "Never." that answers the sentence before;
//   - a sentence in it answers or points back at the sentence before ("Never.", "Never transfer there.",
//     "Never transfer there, use ext:1002.") before any sentence of its own names a destination;
//   - it asks to confirm first, makes nothing dialable and names only destinations its rule names so far
//     ("When transferring to ext:1001, confirm with the caller first.");
//   - read apart, a destination of either part would be dialable or no longer forbidden where read together it
//     is not (the reader does not end a sentence at '." ' within a line, so 'Never say "hello." If billing,
//     transfer to ext:1001.' is one prohibitive sentence, and stays one rule).
// And a net under those checks, per block of lines between hard boundaries: the block read as one and read as
// the rules it was split into must give every destination the same or a stricter role (nothing dialable that
// was not, nothing forbidden that stops being). If not, the splits after closing quotes or brackets are undone;
// if still not, only the splits at line starts are kept; if still not, the block is one rule.
//
// An answer across a hard boundary: a rule that begins by answering or pointing back ("- Never transfer
// there." as a list item, "Never." after a blank line) has nothing in its own text to apply to, and read
// alone it would leave the destination it answers dialable. It is joined to the last rule before it that
// names a destination (with any rules between, which name none), so the answer applies to that rule's last
// sentence with a destination, as it would on one line. Joining rather than refusing: the reader reads a
// short prohibition whose verb it does not know ("Never bother them.") as an answer, and refusing the settings
// for that would refuse ordinary guidance; joining can only make the rule before stricter, and the read-back
// shows it (not dialled: 'later'). Guidance with a verb of its own ("Never hang up on a caller.") is no answer
// (Sentence.isGuidance) and stays a rule of its own, which names no destination. An answer with no destination anywhere before it (the text starts with "Never
// transfer there.") stays a rule of its own: it has nothing to forbid, and plan.ts warns that it forbids nothing.
// Forbidding is never per rule anyway: every rule's forbidden destinations form one denylist (plan.ts).
// The '.' of an abbreviation the reader knows ("e.g.", "i.e.", "etc.", "Dr.") ends no sentence, whatever the
// case of the word after it: "e.g. if the caller ..." continues its sentence, and so does "etc. If ...".
// Nor does a sentence end without a space after it ("ext:1001.If sales, ..."), as for the reader.
import { destinationKey, parseDestination } from '../destination.ts';
import { readRule, type ReadMention, type RuleReading } from './reader.ts';
import { APOSTROPHES, endsInAbbreviation, normalizeRuleText } from './tokens.ts';

const LIST_MARKER = /^(?:[-*•]|\d+[.)])\s+/;
// "Don't" with any apostrophe the reader folds (tokens.ts), or none ("Dont"), as the reader reads it.
const RULE_WORD = String.raw`(?:if|when|never|do\s+not|don[${APOSTROPHES}]?t)\b`;
const RULE_START = new RegExp(`^${RULE_WORD}`, 'i');
const CONTINUES =
  /^(?:otherwise|failing\s+that|then\b|or\b|if\s+(?:not|that\s+fails|(?:they|he|she|it|nobody|no\s+one)\b[^,.]*\b(?:busy|unavailable|not\s+available|away|answer|pick\s+up|declines?|rejects?)))/i;
// A sentence end, any closing quotes or brackets, and the space before a rule-starting word. The lookbehind
// starts a match only at the first mark of a run, so a long run of dots is scanned once.
const SENTENCE_THEN_RULE = new RegExp(String.raw`(?<![.!?])([.!?]+)(["'\u2019\u201d\u00bb)\]]*)\s+(?=${RULE_WORD})`, 'gi');
/** Text the reader ends a sentence after ('.', '!', '?', ';' last). */
const ENDS_SENTENCE = /[.!?;]$/;
const DIALABLE: ReadonlySet<ReadMention['role']> = new Set(['start', 'alternative', 'fallback']);

/** A line of the rules text, without its list marker; `ruleWord`: it begins with a rule word and is not a block's first. */
interface Line {
  text: string;
  ruleWord: boolean;
}

export function splitRules(text: string): string[] {
  // Each rule as the texts it was merged from, joined at the end (so that merging stays linear).
  const rules: string[][] = [];
  // The last rule that names a destination: what an answer at the start of a block refers to.
  let lastNaming = -1;
  for (const block of blocksOf(text)) {
    for (const ruleText of bySentence(block)) {
      const reading = readRule(ruleText);
      if (reading.answersEarlier && lastNaming >= 0) {
        // An answer after a blank line or as a list item ("- Never transfer there."): it belongs with the
        // rule it answers, and so does any rule between them (none of them names a destination).
        const target = rules[lastNaming]!;
        for (const between of rules.splice(lastNaming + 1)) target.push(...between);
        target.push(ruleText);
        continue;
      }
      rules.push([ruleText]);
      if (reading.mentions.length > 0) lastNaming = rules.length - 1;
    }
  }
  return rules.map((parts) => parts.map((part, i) => (i === 0 ? part : lineBreak(parts[i - 1]!) + part)).join(''));
}

/** The text cut at blank lines and list items (a fallback list item continues its block), each line unmarked. */
function blocksOf(text: string): Line[][] {
  const blocks: Line[][] = [];
  let current: Line[] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') {
      current = undefined;
      continue;
    }
    const unmarked = line.replace(LIST_MARKER, '');
    const continues = current !== undefined && CONTINUES.test(unmarked);
    if (current === undefined || (!continues && unmarked !== line)) {
      current = [];
      blocks.push(current);
    }
    current.push({ text: unmarked, ruleWord: current.length > 0 && RULE_START.test(unmarked) });
  }
  return blocks;
}

/**
 * What joins a line that begins with a rule word to the text before it: a line break there ends a
 * sentence, so where the text before has no sentence end the reader sees ('.', '!', '?', ';' last, not
 * '."'), one is written in ("ext:1001" + "Never transfer there" is read "ext:1001. Never transfer there").
 */
const lineBreak = (before: string) => (before === '' ? '' : ENDS_SENTENCE.test(before) ? ' ' : '. ');

/** A piece of a rule's text; all but the first start at a rule-starting word after a sentence end or a line break. */
interface Piece {
  text: string;
  /** The sentence end before it had closing quotes or brackets ('." If'): the reader reads on across it. */
  afterCloser: boolean;
  /** It begins a line. */
  line: boolean;
  /** What goes between it and the piece before when they stay one rule ('' within a line: the space is the piece before's). */
  join: string;
}

/** Which splits a pass of grouped() may make: every one, none after closing quotes, only at line starts. */
type Pass = 'all' | 'notAfterCloser' | 'lines';

/** One block's lines, split where a line or a sentence inside a line starts a rule of its own. */
function bySentence(lines: Line[]): string[] {
  const pieces: Piece[] = [];
  for (const line of lines) {
    const [first, ...rest] = piecesOf(line.text);
    const last = pieces[pieces.length - 1];
    if (last === undefined) pieces.push(first!);
    else if (line.ruleWord) pieces.push({ ...first!, line: true, join: lineBreak(last.text) });
    else last.text += ` ${first!.text}`;
    pieces.push(...rest);
  }
  const joined = pieces.map((p) => p.join + p.text).join('');
  if (pieces.length === 1) return [joined];
  // The net under the checks in startsRule: read as one rule and read as the split rules, no destination may
  // become dialable or stop being forbidden. Failing that, no split after closing quotes; failing that, only
  // splits at line starts; failing that, none.
  const whole = readRule(joined).mentions;
  for (const pass of ['all', 'notAfterCloser', 'lines'] as const) {
    const rules = grouped(pieces, pass);
    const apart = rules.length === 1 ? whole : rules.flatMap((r) => readRule(r).mentions);
    if (noLooser(whole, apart)) return rules;
  }
  return [joined];
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
    pieces.push({ text: line.slice(start, cut), afterCloser, line: false, join: '' });
    start = cut;
    afterCloser = m[2] !== '';
  }
  pieces.push({ text: line.slice(start), afterCloser, line: false, join: '' });
  return pieces;
}

function grouped(pieces: Piece[], pass: Pass): string[] {
  const rules = [pieces[0]!.text];
  let before = readRule(pieces[0]!.text);
  // The destinations the rule being built names so far.
  let named = namedIn(before);
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i]!;
    const alone = readRule(piece.text);
    const may = pass === 'all' || (pass === 'notAfterCloser' ? !piece.afterCloser : piece.line);
    if (may && startsRule(pieces[i - 1]!.text + piece.join, before, piece.text, alone, named)) {
      rules[rules.length - 1] = rules[rules.length - 1]!.trimEnd();
      rules.push(piece.text);
      named = new Set();
    } else {
      rules[rules.length - 1] += piece.join + piece.text;
    }
    for (const key of namedIn(alone)) named.add(key);
    before = alone;
  }
  return rules;
}

/** Whether `piece` starts a rule of its own after `previous` (see the header: when it stays). */
function startsRule(previous: string, before: RuleReading, piece: string, alone: RuleReading, named: ReadonlySet<string>): boolean {
  if (CONTINUES.test(piece)) return false;
  if (alone.mentions.length === 0 || alone.answersEarlier) return false;
  if (alone.mentions.find((m) => DIALABLE.has(m.role))?.role === 'fallback') return false;
  if (alone.confirmFirst && !alone.mentions.some((m) => DIALABLE.has(m.role)) && alone.mentions.every((m) => named.has(keyOf(m.raw)))) {
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
