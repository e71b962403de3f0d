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
// applies to that sentence's destinations. Every step is a bounded look around a token, so the time
// grows linearly with the text.
import {
  BACK_REFERENCES, CLAUSE_WORDS, CONDITION_OPENERS, DIRECT_VERBS,
  FALLBACK_OPENERS, FINITE_AFTER_SUBJECT, LEAD_INS, MODALS, NOT_BEFORE_VERB, PARTICIPLES, PASSIVE_AUXILIARIES, QUESTION_OPENERS,
  DESTINATION_NOUNS, RESTRICTIONS, TAIL_WORDS, TARGET_JOINERS, TARGET_NOUNS, THROUGH_VERBS, TO_VERBS, TRAILING_CONDITION_OPENERS,
  UNANSWERED_SUBJECTS, UNANSWERED_VERBS, UNAVAILABLE, negationAt,
} from './words.ts';
import { indexOf, maskDestinations, normalizeRuleText, PLACEHOLDER_RE, splitSentences, tokenize, type Token } from './tokens.ts';

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
}

/** Reads a rule's whole text. */
export function readRule(text: string): RuleReading {
  const { masked, tokens: raws } = maskDestinations(normalizeRuleText(text));
  const mentions: ReadMention[] = [];
  const bare: RuleReading['bare'] = [];
  let confirmFirst = false;
  let previous: ReadMention[] = [];
  for (const sentence of splitSentences(masked)) {
    const shown = sentence.replace(PLACEHOLDER_RE, (_, n: string) => raws[indexOf(n)] ?? '').trim();
    const { tokens, unreadable } = tokenize(sentence);
    const read = new SentenceReader(tokens, /\?[!?.\s]*$/.test(sentence), unreadable);
    confirmFirst ||= read.confirmsFirst();
    const roles = read.roles();
    if (roles.length === 0) {
      // A short answer in letters the reader cannot check ("Nеver." with a Cyrillic е) may be a "never" too.
      const unchecked = unreadable && read.isElliptic();
      const answersBefore = unchecked || (read.negation !== undefined && (read.isElliptic() || read.pointsBack()));
      if (answersBefore) applyLater(previous, read.negation ?? 'unreadable');
      else bare.push({ sentence: shown, instructs: read.instructsWithoutDestination(), negated: read.negation !== undefined });
      continue;
    }
    const inSentence = roles.map((r) => ({ raw: raws[r.n] ?? '', sentence: shown, ...r.settled }));
    for (const m of inSentence) mentions.push(m);
    previous = inSentence;
  }
  return { mentions, bare, confirmFirst };
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

type Draft = 'start' | 'alternative' | 'fallback' | 'condition' | 'mention';
type Settled = Pick<ReadMention, 'role' | 'reason' | 'trigger'>;

class SentenceReader {
  readonly #t: Token[];
  readonly #words: (string | undefined)[];
  /** Words that belong to a fallback condition ("don't answer"): not prohibitions. */
  readonly #idiom: boolean[];
  readonly #draft = new Map<number, Draft>();
  readonly #question: boolean;
  readonly #unreadable: boolean;
  readonly #leadingCondition: boolean;
  /** Index of the first boundary, where a leading condition with a comma ends. */
  readonly #firstBoundary: number;
  negation: string | undefined;
  #restriction: string | undefined;

  constructor(tokens: Token[], question: boolean, unreadable: boolean) {
    this.#t = tokens;
    this.#words = tokens.map((t) => (t.kind === 'word' ? t.word : undefined));
    this.#idiom = tokens.map(() => false);
    this.#unreadable = unreadable;
    this.#question = question || QUESTION_OPENERS.has(this.#words[0] ?? '');
    this.#leadingCondition = CONDITION_OPENERS.has(this.#words[0] ?? '');
    const boundary = tokens.findIndex((t) => t.kind === 'boundary');
    this.#firstBoundary = boundary < 0 ? tokens.length : boundary;
    this.#markIdioms();
    for (let i = 0; i < tokens.length; i++) {
      if (this.#idiom[i]) continue;
      if (this.negation === undefined && negationAt(this.#words, i)) this.negation = this.#words[i];
      if (this.#restriction === undefined && RESTRICTIONS.has(this.#words[i] ?? '')) this.#restriction = this.#words[i];
    }
  }

  /** Each destination token's index in the masked list, with its settled role. */
  roles(): Array<{ n: number; settled: Settled }> {
    this.#readInstructions();
    const scope = this.negation === undefined ? new Set<number>() : this.#negationScope();
    const out: Array<{ n: number; settled: Settled }> = [];
    this.#t.forEach((t, i) => {
      if (t.kind !== 'dest') return;
      out.push({ n: t.n, settled: this.#settle(i, this.#draft.get(i) ?? 'mention', scope) });
    });
    return out;
  }

  #settle(i: number, draft: Draft, scope: Set<number>): Settled {
    const positive = draft === 'start' || draft === 'alternative' || draft === 'fallback';
    if (this.negation !== undefined) {
      const trigger = this.negation;
      if (scope.has(i)) return { role: 'forbid', trigger };
      if (positive) return { role: 'withheld', reason: 'mixed', trigger };
      if (draft === 'condition') return { role: 'withheld', reason: 'condition' };
      return { role: 'forbid', trigger };
    }
    if (this.#unreadable) return { role: 'withheld', reason: 'unreadable' };
    if (!positive) return { role: 'withheld', reason: draft === 'condition' ? 'condition' : 'mention' };
    if (this.#restriction !== undefined) return { role: 'withheld', reason: 'restricted', trigger: this.#restriction };
    if (this.#question) return { role: 'withheld', reason: 'question' };
    return { role: draft };
  }

  /** "if they don't answer", "if nobody picks up", "if ext:2001 is not available", "if not,": fallback conditions. */
  #markIdioms() {
    const w = this.#words;
    let window = 0;
    for (let i = 0; i < this.#t.length; i++) {
      const word = w[i];
      if (this.#t[i]!.kind === 'boundary') window = 0;
      if (word === 'if' || word === 'when' || word === 'whenever' || word === 'once') {
        window = 8;
        if (word === 'if' && w[i + 1] === 'not' && (this.#t[i + 2] === undefined || this.#t[i + 2]!.kind === 'boundary')) this.#idiom[i + 1] = true;
        continue;
      }
      if (window <= 0 || word === undefined) continue;
      window--;
      const negates = word === 'not' || word.endsWith("n't") || word === 'cannot' || word === 'never';
      if (negates && (UNANSWERED_VERBS.has(w[i + 1] ?? '') || UNANSWERED_VERBS.has(w[i + 2] ?? ''))) this.#idiom[i] = true;
      else if (UNANSWERED_SUBJECTS.has(word) && ['answer', 'answers', 'one', 'picks', 'responds', 'response', 'reply', 'is', 'available'].includes(w[i + 1] ?? '')) this.#idiom[i] = true;
      else if (UNAVAILABLE.has(word)) this.#idiom[i] = true;
    }
  }

  #isWord(i: number, set: ReadonlySet<string>): boolean {
    const word = this.#words[i];
    return word !== undefined && set.has(word);
  }

  #isDest(i: number): boolean {
    return this.#t[i]?.kind === 'dest';
  }

  #isBoundary(i: number): boolean {
    return this.#t[i]?.kind === 'boundary';
  }

  /** Finds the instructions, left to right, and drafts a role for each destination. */
  #readInstructions() {
    const n = this.#t.length;
    let trailingCondition = false;
    let instructed = false;
    for (let i = 0; i < n; ) {
      const t = this.#t[i]!;
      if (t.kind === 'boundary') {
        trailingCondition = false;
        i++;
        continue;
      }
      if (t.kind === 'dest') {
        if (!this.#draft.has(i)) {
          const inLeading = this.#leadingCondition && i < this.#firstBoundary && !instructed;
          this.#draft.set(i, inLeading || trailingCondition ? 'condition' : 'mention');
        }
        i++;
        continue;
      }
      const word = this.#words[i];
      if (word !== undefined && i > 0 && TRAILING_CONDITION_OPENERS.has(word) && !(this.#leadingCondition && i < this.#firstBoundary)) {
        trailingCondition = true;
      }
      if (!trailingCondition && this.#startsInstruction(i, instructed)) {
        const next = this.#instruction(i);
        if (next !== undefined) {
          instructed = true;
          i = next;
          continue;
        }
      }
      i++;
    }
  }

  /** A verb in imperative position, a passive participle after "be"/"are"/"get", or "go(es) to". */
  #startsInstruction(i: number, instructed: boolean): boolean {
    const word = this.#words[i];
    if (word === undefined) return false;
    if (PARTICIPLES.has(word) && !this.#inLeading(i) && this.#passiveAt(i)) return true;
    if (word === 'go' || word === 'goes') return !this.#inLeading(i);
    if (!TO_VERBS.has(word) && !THROUGH_VERBS.has(word) && !DIRECT_VERBS.has(word) && word !== 'hand') return false;
    let j = i - 1;
    for (let steps = 0; j >= 0 && steps < 8 && this.#isWord(j, LEAD_INS); steps++) j--;
    if (j < 0 || this.#isBoundary(j)) return true;
    if (this.#isWord(j, new Set(['but', 'or', 'and', 'then']))) return true;
    // "If the caller has a billing dispute warm transfer to ext:1002": a leading condition without a comma,
    // read so only when nothing else in the sentence could be the instruction and the verb is not a noun
    // ("asks for a transfer to ...") or an infinitive ("wants to transfer to ...").
    if (!this.#leadingCondition || this.#firstBoundary < this.#t.length || instructed) return false;
    let before = i - 1;
    while (this.#isWord(before, new Set(['warm', 'blind', 'cold', 'please', 'then', 'just', 'always', 'immediately', 'directly']))) before--;
    return !this.#isWord(before, NOT_BEFORE_VERB);
  }

  #inLeading(i: number): boolean {
    return this.#leadingCondition && i < this.#firstBoundary;
  }

  /** "should be transferred", "are (to be) sent", "get forwarded": a passive instruction. */
  #passiveAt(i: number): boolean {
    const aux = this.#words[i - 1] === 'warm' ? i - 2 : i - 1;
    const word = this.#words[aux];
    if (word === 'be') return this.#isWord(aux - 1, MODALS) || (this.#words[aux - 1] === 'to' && this.#isWord(aux - 2, new Set(['are', 'is'])));
    return word !== undefined && PASSIVE_AUXILIARIES.has(word);
  }

  /** Whether the instruction at i is a fallback: "Otherwise, transfer ...", "If they are busy, try ...". */
  #isFallbackContext(i: number): boolean {
    for (let j = i - 1, steps = 0; j >= 0 && steps < 8; j--, steps++) {
      const word = this.#words[j];
      // "Then try ext:2002." opens a fallback; "If billing, then transfer ..." is only the condition's "then".
      const opens = word === 'then' || word === 'next' ? j === 0 || this.#words[j - 1] === 'and' : this.#isWord(j, FALLBACK_OPENERS);
      if (opens || word === 'failing') return true;
      if (!this.#isWord(j, LEAD_INS) && !this.#isBoundary(j)) break;
    }
    if (!this.#leadingCondition || i < this.#firstBoundary) return false;
    for (let j = 0; j < this.#firstBoundary; j++) if (this.#idiom[j]) return true;
    return false;
  }

  /** Reads an instruction from its verb at i; drafts its destinations and returns where it ends. */
  #instruction(i: number): number | undefined {
    const first = this.#frame(i);
    if (first === undefined) return undefined;
    const placed: number[] = [first];
    this.#draft.set(first, this.#isFallbackContext(i) ? 'fallback' : 'start');
    const end = this.#continuation(first + 1, placed);
    if (!this.#plainTail(end)) for (const p of placed) this.#draft.set(p, 'mention');
    return end;
  }

  /**
   * What may follow an instruction's destinations: the end, a condition ("if ...", "during ..."), an adverb
   * ("right away"), a purpose ("to ..."), or another instruction. A verb there means the transfer phrase
   * was a subject ("Transfer to ext:1999 is forbidden"); anything else unknown ("..., that's over") is
   * not vouched for: the destinations are not dialled.
   */
  #plainTail(k: number): boolean {
    while (this.#t[k]?.kind === 'close' || this.#isBoundary(k)) k++;
    const t = this.#t[k];
    if (t === undefined || t.kind === 'open') return true;
    if (t.kind !== 'word') return false;
    if (FINITE_AFTER_SUBJECT.has(t.word)) return false;
    // "..., not to ext:1003": the sentence's negation settles it (rule out the transfer, forbid what follows).
    return TAIL_WORDS.has(t.word) || negationAt(this.#words, k) || this.#instructsAfter(k);
  }

  /** The destination an instruction's verb at i governs, or undefined when it is not an instruction there. */
  #frame(i: number): number | undefined {
    const word = this.#words[i]!;
    let k = i + 1;
    if (word === 'go' || word === 'goes') {
      while (this.#isWord(k, new Set(['straight', 'directly', 'right', 'through']))) k++;
      return this.#words[k] === 'to' ? this.#target(k + 1) : undefined;
    }
    if (DIRECT_VERBS.has(word)) {
      const direct = this.#target(k);
      if (direct !== undefined) return direct;
    }
    k = this.#skipObject(k, 6);
    if (THROUGH_VERBS.has(word) || word === 'put' || word === 'patched') {
      if (this.#words[k] !== 'through') return undefined;
      k++;
      if (this.#words[k] === 'to') k++;
      return this.#target(k);
    }
    if (word === 'hand' || word === 'handed') {
      if (!this.#isWord(k, new Set(['over', 'off']))) return undefined;
      k++;
    } else {
      while (this.#isWord(k, new Set(['over', 'on', 'straight', 'directly', 'right', 'back', 'through']))) k++;
    }
    if (this.#words[k] === 'to' || this.#words[k] === 'onto' || (word === 'connect' && this.#words[k] === 'with')) return this.#target(k + 1);
    return undefined;
  }

  /** Skips the object between a verb and "to" ("the caller", "billing calls"): plain words only. */
  #skipObject(k: number, max: number): number {
    for (let steps = 0; steps < max; steps++, k++) {
      const word = this.#words[k];
      if (word === undefined || ['to', 'through', 'over', 'onto', 'off', 'with', 'on'].includes(word)) return k;
      if (CLAUSE_WORDS.has(word) || negationAt(this.#words, k)) return k;
    }
    return k;
  }

  /**
   * The destination at k, or after a short noun phrase: plain nouns ("the number") or a name with a
   * joiner ("Eric at", "sales (ext:2001)").
   */
  #target(k: number): number | undefined {
    if (this.#t[k]?.kind === 'open') k++;
    if (this.#isDest(k)) return k;
    let plainNouns = true;
    for (let steps = 0; steps < 4; steps++, k++) {
      const t = this.#t[k];
      if (t === undefined) return undefined;
      if (t.kind === 'dest') return plainNouns ? k : undefined;
      if (t.kind === 'open' || (t.kind === 'boundary' && steps > 0)) return this.#isDest(k + 1) ? k + 1 : undefined;
      if (t.kind !== 'word') return undefined;
      if (TARGET_JOINERS.has(t.word) && steps > 0) return this.#isDest(k + 1) ? k + 1 : undefined;
      if (CLAUSE_WORDS.has(t.word) || negationAt(this.#words, k)) return undefined;
      if (!TARGET_NOUNS.has(t.word)) plainNouns = false;
    }
    return undefined;
  }

  /** After a destination: alternatives, fallbacks and gapped instructions ("and sales to ext:2001"). */
  #continuation(k: number, placed: number[]): number {
    for (;;) {
      while (this.#t[k]?.kind === 'close') k++;
      const start = k;
      let joined = false;
      if (this.#isBoundary(k)) k++;
      if (this.#isWord(k, new Set(['or', 'and']))) {
        joined = this.#words[k] === 'or' ? true : joined;
        k++;
        if (this.#words[k] === 'or') k++; // "and/or"
      }
      // Another destination in the same instruction: an alternative.
      const alternative = this.#isDest(k) ? k : joined ? this.#target(k) : undefined;
      if (alternative !== undefined && k > start) {
        this.#draft.set(alternative, 'alternative');
        placed.push(alternative);
        k = alternative + 1;
        continue;
      }
      const fallback = this.#fallbackAt(k);
      if (fallback !== undefined) {
        this.#draft.set(fallback, 'fallback');
        placed.push(fallback);
        k = fallback + 1;
        continue;
      }
      // "transfer billing calls to ext:1002 and sales to ext:2001": the verb carries over.
      if (this.#words[k - 1] === 'and' && k > start) {
        const object = this.#skipObject(k, 4);
        const gapped = this.#words[object] === 'to' && object > k ? this.#target(object + 1) : undefined;
        if (gapped !== undefined) {
          this.#draft.set(gapped, 'start');
          placed.push(gapped);
          k = gapped + 1;
          continue;
        }
      }
      return start;
    }
  }

  /** A fallback starting at k: "otherwise ext:2002", "then try ...", "if they are busy, to ...", "failing that ...". */
  #fallbackAt(k: number): number | undefined {
    const word = this.#words[k];
    if (word === undefined) return undefined;
    if (word === 'if') {
      let j = k + 1;
      let unavailable = false;
      for (let steps = 0; steps < 10 && j < this.#t.length; steps++, j++) {
        if (this.#isBoundary(j) || this.#isDest(j) || this.#words[j] === 'to') break;
        if (this.#idiom[j]) unavailable = true;
        if (negationAt(this.#words, j) && !this.#idiom[j]) return undefined;
      }
      return unavailable ? this.#fallbackTarget(j) : undefined;
    }
    if (!FALLBACK_OPENERS.has(word) && word !== 'failing' && word !== 'as') return undefined;
    let j = k + 1;
    if (word === 'failing' && this.#words[j] === 'that') j++;
    else if (word === 'failing') return undefined;
    if (word === 'as') {
      if (!this.#isWord(j, new Set(['a', 'the'])) || !this.#isWord(j + 1, new Set(['fallback', 'backup', 'last']))) return undefined;
      j += 2;
      if (this.#words[j] === 'resort') j++;
    }
    return this.#fallbackTarget(j);
  }

  /** After fallback wording: ", try ext:2002", " transfer to ext:2002", " to ext:2002", " ext:2002". */
  #fallbackTarget(j: number): number | undefined {
    if (this.#isBoundary(j)) j++;
    for (let steps = 0; steps < 4 && this.#isWord(j, LEAD_INS) && !this.#isWord(j, TO_VERBS) && this.#words[j] !== 'try' && this.#words[j] !== 'to'; steps++) j++;
    const verb = this.#words[j];
    if (verb !== undefined && (TO_VERBS.has(verb) || THROUGH_VERBS.has(verb) || DIRECT_VERBS.has(verb) || verb === 'hand')) return this.#frame(j);
    if (verb === 'to') return this.#target(j + 1);
    return this.#isDest(j) ? j : undefined;
  }

  /**
   * The destinations a prohibitive word governs: those after it up to a clause that instructs afresh
   * ("Don't transfer to ext:1003, transfer to ext:1004"); for a word nothing follows ("ext:1999 is
   * forbidden"), those before it back to the start of its clause.
   */
  #negationScope(): Set<number> {
    const n = this.#t.length;
    const scope = new Set<number>();
    const negations: Array<{ at: number; captured: boolean }> = [];
    let active: { at: number; captured: boolean } | undefined;
    for (let i = 0; i < n; i++) {
      if (!this.#idiom[i] && negationAt(this.#words, i)) {
        active = { at: i, captured: false };
        negations.push(active);
        continue;
      }
      if (!active) continue;
      if (this.#isDest(i)) {
        scope.add(i);
        active.captured = true;
      } else if (this.#isBoundary(i) && this.#inLeading(active.at)) {
        // "If the caller has never called before, ...": the negation belongs to the condition.
        active = undefined;
      } else if (active.captured && (this.#isBoundary(i) || this.#words[i] === 'but') && this.#instructsAfter(i + 1)) {
        // "Don't transfer to ext:1003, transfer to ext:1004": a fresh instruction after what it governed.
        active = undefined;
      }
    }
    const backwards = new Set(negations.filter((x) => !x.captured).map((x) => x.at));
    let on = false;
    for (let i = n - 1; i >= 0; i--) {
      if (backwards.has(i)) on = true;
      if (!on) continue;
      if (this.#isDest(i)) scope.add(i);
      const word = this.#words[i];
      if (word === 'but' || word === 'while' || word === 'whereas' || word === 'although' || word === 'though') on = false;
      if (word === 'and' && this.#isBoundary(i - 1)) on = false;
    }
    return scope;
  }

  /** Whether a fresh instruction starts at k (after lead-in words). */
  #instructsAfter(k: number): boolean {
    for (let steps = 0; steps < 6 && this.#isWord(k, LEAD_INS) && !this.#isWord(k, TO_VERBS) && this.#words[k] !== 'try'; steps++) k++;
    const word = this.#words[k];
    return word !== undefined && (TO_VERBS.has(word) || THROUGH_VERBS.has(word) || DIRECT_VERBS.has(word) || word === 'hand');
  }

  /**
   * "Never.", "Absolutely not!", "That may not happen.": a short sentence that says no to nothing of its
   * own (it instructs no transfer), so it answers the one before it.
   */
  isElliptic(): boolean {
    const words = this.#words.filter((w): w is string => w !== undefined);
    return words.length > 0 && words.length <= 8 && !words.some((w) => TO_VERBS.has(w) || THROUGH_VERBS.has(w) || DIRECT_VERBS.has(w) || w === 'hand');
  }

  /** "Never transfer there.", "Do not call that number.": it points back at the sentence before. */
  pointsBack(): boolean {
    return this.#words.some((w, i) => {
      if (w === 'there') return true;
      const before = this.#words[i - 1];
      if (w === 'it' || w === 'them') return before === 'to' || (before !== undefined && (TO_VERBS.has(before) || DIRECT_VERBS.has(before)));
      return w !== undefined && BACK_REFERENCES.has(w) && this.#isWord(i + 1, DESTINATION_NOUNS);
    });
  }

  /** "transfer them to someone nice": an instruction with no destination the tools could dial. */
  instructsWithoutDestination(): boolean {
    for (let i = 0; i < this.#t.length; i++) {
      if (!this.#isWord(i, TO_VERBS)) continue;
      const k = this.#skipObject(i + 1, 6);
      if (this.#words[k] === 'to') return true;
    }
    return false;
  }

  /** "First confirm with the caller", "Ask the caller first", "check with them before transferring". */
  confirmsFirst(): boolean {
    let stage = 0;
    for (let i = 0; i < this.#words.length; i++) {
      const word = this.#words[i];
      if (word === undefined) continue;
      if ((word === 'confirm' || word === 'check') && this.#words[i + 1] === 'with' && (this.#words[i + 2] === 'them' || this.#words[i + 3] === 'caller')) return true;
      if (stage === 0 && (word === 'confirm' || word === 'ask' || word === 'check')) stage = 1;
      else if (stage === 1 && (word === 'caller' || word === 'them')) stage = 2;
      else if (stage === 2 && (word === 'first' || word === 'before')) return true;
    }
    return false;
  }
}
