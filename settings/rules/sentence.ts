// One sentence of a rule as the reader sees it (reader.ts): its tokens and words, which words belong to a
// fallback condition ("if they don't answer", not a prohibition), and what it says as a whole: a question, a
// leading condition, its first prohibitive and restricting words, whether it asks to confirm first or answers
// the sentence before. The look-arounds every later step shares are here too, each bounded to a few tokens.
import {
  BACK_REFERENCES,
  BEFORE_PROHIBITED_VERB,
  CLAUSE_WORDS,
  CONDITION_OPENERS,
  DESTINATION_NOUNS,
  DIRECT_VERBS,
  GUIDANCE_ADJECTIVES,
  LEAD_INS,
  MODALS,
  NOT_BEFORE_VERB,
  PARTICIPLES,
  PASSIVE_AUXILIARIES,
  PRO_OBJECTS,
  QUESTION_OPENERS,
  RESTRICTIONS,
  THROUGH_VERBS,
  TO_VERBS,
  UNANSWERED_SUBJECTS,
  UNANSWERED_VERBS,
  UNAVAILABLE,
  VERB_AS_NOUN_BEFORE,
  guidanceVerb,
  negationAt,
  negationWidth,
  stemsOf,
} from './words.ts';
import type { Token } from './tokens.ts';

/** Words after a verb's object that lead to its destination: "transfer them to ...", "put them through ...". */
const OBJECT_THEN_TARGET = new Set(['to', 'through', 'over', 'onto', 'on', 'off']);

/** What follows "no", "nobody" in a fallback condition: "if nobody answers", "if no one picks up". */
const NOBODY_ANSWERS = new Set(['answer', 'answers', 'one', 'picks', 'responds', 'response', 'reply', 'is', 'available']);

/** Words after which a transfer verb stands as a verb ("never transfer", "or send", "to call"), not a noun ("a call"). */
const VERB_LEADERS: ReadonlySet<string> = new Set(
  [...LEAD_INS, ...MODALS, ...PASSIVE_AUXILIARIES, ...BEFORE_PROHIBITED_VERB, 'or', 'nor', 'and', 'to', 'do', 'does', 'did', 'been', 'being'].filter(
    (w) => w === 'to' || w === 'and' || w === 'or' || w === 'be' || !NOT_BEFORE_VERB.has(w),
  ),
);
/** "Never put the caller on hold": "put" with these after it is no transfer. */
const ON_HOLD = new Set(['hold', 'wait', 'waiting', 'mute', 'speaker', 'spot']);
/** Verbs that are a transfer only when their object is a destination: "never use that number", not "never use jargon". */
const WITH_DESTINATION_OBJECT = new Set(['use', 'try']);
/** Words between such a verb and its object: "use the same line", "try that one". */
const OBJECT_ARTICLES = new Set(['the', 'a', 'an', 'any', 'that', 'this', 'those', 'these', 'same', 'their', 'our', 'your']);
const TRANSFER_BASES: ReadonlySet<string> = new Set([...TO_VERBS, ...THROUGH_VERBS, ...DIRECT_VERBS, 'hand']);
/** Nouns that name a transfer: "Never promise a transfer.", "Don't attempt that handoff." */
const TRANSFER_NOUNS = new Set(['transfer', 'transfers', 'handoff', 'handoffs', 'handover', 'escalation', 'connection']);
/** Words before "call" that make it the transfer just written: "Never make that call." */
const THAT_CALL = new Set(['that', 'this', 'such', 'same']);
/** Prepositions that make a destination pointed back at a place the caller would go: "Never hang up on that line." */
const TOWARDS = new Set(['to', 'through', 'onto', 'into', 'at', 'on', 'via', 'with']);

export class Sentence {
  readonly tokens: Token[];
  readonly words: (string | undefined)[];
  /** Words that belong to a fallback condition ("don't answer"): not prohibitions. */
  readonly idiom: boolean[];
  readonly question: boolean;
  readonly unreadable: boolean;
  readonly leadingCondition: boolean;
  /** Index of the first boundary, where a leading condition with a comma ends. */
  readonly firstBoundary: number;
  /** The first prohibitive or negating word outside a fallback condition. */
  readonly negation: string | undefined;
  /** The first restricting word ("only", "unless", "approval"). */
  readonly restriction: string | undefined;

  constructor(tokens: Token[], question: boolean, unreadable: boolean) {
    this.tokens = tokens;
    this.words = tokens.map((t) => (t.kind === 'word' ? t.word : undefined));
    this.idiom = tokens.map(() => false);
    this.unreadable = unreadable;
    this.question = question || QUESTION_OPENERS.has(this.words[0] ?? '');
    this.leadingCondition = CONDITION_OPENERS.has(this.words[0] ?? '');
    const boundary = tokens.findIndex((t) => t.kind === 'boundary');
    this.firstBoundary = boundary < 0 ? tokens.length : boundary;
    this.#markIdioms();
    let negation: string | undefined;
    let restriction: string | undefined;
    for (let i = 0; i < tokens.length; i++) {
      if (this.idiom[i]) continue;
      if (negation === undefined && negationAt(this.words, i)) negation = this.words[i];
      if (restriction === undefined && RESTRICTIONS.has(this.words[i] ?? '')) restriction = this.words[i];
    }
    this.negation = negation;
    this.restriction = restriction;
  }

  /** "if they don't answer", "if nobody picks up", "if ext:2001 is not available", "if not,": fallback conditions. */
  #markIdioms() {
    const w = this.words;
    let window = 0;
    for (let i = 0; i < this.tokens.length; i++) {
      const word = w[i];
      if (this.tokens[i]!.kind === 'boundary') window = 0;
      if (word === 'if' || word === 'when' || word === 'whenever' || word === 'once') {
        window = 8;
        if (word === 'if' && w[i + 1] === 'not' && (this.tokens[i + 2] === undefined || this.tokens[i + 2]!.kind === 'boundary')) this.idiom[i + 1] = true;
        continue;
      }
      if (window <= 0 || word === undefined) continue;
      window--;
      const negates = word === 'not' || word.endsWith("n't") || word === 'cannot' || word === 'never';
      if (negates && (UNANSWERED_VERBS.has(w[i + 1] ?? '') || UNANSWERED_VERBS.has(w[i + 2] ?? ''))) this.idiom[i] = true;
      else if (UNANSWERED_SUBJECTS.has(word) && NOBODY_ANSWERS.has(w[i + 1] ?? '')) this.idiom[i] = true;
      else if (UNAVAILABLE.has(word)) this.idiom[i] = true;
    }
  }

  isWord(i: number, set: ReadonlySet<string>): boolean {
    const word = this.words[i];
    return word !== undefined && set.has(word);
  }

  isDest(i: number): boolean {
    return this.tokens[i]?.kind === 'dest';
  }

  isBoundary(i: number): boolean {
    return this.tokens[i]?.kind === 'boundary';
  }

  inLeading(i: number): boolean {
    return this.leadingCondition && i < this.firstBoundary;
  }

  /** Skips the object between a verb and "to" ("the caller", "billing calls"): plain words only. */
  skipObject(k: number, max: number): number {
    for (let steps = 0; steps < max; steps++, k++) {
      const word = this.words[k];
      if (word === undefined || ['to', 'through', 'over', 'onto', 'off', 'with', 'on'].includes(word)) return k;
      if (CLAUSE_WORDS.has(word) || negationAt(this.words, k)) return k;
    }
    return k;
  }

  /** Whether a fresh instruction starts at k (after lead-in words). */
  instructsAfter(k: number): boolean {
    for (let steps = 0; steps < 6 && this.isWord(k, LEAD_INS) && !this.isWord(k, TO_VERBS) && this.words[k] !== 'try'; steps++) k++;
    const word = this.words[k];
    return word !== undefined && (TO_VERBS.has(word) || THROUGH_VERBS.has(word) || DIRECT_VERBS.has(word) || word === 'hand');
  }

  /**
   * "Never.", "Absolutely not!", "That may not happen.": a short sentence that says no to nothing of its
   * own (it instructs no transfer), so it answers the one before it.
   */
  isElliptic(): boolean {
    const words = this.words.filter((w): w is string => w !== undefined);
    return words.length > 0 && words.length <= 8 && !words.some((w) => TO_VERBS.has(w) || THROUGH_VERBS.has(w) || DIRECT_VERBS.has(w) || w === 'hand');
  }

  /**
   * "Never hang up on a caller.", "Do not give out personal phone numbers.", "Never put the caller on hold.":
   * a prohibition whose verb is one of its own, which cannot mean a transfer, is guidance: it answers no
   * sentence before it. Not when the sentence has a transfer verb where a verb stands ("Never hang up or
   * transfer there.", "Never send them there."), when what it prohibits is a pro-verb ("Never do that for
   * billing calls.", "Don't do so."), nothing ("Never.", "Not that one.", "Never to that number.") or a word
   * the reader does not know as a guidance verb ("Not allowed.", "Never bother them."): those answer the
   * sentence before, which forbids rather than leaves dialable (the safe side, shown by the read-back).
   */
  isGuidance(): boolean {
    if (this.negation === undefined) return false;
    for (let i = 0; i < this.tokens.length; i++) if (this.#transferVerbAt(i) || this.#transferPlaceAt(i)) return false;
    // The first prohibition outside a leading condition decides ("If the caller is not a customer, never hang
    // up." is guidance); a transfer anywhere in the sentence was looked for above.
    for (let i = 0; i < this.tokens.length; i++) {
      const width = this.idiom[i] || this.inLeading(i) ? 0 : negationWidth(this.words, i);
      if (width > 0) return this.#ownVerbAfter(i + width);
    }
    return false;
  }

  /** Whether the verb a prohibition ends at k governs is one of guidance's own (isGuidance). */
  #ownVerbAfter(k: number): boolean {
    const n = this.tokens.length;
    while (k < n && (this.isBoundary(k) || this.isWord(k, BEFORE_PROHIBITED_VERB) || negationAt(this.words, k))) k++;
    const word = this.words[k];
    if (word === undefined) return false;
    const stems = stemsOf(word);
    if (stems.includes('put')) return this.#onHoldAfter(k);
    // "Avoid using jargon": "use" or "try" with no destination for its object (isGuidance looked for one first).
    if (stems.some((s) => WITH_DESTINATION_OBJECT.has(s))) return true;
    if (word === 'do' || word === 'does' || word === 'doing' || word === 'did' || word === 'done') {
      // "Never do that", "Don't do so": a pro-verb; "Don't do refunds": a verb of its own.
      const object = this.words[k + 1] === 'the' ? k + 2 : k + 1;
      const what = this.words[object];
      return what !== undefined && !PRO_OBJECTS.has(what);
    }
    if (word === 'be' || word === 'been' || word === 'being' || word === 'get' || word === 'got' || word === 'getting') {
      // "Never be rude", "Callers must never be kept waiting", "Never be put on hold".
      const next = this.words[k + 1];
      if (next === undefined) return false;
      return GUIDANCE_ADJECTIVES.has(next) || guidanceVerb(next) || (stemsOf(next).includes('put') && this.#onHoldAfter(k + 1));
    }
    return guidanceVerb(word);
  }

  /**
   * A transfer named without a transfer verb, which no guidance verb makes guidance: a transfer noun ("Never
   * promise a transfer."), "that call", or a place pointed back at ("Never leave them there.", "Never hang up
   * on that line."). Not "that number" as an object ("Don't share that number."): that is not where the caller goes.
   */
  #transferPlaceAt(i: number): boolean {
    const word = this.words[i];
    if (word === undefined) return false;
    if (TRANSFER_NOUNS.has(word) || (word === 'call' && this.isWord(i - 1, THAT_CALL))) return true;
    if (word === 'there') return this.refersBackAt(i, false);
    return this.isWord(i - 1, TOWARDS) && BACK_REFERENCES.has(word) && this.isWord(i + 1, DESTINATION_NOUNS) && this.refersBackAt(i, false);
  }

  /** "Don't make that call.", "Never do that transfer.": the transfer written before, named again. */
  namesTransferBack(): boolean {
    return this.words.some(
      (w, i) => w !== undefined && this.isWord(i - 1, THAT_CALL) && (TRANSFER_NOUNS.has(w) || stemsOf(w).some((s) => TRANSFER_BASES.has(s))),
    );
  }

  /** "put the caller on hold", "put them on hold for long". */
  #onHoldAfter(k: number): boolean {
    for (let j = k + 1; j <= k + 6 && j < this.tokens.length; j++) if (this.isWord(j, ON_HOLD)) return true;
    return false;
  }

  /** A transfer verb, in any form, where a verb stands (not "a call", not "phone numbers", not "put on hold"). */
  #transferVerbAt(i: number): boolean {
    const word = this.words[i];
    if (word === undefined) return false;
    const stems = stemsOf(word);
    if (!PARTICIPLES.has(word) && !stems.some((s) => TRANSFER_BASES.has(s))) return false;
    const before = this.tokens[i - 1];
    const previous = this.words[i - 1];
    const verbPosition =
      before === undefined ||
      before.kind === 'boundary' ||
      before.kind === 'open' ||
      negationAt(this.words, i - 1) ||
      (previous !== undefined && VERB_LEADERS.has(previous));
    if (!verbPosition || this.isWord(i + 1, VERB_AS_NOUN_BEFORE)) return false;
    if (stems.includes('put') && this.#onHoldAfter(i)) return false;
    if (stems.some((s) => WITH_DESTINATION_OBJECT.has(s))) {
      // "Never use that number", "Don't try it", "Never try.": not "Never use jargon", "Never try to guess".
      let k = i + 1;
      while (this.isWord(k, OBJECT_ARTICLES) && !this.isWord(k + 1, DESTINATION_NOUNS) && k < i + 3) k++;
      const object = this.words[k];
      return (
        !this.isWord(k, new Set(['to'])) &&
        (object === undefined || object === 'it' || object === 'them' || object === 'there' || BACK_REFERENCES.has(object) || DESTINATION_NOUNS.has(object))
      );
    }
    return true;
  }

  /**
   * "Never transfer there.", "Do not call that number.": it points back at the sentence before. With
   * `ownDestinations` (the sentence names destinations of its own: "Never transfer there, use ext:1002."),
   * "them"/"it" followed by "to"/"through" are the caller, the object of a transfer to what follows ("Never
   * transfer them to ext:1999"), not a pointer back.
   */
  pointsBack(ownDestinations = false): boolean {
    return this.words.some((_, i) => this.refersBackAt(i, ownDestinations));
  }

  /**
   * A word at i that points back at the destination of the sentence before: "there", "it"/"them" after "to"
   * or a transfer verb, "that number", "the same line". Not when a destination follows it as its name ("that
   * number: ext:1999", "this line (ext:1999)"): then it names that destination, in this sentence.
   */
  refersBackAt(i: number, ownDestinations = true): boolean {
    const w = this.words[i];
    if (w === undefined) return false;
    let last = i;
    if (w === 'it' || w === 'them') {
      const before = this.words[i - 1];
      if (!(
        before === 'to' ||
        (before !== undefined && (TO_VERBS.has(before) || DIRECT_VERBS.has(before) || THROUGH_VERBS.has(before) || before === 'hand'))
      )) {
        return false;
      }
      if (ownDestinations && before !== 'to' && this.isWord(i + 1, OBJECT_THEN_TARGET)) return false;
    } else if (w !== 'there') {
      if (!BACK_REFERENCES.has(w) || !this.isWord(i + 1, DESTINATION_NOUNS)) return false;
      last = i + 1;
    }
    let k = last + 1;
    while (this.tokens[k]?.kind === 'boundary' || this.tokens[k]?.kind === 'open') k++;
    return !this.isDest(k);
  }

  /** "transfer them to someone nice": an instruction with no destination the tools could dial. */
  instructsWithoutDestination(): boolean {
    for (let i = 0; i < this.tokens.length; i++) {
      if (!this.isWord(i, TO_VERBS)) continue;
      const k = this.skipObject(i + 1, 6);
      if (this.words[k] === 'to') return true;
    }
    return false;
  }

  /** "First confirm with the caller", "Ask the caller first", "check with them before transferring". */
  confirmsFirst(): boolean {
    let stage = 0;
    for (let i = 0; i < this.words.length; i++) {
      const word = this.words[i];
      if (word === undefined) continue;
      const withCaller = this.words[i + 2] === 'them' || this.words[i + 3] === 'caller';
      if ((word === 'confirm' || word === 'check') && this.words[i + 1] === 'with' && withCaller) return true;
      if (stage === 0 && (word === 'confirm' || word === 'ask' || word === 'check')) stage = 1;
      else if (stage === 1 && (word === 'caller' || word === 'them')) stage = 2;
      else if (stage === 2 && (word === 'first' || word === 'before')) return true;
    }
    return false;
  }
}
