// The rules reader's first steps: the text normalised (look-alikes folded, invisible characters gone),
// destinations masked so their dots and colons do not split sentences, sentences split, and each sentence
// turned into tokens: words (lower-cased, "dont" read as "don't"), destinations, boundaries, parentheses.
import { BARE_CONTRACTIONS } from './words.ts';

export type Token = { kind: 'word'; word: string } | { kind: 'dest'; n: number } | { kind: 'boundary' } | { kind: 'open' } | { kind: 'close' };

// Placeholders carry their index in the letters a-p (hex digits shifted), so no phone pattern can match inside one.
const PLACEHOLDER = (n: number) => `\u27e6${n.toString(16).replace(/[0-9a-f]/g, (c) => String.fromCharCode(97 + parseInt(c, 16)))}\u27e7`;
export const PLACEHOLDER_RE = /\u27e6([a-p]+)\u27e7/g;
export const indexOf = (letters: string) =>
  parseInt(
    letters.replace(/./g, (c) => (c.charCodeAt(0) - 97).toString(16)),
    16,
  );
const PREFIXED = /(?<![a-z\d])(?:ext|pbx):\s*[^\s,;]*|(?<![a-z\d])sips?:[^\s,]*/gi;
// Digits with the separators phone numbers use, plus letters glued on by a dash (1-800-FLOWERS) so that
// a vanity number is reported rather than cut short.
const PHONE_LIKE = /\+?\(?\d[\d(). -]*\d(?:-[a-z][a-z\d-]*)?/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}"'>~`]+$/;
/** Markdown emphasis around a destination ("*ext:1999*"): its closing mark is not part of the extension. */
const EMPHASIS = new Set(['*', '_']);
const SENTENCE_END = /[.!?;]+(?=\s|$)/g;
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'prof', 'st', 'jr', 'sr', 'eg', 'ie', 'etc', 'vs', 'approx', 'dept']);
const TOKEN = /\u27e6([a-p]+)\u27e7|[\p{L}\p{N}]+(?:'[\p{L}]+)*|[,;:]|[-\u2013\u2014]+|[()]/gu;
/**
 * The marks people type for an apostrophe: the reader folds them all into "'" (normalizeRuleText), and the
 * rules splitter (text.ts) accepts each in "Don't" at the start of a rule, so both read the same words.
 */
export const APOSTROPHES = "'\u2018\u2019\u02bc\u0060\u00b4";
const APOSTROPHE_LIKE = new RegExp(`[${APOSTROPHES.slice(1)}]`, 'g');
/** Zero-width and other invisible format characters, which could hide a word from the reader. */
const INVISIBLE = /[\p{Cf}\u00ad]/gu;

/** The rule's text as the reader sees it: compatibility forms folded, invisible characters gone, plain apostrophes. */
export function normalizeRuleText(text: string): string {
  // The reader's own placeholder brackets are removed too, so no text can pose as a masked destination.
  // Apostrophes before NFKC, which would take "\u00b4" apart into a space and a combining accent ("Don\u00b4t"
  // read "Don t"), and after it, which makes "`" of a full-width "\uff40".
  return text
    .replace(APOSTROPHE_LIKE, "'")
    .normalize('NFKC')
    .replace(APOSTROPHE_LIKE, "'")
    .replace(INVISIBLE, '')
    .replace(/[\u27e6\u27e7]/g, '');
}

/** Masks destination tokens (so their dots and colons stay inside them) and returns them with the masked text. */
export function maskDestinations(text: string): { masked: string; tokens: string[] } {
  const tokens: string[] = [];
  const put = (raw: string, before = '') => {
    let clean = raw.replace(TRAILING_PUNCTUATION, '');
    if (EMPHASIS.has(before)) {
      while (clean.endsWith(before)) clean = clean.slice(0, -1);
      clean = clean.replace(TRAILING_PUNCTUATION, '');
    }
    tokens.push(clean);
    return PLACEHOLDER(tokens.length - 1) + raw.slice(clean.length);
  };
  let masked = text.replace(PREFIXED, (raw: string, offset: number, whole: string) => put(raw, whole[offset - 1] ?? ''));
  masked = masked.replace(PHONE_LIKE, (raw) => {
    const trimmed = raw.trimEnd();
    const digits = trimmed.replace(/\D/g, '').length;
    // Seven digits is the shortest thing a person would mistake for a phone number (555-1234); shorter
    // runs are times, counts and the like.
    if (digits < 7 && !/[a-z]/i.test(trimmed)) return raw;
    return put(trimmed) + raw.slice(trimmed.length);
  });
  return { masked, tokens };
}

/** Splits masked text into sentences at . ! ? ; (not after "Dr." and the like). */
export function splitSentences(masked: string): string[] {
  const sentences: string[] = [];
  let start = 0;
  for (const end of masked.matchAll(SENTENCE_END)) {
    const at = end.index;
    if (end[0] === '.' && endsInAbbreviation(masked.slice(Math.max(start, at - 12), at))) continue;
    sentences.push(masked.slice(start, at + end[0].length));
    start = at + end[0].length;
  }
  sentences.push(masked.slice(start));
  return sentences.filter((s) => s.trim() !== '');
}

/** Whether text ends in an abbreviation ("Dr", "e.g", "etc"), after which a '.' does not end a sentence. */
export function endsInAbbreviation(before: string): boolean {
  const lastWord = /([A-Za-z.]+)$/.exec(before.slice(-12))?.[1]?.replace(/\./g, '').toLowerCase();
  return lastWord !== undefined && ABBREVIATIONS.has(lastWord);
}

export function tokenize(sentence: string): { tokens: Token[]; unreadable: boolean } {
  const tokens: Token[] = [];
  // Struck-through text (~~...~~) is text its writer meant to take back: nothing in it is vouched for.
  let unreadable = sentence.includes('~~');
  for (const m of sentence.matchAll(TOKEN)) {
    const text = m[0];
    if (m[1] !== undefined) tokens.push({ kind: 'dest', n: indexOf(m[1]) });
    else if (text === '(') tokens.push({ kind: 'open' });
    else if (text === ')') tokens.push({ kind: 'close' });
    else if (/^[,;:]$/.test(text)) tokens.push({ kind: 'boundary' });
    else if (/^[-\u2013\u2014]+$/.test(text)) {
      // A hyphen inside a word ("off-limits") joins; a spaced or long dash separates clauses.
      const spaced = /\s/.test(sentence[m.index - 1] ?? ' ') && /\s/.test(sentence[m.index + text.length] ?? ' ');
      if (text !== '-' || spaced) tokens.push({ kind: 'boundary' });
    } else {
      const lower = text.toLowerCase();
      // A letter outside plain ASCII may be a look-alike hiding a "never": the reader cannot vouch for it.
      if (/[\u0080-\uffff]/.test(lower)) unreadable = true;
      tokens.push({ kind: 'word', word: BARE_CONTRACTIONS.get(lower) ?? lower });
    }
  }
  return { tokens, unreadable };
}
