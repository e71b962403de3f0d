// Reads one rule's sentences and gives every destination written in them a role. Default-deny: a
// destination is dialable ('start', 'alternative', 'fallback') only when its sentence is recognised as an
// instruction to transfer there and nothing in that sentence forbids, negates, restricts or questions it.
// Everything else is forbidden (a prohibitive word governs it) or withheld (named, never dialled), with
// the reason the read-back shows.
//
// How it reads: destinations are masked (so their dots and colons do not split sentences), sentences are
// split, and each becomes a list of tokens: words (lower-cased, "dont" read as "don't"), destinations,
// boundaries (, ; : dashes) and parentheses. Then, per sentence:
//   1. fallback conditions that say "no" without forbidding anything ("if they don't answer") are set apart;
//   2. every other prohibitive or negating word, anywhere, marks the sentence as prohibitive; a restricting
//      word ("only", "unless", "approval") as restricted; a '?' as a question;
//   3. instructions are recognised from their verbs in imperative (or passive) position, each with the
//      destination after "to" ("transfer the caller to ext:1002", "put them through to", "send ... to"),
//      or directly after "try"/"dial"/"call", and what follows it: alternatives ("or ext:1003"), fallbacks
//      ("otherwise", ", or if they are busy, ..."). A transfer phrase followed by a verb was a subject
//      ("Transfer to ext:1999 is forbidden"), not an instruction;
//   4. roles are settled: in a prohibitive sentence what a prohibitive word governs is forbidden (forwards,
//      or backwards when nothing follows it), every other destination forbidden too unless an instruction
//      clearly names it, and then it is withheld, not dialled.
// A sentence that only answers the one before ("Never.") or points back at it ("Never transfer there.")
// applies to that sentence's destinations, and so does a prohibitive sentence that points back while naming
// destinations of its own ("Never transfer there, use ext:1002.": ext:1002 is not dialled either, a mixed
// sentence). A bare answer after fallback sentences ("... If they are busy, try ext:1003. Never.") applies to
// the whole chain. Guidance with a verb of its own ("Never hang up on a caller.") answers nothing
// (Sentence.isGuidance). Every step is a bounded look around a token, so the time
// grows linearly with the text.
//
// Where each step lives: the tokens (tokens.ts), steps 1 and 2 and the sentence as a whole (sentence.ts),
// step 3 (instructions.ts), what a prohibitive word governs (negation-scope.ts); step 4, settling the roles,
// and the rule as a whole here.
import { draftRoles, type Draft } from './instructions.ts';
import { negationScope } from './negation-scope.ts';
import { Sentence } from './sentence.ts';
import { indexOf, maskDestinations, normalizeRuleText, PLACEHOLDER_RE, splitSentences, tokenize } from './tokens.ts';

export type Role = 'start' | 'alternative' | 'fallback' | 'forbid' | 'withheld';

export type WithheldReason = 'mention' | 'condition' | 'question' | 'restricted' | 'mixed' | 'later' | 'unreadable' | 'orphan';

export interface ReadMention {
  /** The destination as written. */
  raw: string;
  /** Its sentence as written, for the read-back. */
  sentence: string;
  role: Role;
  /** Why a withheld destination is not dialled. */
  reason?: WithheldReason;
  /** The word that forbade or restricted it. */
  trigger?: string;
}

export interface RuleReading {
  mentions: ReadMention[];
  /** Sentences that name no destination, with what they say about transferring. */
  bare: Array<{ sentence: string; instructs: boolean; negated: boolean }>;
  confirmFirst: boolean;
  /**
   * A sentence before the first destination answers or points back at the one before it ("Never.", "Never
   * transfer there."): in this text it has nothing to apply to, so it belongs with the text before (text.ts).
   */
  answersEarlier: boolean;
  /** The first such sentence, as written, for the warning that it forbids nothing (plan.ts). */
  unanswered?: string;
}

/** Reads a rule's whole text. */
export function readRule(text: string): RuleReading {
  const { masked, tokens: raws } = maskDestinations(normalizeRuleText(text));
  const mentions: ReadMention[] = [];
  const bare: RuleReading['bare'] = [];
  let confirmFirst = false;
  let answersEarlier = false;
  let unanswered: string | undefined;
  let previous: ReadMention[] = [];
  // The destinations of the sentence with the last instruction and of the fallback sentences after it ("If
  // billing, transfer to ext:1001. If they are busy, try ext:1003."): what a bare "Never." after them answers.
  let chain: ReadMention[] = [];
  for (const sentence of splitSentences(masked)) {
    const shown = sentence.replace(PLACEHOLDER_RE, (_, n: string) => raws[indexOf(n)] ?? '').trim();
    const { tokens, unreadable } = tokenize(sentence);
    const read = new Sentence(tokens, /\?[!?.\s]*$/.test(sentence), unreadable);
    confirmFirst ||= read.confirmsFirst();
    const roles = settledRoles(read);
    if (roles.length === 0) {
      // A short answer in letters the reader cannot check ("Nеver." with a Cyrillic е) may be a "never" too.
      const unchecked = unreadable && read.isElliptic();
      // "Never hang up on a caller.": a prohibition with a verb of its own is guidance, not an answer.
      const answersBefore =
        unchecked || (read.negation !== undefined && !read.isGuidance() && (read.isElliptic() || read.pointsBack() || read.namesTransferBack()));
      if (answersBefore) {
        if (previous.length === 0) unanswered ??= shown;
        answersEarlier ||= previous.length === 0;
        // A bare answer after a fallback sentence ("... If they are busy, try ext:1003. Never.") cannot say
        // whether it refuses the fallback or the transfer it falls back from: it refuses both. One that points
        // back ("Never transfer there.") refuses what the sentence before names.
        applyLater(read.pointsBack() || read.namesTransferBack() ? previous : chain, read.negation ?? 'unreadable');
      } else bare.push({ sentence: shown, instructs: read.instructsWithoutDestination(), negated: read.negation !== undefined });
      continue;
    }
    // "Never transfer there, use ext:1002.": a prohibition pointing back applies to the sentence before even
    // where this sentence names a destination of its own.
    if (read.negation !== undefined && read.pointsBack(true) && !read.isGuidance()) {
      if (previous.length === 0) unanswered ??= shown;
      answersEarlier ||= previous.length === 0;
      applyLater(previous, read.negation);
    }
    const inSentence = roles.map((r) => ({ raw: raws[r.n] ?? '', sentence: shown, ...r.settled }));
    for (const m of inSentence) mentions.push(m);
    const fallsBack = inSentence.some((m) => m.role === 'fallback') && !inSentence.some((m) => m.role === 'start' || m.role === 'alternative');
    chain = fallsBack ? [...chain, ...inSentence] : inSentence;
    previous = inSentence;
  }
  return { mentions, bare, confirmFirst, answersEarlier, ...(unanswered === undefined ? {} : { unanswered }) };
}

/** "Never." after a sentence: what it named is forbidden, or withheld where it was an instruction. */
function applyLater(previous: ReadMention[], trigger: string) {
  for (const m of previous) {
    if (m.role === 'forbid') continue;
    const positive = m.role === 'start' || m.role === 'alternative' || m.role === 'fallback';
    m.role = positive ? 'withheld' : 'forbid';
    if (positive) m.reason = 'later';
    else delete m.reason;
    m.trigger = trigger;
  }
}

type Settled = Pick<ReadMention, 'role' | 'reason' | 'trigger'>;

/** Each destination token's index in the masked list, with its settled role. */
function settledRoles(sentence: Sentence): Array<{ n: number; settled: Settled }> {
  const drafts = draftRoles(sentence);
  const scope = sentence.negation === undefined ? new Set<number>() : negationScope(sentence);
  const out: Array<{ n: number; settled: Settled }> = [];
  sentence.tokens.forEach((t, i) => {
    if (t.kind !== 'dest') return;
    out.push({ n: t.n, settled: settle(sentence, i, drafts.get(i) ?? 'mention', scope) });
  });
  return out;
}

/**
 * A draft made final by what the whole sentence says: a negation forbids what it governs and withholds the
 * rest; otherwise only a clear instruction, unrestricted and not asked as a question, is dialled.
 */
function settle(sentence: Sentence, i: number, draft: Draft, scope: Set<number>): Settled {
  const positive = draft === 'start' || draft === 'alternative' || draft === 'fallback';
  if (sentence.negation !== undefined) {
    const trigger = sentence.negation;
    if (scope.has(i)) return { role: 'forbid', trigger };
    if (positive) return { role: 'withheld', reason: 'mixed', trigger };
    if (draft === 'condition') return { role: 'withheld', reason: 'condition' };
    return { role: 'forbid', trigger };
  }
  if (sentence.unreadable) return { role: 'withheld', reason: 'unreadable' };
  if (!positive) return { role: 'withheld', reason: draft === 'condition' ? 'condition' : 'mention' };
  if (sentence.restriction !== undefined) return { role: 'withheld', reason: 'restricted', trigger: sentence.restriction };
  if (sentence.question) return { role: 'withheld', reason: 'question' };
  return { role: draft };
}
