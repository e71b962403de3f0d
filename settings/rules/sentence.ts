// One sentence of a rule as the reader sees it (reader.ts): its tokens and words, which words belong to a
// fallback condition ("if they don't answer", not a prohibition), and what it says as a whole: a question, a
// leading condition, its first prohibitive and restricting words, whether it asks to confirm first or answers
// the sentence before. The look-arounds every later step shares are here too, each bounded to a few tokens.
import {
  BACK_REFERENCES,
  CLAUSE_WORDS,
  CONDITION_OPENERS,
  DESTINATION_NOUNS,
  DIRECT_VERBS,
  LEAD_INS,
  QUESTION_OPENERS,
  RESTRICTIONS,
  THROUGH_VERBS,
  TO_VERBS,
  UNANSWERED_SUBJECTS,
  UNANSWERED_VERBS,
  UNAVAILABLE,
  negationAt,
} from './words.ts';
import type { Token } from './tokens.ts';

/** Words after a verb's object that lead to its destination: "transfer them to ...", "put them through ...". */
const OBJECT_THEN_TARGET = new Set(['to', 'through', 'over', 'onto', 'on', 'off']);

/** What follows "no", "nobody" in a fallback condition: "if nobody answers", "if no one picks up". */
const NOBODY_ANSWERS = new Set(['answer', 'answers', 'one', 'picks', 'responds', 'response', 'reply', 'is', 'available']);

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
      if (!(before === 'to' || (before !== undefined && (TO_VERBS.has(before) || DIRECT_VERBS.has(before))))) return false;
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
