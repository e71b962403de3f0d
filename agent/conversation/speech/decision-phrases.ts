// The words an offline recogniser listens for after the briefing's question ("press 1 ... or let me know
// verbally"): a small, closed set of ways to take or refuse the call. Everything else (a question, a cough, a
// word that is not on these lists) must come out as neither, so it is matched by a garbage model instead: any
// sequence of English phones (see garbageGrammar). Lower case, no punctuation: these are grammar tokens.

export type Decision = 'accept' | 'reject' | 'unsure';

export const ACCEPT_PHRASES: readonly string[] = [
  'yes',
  'yeah',
  'yep',
  'sure',
  'okay',
  'accept',
  'go ahead',
  'yes go ahead',
  'yes please',
  'yes send them through',
  'send them through',
  'send them over',
  'put them through',
  'put them on',
  'yeah put them on',
  'yes put them through',
  'sure put them through',
  "sure i'll take it",
  "i'll take it",
  "i'll take the call",
  'okay connect them',
  'connect them',
  'connect me',
  'okay put them through',
  'accept the transfer',
  'accept the call',
];

export const REJECT_PHRASES: readonly string[] = [
  'no',
  'nope',
  'no thanks',
  'no thank you',
  'not now',
  'reject',
  'decline',
  "i'm busy",
  "no i'm busy",
  "sorry i'm busy",
  "no i can't",
  "sorry i can't",
  "i can't",
  "i can't take it",
  "i can't take this now",
  "no i can't take this now",
  "i can't take the call",
  "i can't talk right now",
  'not right now',
  'call them back later',
  'reject the transfer',
  'decline the call',
  'reject the call',
];

/** ARPAbet phones of the acoustic model (CMU dictionary set), each a one-phone garbage word of the grammar. */
export const GARBAGE_PHONES: readonly string[] = 'AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH'.split(
  ' ',
);

/** Grammar token of a garbage phone (no dictionary word looks like it). */
export const garbageWord = (phone: string): string => `ggg${phone.toLowerCase()}`;

export function normalisePhrase(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z' ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const ACCEPTS = new Set(ACCEPT_PHRASES);
const REJECTS = new Set(REJECT_PHRASES);

/** What a recognised word sequence means: exactly one of the phrases, or neither (garbage, mixtures, nothing). */
export function decisionOf(text: string): Decision {
  const phrase = normalisePhrase(text);
  if (ACCEPTS.has(phrase)) return 'accept';
  if (REJECTS.has(phrase)) return 'reject';
  return 'unsure';
}

/** Every dictionary word the phrases use. */
export function phraseWords(): string[] {
  return [...new Set([...ACCEPT_PHRASES, ...REJECT_PHRASES].flatMap((p) => p.split(' ')))].sort();
}

/** The JSGF grammar of the phrases: the decoder finds the phrase the utterance sounds most like, whatever it is. */
export function decisionGrammar(): string {
  const alternatives = (phrases: readonly string[]) => phrases.map((p) => `(${p})`).join(' | ');
  return [
    '#JSGF V1.0;',
    'grammar decision;',
    `public <utterance> = <accept> | <reject>;`,
    `<accept> = ${alternatives(ACCEPT_PHRASES)};`,
    `<reject> = ${alternatives(REJECT_PHRASES)};`,
    '',
  ].join('\n');
}

/** The grammar of one kind's phrases alone (the 'classes' search scores each kind on its own). */
export function kindGrammar(kind: 'accept' | 'reject'): string {
  const phrases = kind === 'accept' ? ACCEPT_PHRASES : REJECT_PHRASES;
  return ['#JSGF V1.0;', `grammar ${kind};`, `public <${kind}> = ${phrases.map((p) => `(${p})`).join(' | ')};`, ''].join('\n');
}

/**
 * The garbage model, a grammar of its own: any sequence of phones. Whether the utterance was a phrase at all is
 * told by how much better the phrase fits it than this does (a question fits a phone loop far better than any
 * phrase; a phrase fits its own words about as well as the loop, or better).
 */
export function garbageGrammar(): string {
  return ['#JSGF V1.0;', 'grammar garbage;', 'public <garbage> = <phone>+;', `<phone> = ${GARBAGE_PHONES.map(garbageWord).join(' | ')};`, ''].join('\n');
}

/**
 * The small dictionary the decoder loads instead of the whole CMU one (which takes longer to read than the
 * utterance takes to decode): every pronunciation of the phrase words, and the garbage phones.
 * `full` is the CMU dictionary's text ("word PH ONES", alternatives as "word(2) ...").
 */
export function decisionDictionary(full: string): string {
  const wanted = new Set(phraseWords());
  const lines: string[] = [];
  const found = new Set<string>();
  for (const line of full.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const word = line.slice(0, space).replace(/\(\d+\)$/, '');
    if (!wanted.has(word)) continue;
    found.add(word);
    lines.push(line.trim());
  }
  const missing = [...wanted].filter((w) => !found.has(w));
  if (missing.length) throw new Error(`the pronunciation dictionary has no entry for: ${missing.join(', ')}`);
  for (const phone of GARBAGE_PHONES) lines.push(`${garbageWord(phone)} ${phone}`);
  return lines.join('\n') + '\n';
}

/** A keyword-spotting list: every phrase with the same detection threshold (pocketsphinx `-kws` file). */
export function decisionKeywords(threshold: number): string {
  return [...ACCEPT_PHRASES, ...REJECT_PHRASES].map((p) => `${p} /${threshold.toExponential()}/`).join('\n') + '\n';
}

/** What a set of spotted phrases means: all of one kind, or unsure (none, or both kinds). */
export function decisionOfSpotted(phrases: readonly string[]): Decision {
  const kinds = new Set(phrases.map(decisionOf).filter((d) => d !== 'unsure'));
  return kinds.size === 1 ? [...kinds][0]! : 'unsure';
}
