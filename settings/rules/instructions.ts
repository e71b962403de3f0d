// Step 3 of the rules reader (reader.ts): the instructions in one sentence, found from their verbs in
// imperative (or passive) position, each with the destination it governs and what follows it (alternatives,
// fallbacks, gapped instructions). The result is a draft role per destination; whether a draft is dialled is
// settled afterwards against the sentence's negation, restriction and question.
import {
  DIRECT_VERBS,
  FALLBACK_OPENERS,
  FINITE_AFTER_SUBJECT,
  LEAD_INS,
  MODALS,
  NOT_BEFORE_VERB,
  PARTICIPLES,
  PASSIVE_AUXILIARIES,
  CLAUSE_WORDS,
  TAIL_WORDS,
  TARGET_JOINERS,
  TARGET_NOUNS,
  THROUGH_VERBS,
  TO_VERBS,
  TRAILING_CONDITION_OPENERS,
  negationAt,
} from './words.ts';
import type { Sentence } from './sentence.ts';

export type Draft = 'start' | 'alternative' | 'fallback' | 'condition' | 'mention';

/** A draft role for every destination in the sentence, by its token index. */
export function draftRoles(sentence: Sentence): ReadonlyMap<number, Draft> {
  return new InstructionReader(sentence).read();
}

class InstructionReader {
  readonly #s: Sentence;
  readonly #draft = new Map<number, Draft>();

  constructor(sentence: Sentence) {
    this.#s = sentence;
  }

  read(): ReadonlyMap<number, Draft> {
    this.#readInstructions();
    return this.#draft;
  }

  /** Finds the instructions, left to right, and drafts a role for each destination. */
  #readInstructions() {
    const n = this.#s.tokens.length;
    let trailingCondition = false;
    let instructed = false;
    for (let i = 0; i < n;) {
      const t = this.#s.tokens[i]!;
      if (t.kind === 'boundary') {
        trailingCondition = false;
        i++;
        continue;
      }
      if (t.kind === 'dest') {
        if (!this.#draft.has(i)) {
          const inLeading = this.#s.leadingCondition && i < this.#s.firstBoundary && !instructed;
          this.#draft.set(i, inLeading || trailingCondition ? 'condition' : 'mention');
        }
        i++;
        continue;
      }
      const word = this.#s.words[i];
      if (word !== undefined && i > 0 && TRAILING_CONDITION_OPENERS.has(word) && !(this.#s.leadingCondition && i < this.#s.firstBoundary)) {
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
    const word = this.#s.words[i];
    if (word === undefined) return false;
    if (PARTICIPLES.has(word) && !this.#s.inLeading(i) && this.#passiveAt(i)) return true;
    if (word === 'go' || word === 'goes') return !this.#s.inLeading(i);
    if (!TO_VERBS.has(word) && !THROUGH_VERBS.has(word) && !DIRECT_VERBS.has(word) && word !== 'hand') return false;
    let j = i - 1;
    for (let steps = 0; j >= 0 && steps < 8 && this.#s.isWord(j, LEAD_INS); steps++) j--;
    if (j < 0 || this.#s.isBoundary(j)) return true;
    if (this.#s.isWord(j, new Set(['but', 'or', 'and', 'then']))) return true;
    // "If the caller has a billing dispute warm transfer to ext:1002": a leading condition without a comma,
    // read so only when nothing else in the sentence could be the instruction and the verb is not a noun
    // ("asks for a transfer to ...") or an infinitive ("wants to transfer to ...").
    if (!this.#s.leadingCondition || this.#s.firstBoundary < this.#s.tokens.length || instructed) return false;
    let before = i - 1;
    while (this.#s.isWord(before, new Set(['warm', 'blind', 'cold', 'please', 'then', 'just', 'always', 'immediately', 'directly']))) before--;
    return !this.#s.isWord(before, NOT_BEFORE_VERB);
  }

  /** "should be transferred", "are (to be) sent", "get forwarded": a passive instruction. */
  #passiveAt(i: number): boolean {
    const aux = this.#s.words[i - 1] === 'warm' ? i - 2 : i - 1;
    const word = this.#s.words[aux];
    if (word === 'be') return this.#s.isWord(aux - 1, MODALS) || (this.#s.words[aux - 1] === 'to' && this.#s.isWord(aux - 2, new Set(['are', 'is'])));
    return word !== undefined && PASSIVE_AUXILIARIES.has(word);
  }

  /** Whether the instruction at i is a fallback: "Otherwise, transfer ...", "If they are busy, try ...". */
  #isFallbackContext(i: number): boolean {
    for (let j = i - 1, steps = 0; j >= 0 && steps < 8; j--, steps++) {
      const word = this.#s.words[j];
      // "Then try ext:2002." opens a fallback; "If billing, then transfer ..." is only the condition's "then".
      const opens = word === 'then' || word === 'next' ? j === 0 || this.#s.words[j - 1] === 'and' : this.#s.isWord(j, FALLBACK_OPENERS);
      if (opens || word === 'failing') return true;
      if (!this.#s.isWord(j, LEAD_INS) && !this.#s.isBoundary(j)) break;
    }
    if (!this.#s.leadingCondition || i < this.#s.firstBoundary) return false;
    for (let j = 0; j < this.#s.firstBoundary; j++) if (this.#s.idiom[j]) return true;
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
    while (this.#s.tokens[k]?.kind === 'close' || this.#s.isBoundary(k)) k++;
    const t = this.#s.tokens[k];
    if (t === undefined || t.kind === 'open') return true;
    if (t.kind !== 'word') return false;
    if (FINITE_AFTER_SUBJECT.has(t.word)) return false;
    // "..., not to ext:1003": the sentence's negation settles it (rule out the transfer, forbid what follows).
    return TAIL_WORDS.has(t.word) || negationAt(this.#s.words, k) || this.#s.instructsAfter(k);
  }

  /** The destination an instruction's verb at i governs, or undefined when it is not an instruction there. */
  #frame(i: number): number | undefined {
    const word = this.#s.words[i]!;
    let k = i + 1;
    if (word === 'go' || word === 'goes') {
      while (this.#s.isWord(k, new Set(['straight', 'directly', 'right', 'through']))) k++;
      return this.#s.words[k] === 'to' ? this.#target(k + 1) : undefined;
    }
    if (DIRECT_VERBS.has(word)) {
      const direct = this.#target(k);
      if (direct !== undefined) return direct;
    }
    k = this.#s.skipObject(k, 6);
    if (THROUGH_VERBS.has(word) || word === 'put' || word === 'patched') {
      if (this.#s.words[k] !== 'through') return undefined;
      k++;
      if (this.#s.words[k] === 'to') k++;
      return this.#target(k);
    }
    if (word === 'hand' || word === 'handed') {
      if (!this.#s.isWord(k, new Set(['over', 'off']))) return undefined;
      k++;
    } else {
      while (this.#s.isWord(k, new Set(['over', 'on', 'straight', 'directly', 'right', 'back', 'through']))) k++;
    }
    if (this.#s.words[k] === 'to' || this.#s.words[k] === 'onto' || (word === 'connect' && this.#s.words[k] === 'with')) return this.#target(k + 1);
    return undefined;
  }

  /**
   * The destination at k, or after a short noun phrase: plain nouns ("the number") or a name with a
   * joiner ("Eric at", "sales (ext:2001)").
   */
  #target(k: number): number | undefined {
    if (this.#s.tokens[k]?.kind === 'open') k++;
    if (this.#s.isDest(k)) return k;
    let plainNouns = true;
    for (let steps = 0; steps < 4; steps++, k++) {
      const t = this.#s.tokens[k];
      if (t === undefined) return undefined;
      if (t.kind === 'dest') return plainNouns ? k : undefined;
      if (t.kind === 'open' || (t.kind === 'boundary' && steps > 0)) return this.#s.isDest(k + 1) ? k + 1 : undefined;
      if (t.kind !== 'word') return undefined;
      if (TARGET_JOINERS.has(t.word) && steps > 0) return this.#s.isDest(k + 1) ? k + 1 : undefined;
      if (CLAUSE_WORDS.has(t.word) || negationAt(this.#s.words, k)) return undefined;
      if (!TARGET_NOUNS.has(t.word)) plainNouns = false;
    }
    return undefined;
  }

  /** After a destination: alternatives, fallbacks and gapped instructions ("and sales to ext:2001"). */
  #continuation(k: number, placed: number[]): number {
    for (;;) {
      while (this.#s.tokens[k]?.kind === 'close') k++;
      const start = k;
      let joined = false;
      if (this.#s.isBoundary(k)) k++;
      if (this.#s.isWord(k, new Set(['or', 'and']))) {
        joined = this.#s.words[k] === 'or' ? true : joined;
        k++;
        if (this.#s.words[k] === 'or') k++; // "and/or"
      }
      // Another destination in the same instruction: an alternative.
      const alternative = this.#s.isDest(k) ? k : joined ? this.#target(k) : undefined;
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
      if (this.#s.words[k - 1] === 'and' && k > start) {
        const object = this.#s.skipObject(k, 4);
        const gapped = this.#s.words[object] === 'to' && object > k ? this.#target(object + 1) : undefined;
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
    const word = this.#s.words[k];
    if (word === undefined) return undefined;
    if (word === 'if') {
      let j = k + 1;
      let unavailable = false;
      for (let steps = 0; steps < 10 && j < this.#s.tokens.length; steps++, j++) {
        if (this.#s.isBoundary(j) || this.#s.isDest(j) || this.#s.words[j] === 'to') break;
        if (this.#s.idiom[j]) unavailable = true;
        if (negationAt(this.#s.words, j) && !this.#s.idiom[j]) return undefined;
      }
      return unavailable ? this.#fallbackTarget(j) : undefined;
    }
    if (!FALLBACK_OPENERS.has(word) && word !== 'failing' && word !== 'as') return undefined;
    let j = k + 1;
    if (word === 'failing' && this.#s.words[j] === 'that') j++;
    else if (word === 'failing') return undefined;
    if (word === 'as') {
      if (!this.#s.isWord(j, new Set(['a', 'the'])) || !this.#s.isWord(j + 1, new Set(['fallback', 'backup', 'last']))) return undefined;
      j += 2;
      if (this.#s.words[j] === 'resort') j++;
    }
    return this.#fallbackTarget(j);
  }

  /** A lead-in word ("please", "then") between fallback wording and its verb, "try" or "to". */
  #leadInBeforeFallback(j: number): boolean {
    const word = this.#s.words[j];
    return this.#s.isWord(j, LEAD_INS) && !this.#s.isWord(j, TO_VERBS) && word !== 'try' && word !== 'to';
  }

  /** After fallback wording: ", try ext:2002", " transfer to ext:2002", " to ext:2002", " ext:2002". */
  #fallbackTarget(j: number): number | undefined {
    if (this.#s.isBoundary(j)) j++;
    for (let steps = 0; steps < 4 && this.#leadInBeforeFallback(j); steps++) j++;
    const verb = this.#s.words[j];
    if (verb !== undefined && (TO_VERBS.has(verb) || THROUGH_VERBS.has(verb) || DIRECT_VERBS.has(verb) || verb === 'hand')) return this.#frame(j);
    if (verb === 'to') return this.#target(j + 1);
    return this.#s.isDest(j) ? j : undefined;
  }
}
