// A decision the briefing can take from the person's words at once, without asking a model: the words are one of
// the plain ways to take or refuse a call (decision-phrases.ts), perhaps with a "yes" or a "no" before it and a
// "please" or "thanks" after ("Yes, yes, send them through please."). Anything more ("okay, tell me more",
// "yes, but who is it?") is left to the model, or, with no model, to the keys: a quick accept is never looser than
// the consent check a model's accept must pass (tools/consent.ts).
import { decisionOf, normalisePhrase } from '../../conversation/speech/decision-phrases.ts';
import { agreesInLastTurns } from '../tools/consent.ts';

export type QuickDecision = 'accept' | 'reject' | undefined;

const YES_WORDS = new Set(['yes', 'yeah', 'yep', 'yup', 'sure', 'okay', 'ok', 'alright', 'great', 'fine']);
/** Said while listening ("okay...", "right"): on their own they acknowledge, they do not take the call. */
const ACKNOWLEDGING = new Set(['okay', 'ok', 'alright', 'great', 'fine', 'right']);
const NO_WORDS = new Set(['no', 'nope', 'nah']);
const TRAILING = new Set(['please', 'thanks', 'thank', 'you']);

/** The person's words, if they plainly take or refuse the call; undefined for anything else. */
export function quickDecision(text: string): QuickDecision {
  // A question is not an answer, however it starts ("Yes? Who is it?").
  if (/\?/.test(text)) return undefined;
  const words = normalisePhrase(text).split(' ').filter(Boolean);
  if (words.every((word) => ACKNOWLEDGING.has(word) || TRAILING.has(word))) return undefined;
  const whole = decisionOf(words.join(' '));
  const decided = whole !== 'unsure' ? whole : framed(words);
  // The consent check is the floor for an accept, whoever takes it.
  if (decided === 'accept' && !agreesInLastTurns([text])) return undefined;
  return decided;
}

/** A phrase (or nothing) between leading yes-or-no words of one kind and trailing courtesies. */
function framed(words: string[]): QuickDecision {
  let end = words.length;
  while (end > 0 && TRAILING.has(words[end - 1]!)) end--;
  let start = 0;
  let leading: 'accept' | 'reject' | undefined;
  while (start < end) {
    const word = words[start]!;
    const kind = YES_WORDS.has(word) ? 'accept' : NO_WORDS.has(word) ? 'reject' : undefined;
    if (!kind) break;
    // "Yes, no..." says both: nothing is decided.
    if (leading && leading !== kind) return undefined;
    leading = kind;
    start++;
  }
  const rest = words.slice(start, end).join(' ');
  if (!rest) return leading;
  const phrase = decisionOf(rest);
  if (phrase === 'unsure') return undefined;
  if (leading && leading !== phrase) return undefined;
  return phrase;
}
