// Step 4 of the rules reader (reader.ts): what a prohibitive word governs in its sentence. Those
// destinations are forbidden whatever an instruction drafted for them.
import { negationAt } from './words.ts';
import type { Sentence } from './sentence.ts';

/**
 * The destinations a prohibitive word governs: those after it up to a clause that instructs afresh
 * ("Don't transfer to ext:1003, transfer to ext:1004"); for a word nothing follows ("ext:1999 is
 * forbidden"), those before it back to the start of its clause.
 */
export function negationScope(s: Sentence): Set<number> {
  const n = s.tokens.length;
  const scope = new Set<number>();
  const negations: Array<{ at: number; captured: boolean }> = [];
  let active: { at: number; captured: boolean } | undefined;
  for (let i = 0; i < n; i++) {
    if (!s.idiom[i] && negationAt(s.words, i)) {
      active = { at: i, captured: false };
      negations.push(active);
      continue;
    }
    if (!active) continue;
    if (s.isDest(i)) {
      scope.add(i);
      active.captured = true;
    } else if (s.refersBackAt(i)) {
      // "Never transfer there, use ext:1002": it governs the destination before (reader.ts), not what follows.
      active.captured = true;
    } else if (s.isBoundary(i) && s.inLeading(active.at)) {
      // "If the caller has never called before, ...": the negation belongs to the condition.
      active = undefined;
    } else if (active.captured && (s.isBoundary(i) || s.words[i] === 'but') && s.instructsAfter(i + 1)) {
      // "Don't transfer to ext:1003, transfer to ext:1004": a fresh instruction after what it governed.
      active = undefined;
    }
  }
  const backwards = new Set(negations.filter((x) => !x.captured).map((x) => x.at));
  let on = false;
  for (let i = n - 1; i >= 0; i--) {
    if (backwards.has(i)) on = true;
    if (!on) continue;
    if (s.isDest(i)) scope.add(i);
    const word = s.words[i];
    if (word === 'but' || word === 'while' || word === 'whereas' || word === 'although' || word === 'though') on = false;
    if (word === 'and' && s.isBoundary(i - 1)) on = false;
  }
  return scope;
}
