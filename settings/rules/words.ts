// The words the rules reader knows. The reader is default-deny: a destination is dialable only from a
// sentence it recognises as an instruction to transfer there (reader.ts), and any word below that
// forbids, negates or restricts, anywhere in that sentence, takes the dialability away. So the lists of
// what forbids are wide on purpose: a word here that an operator meant harmlessly ("If the caller is not a
// customer, ...") costs a transfer the read-back shows as not dialled; a word missing here could cost a
// call to a destination the rules forbid. The lists keep the layout of a paragraph (prettier-ignore): one
// word a line would make them hard to read and to review.

/** Contractions as people type them without the apostrophe ("Dont transfer ..."). */
// prettier-ignore
export const BARE_CONTRACTIONS: ReadonlyMap<string, string> = new Map(
  ['dont', 'doesnt', 'didnt', 'cant', 'wont', 'shouldnt', 'mustnt', 'isnt', 'arent', 'wasnt', 'werent', 'wouldnt', 'couldnt', 'neednt', 'shant', 'hasnt', 'havent', 'hadnt', 'aint', 'maynt', 'mightnt', 'oughtnt']
    .map((w) => [w, `${w.slice(0, -1)}'t`]),
);

/** Words that forbid or negate, alone. Every "...n't" contraction counts too (see isNegation). */
// prettier-ignore
const NEGATIONS = new Set([
  'never', 'not', 'no', 'nobody', 'none', 'nor', 'neither', 'nowhere', 'noone', 'nothing', 'nope', 'cannot',
  'nah', 'nay', 'donot', 'dont', 'cant', 'shouldnot', 'mustnot', 'neednt', 'nevermore',
  'forbid', 'forbids', 'forbidden', 'forbidding', 'forbade', 'prohibit', 'prohibits', 'prohibited', 'prohibiting',
  'prohibition', 'prohibitive', 'ban', 'bans', 'banned', 'banning', 'bar', 'barred', 'block', 'blocks', 'blocked',
  'blocking', 'blacklist', 'blacklisted', 'blocklist', 'blocklisted', 'denylist', 'denylisted', 'disallow',
  'disallows', 'disallowed', 'deny', 'denies', 'denied', 'refuse', 'refuses', 'refused', 'avoid',
  'avoids', 'avoided', 'avoiding', 'refrain', 'refrains', 'stop', 'stops', 'cease', 'except', 'excepting',
  'exception', 'exclude', 'excludes', 'excluded', 'excluding', 'illegal', 'unauthorized', 'unauthorised',
  'impermissible', 'unacceptable', 'disabled', 'deactivated', 'decommissioned', 'discontinued', 'retired',
  'obsolete', 'defunct', 'disconnected', 'inactive', 'taboo', 'verboten', 'nix', 'skip', 'abstain', 'against',
]);

/** Pairs of words that forbid together, though neither does alone. */
// prettier-ignore
const NEGATING_PAIRS: ReadonlyMap<string, ReadonlySet<string>> = new Map<string, ReadonlySet<string>>([
  ['off', new Set(['limits', 'limit', 'bounds'])],
  ['other', new Set(['than'])],
  ['instead', new Set(['of'])],
  ['rather', new Set(['than'])],
  ['out', new Set(['of'])], // checked with the word after "of" (OUT_OF_NEGATING)
  ['steer', new Set(['clear'])],
  ['keep', new Set(['away'])],
  ['stay', new Set(['away'])],
  // Ways of saying "never" by naming the impossible: "when pigs fly", "over my dead body".
  ['pigs', new Set(['fly'])],
  ['hell', new Set(['freezes'])],
  ['dead', new Set(['body'])],
  ['your', new Set(['dreams'])],
  ['fat', new Set(['chance'])],
]);
const OUT_OF_NEGATING = new Set(['service', 'bounds', 'order', 'use', 'commission', 'question']);

/** Words that restrict a destination to some callers or some approval: not a plain instruction. */
// prettier-ignore
export const RESTRICTIONS = new Set([
  'only', 'solely', 'exclusively', 'restricted', 'restrict', 'restricts', 'restriction', 'restrictions', 'reserved',
  'approval', 'approve', 'approved', 'approves', 'authorized', 'authorised', 'authorization', 'authorisation',
  'permission', 'clearance', 'provided', 'providing', 'unless', 'without',
]);

/** The negation at tokens[i] (a word, or the first word of a pair), if there is one there. */
export function negationAt(words: readonly (string | undefined)[], i: number): boolean {
  return negationWidth(words, i) > 0;
}

/** How many words the negation at tokens[i] takes: 1 for a word, 2 for a pair, 3 for "out of service"; 0 for none. */
export function negationWidth(words: readonly (string | undefined)[], i: number): number {
  const word = words[i];
  if (word === undefined) return 0;
  // "n't" and its misspelling "'nt" ("do'nt") both negate.
  if (NEGATIONS.has(word) || word.endsWith("n't") || word.endsWith("'nt")) return 1;
  const next = NEGATING_PAIRS.get(word);
  if (!next || !next.has(words[i + 1] ?? '')) return 0;
  if (word !== 'out') return 2;
  return OUT_OF_NEGATING.has(words[i + 2] ?? '') ? 3 : 0;
}

/** Words that open a condition ("If the caller ..., transfer ..."). */
// prettier-ignore
export const CONDITION_OPENERS = new Set([
  'if', 'when', 'whenever', 'once', 'after', 'before', 'during', 'for', 'in', 'on', 'should', 'where', 'while',
  'whether', 'anytime', 'as', 'at', 'between', 'outside', 'until', 'whoever', 'whatever',
]);

/** Words that open a condition inside a sentence ("transfer to ext:9 if the caller ..."). */
export const TRAILING_CONDITION_OPENERS = new Set(['if', 'when', 'whenever', 'once', 'while', 'whether', 'during', 'after', 'before', 'between', 'until']);

/** Verbs that send a call somewhere named after "to": "transfer the caller to ext:1002". */
// prettier-ignore
export const TO_VERBS = new Set([
  'transfer', 'send', 'forward', 'route', 'redirect', 'direct', 'connect', 'pass', 'escalate', 'refer', 'move', 'switch', 'bring',
]);
/** Verbs that take the caller "through to" a destination: "put them through to ext:1002". */
export const THROUGH_VERBS = new Set(['put', 'patch']);
/** Verbs whose object is the destination itself: "try ext:2002", "call Eric at ext:1003". */
export const DIRECT_VERBS = new Set(['try', 'dial', 'call', 'ring', 'phone', 'contact', 'page', 'use']);
/** The past participles of a passive instruction: "billing calls should be transferred to ext:1002". */
// prettier-ignore
export const PARTICIPLES = new Set([
  'transferred', 'sent', 'forwarded', 'routed', 'redirected', 'directed', 'connected', 'passed', 'escalated', 'referred', 'moved', 'switched', 'put', 'patched', 'handed',
]);
/** What may stand before a passive participle: "should be", "are", "get". */
export const PASSIVE_AUXILIARIES = new Set(['be', 'are', 'is', 'get', 'gets']);
export const MODALS = new Set(['should', 'must', 'can', 'may', 'will', 'shall']);

/** Words allowed between the start of a clause and its verb: "please always transfer", "you should transfer". */
// prettier-ignore
export const LEAD_INS = new Set([
  'please', 'kindly', 'always', 'just', 'simply', 'then', 'also', 'immediately', 'directly', 'now', 'so', 'and',
  'you', 'we', 'i', 'agent', 'assistant', 'the', 'should', 'must', 'can', 'may', 'will', 'shall', 'warm', 'warmly',
  'blind', 'cold', 'straight', 'instantly', 'promptly', 'first', 'next', 'otherwise', 'else', 'afterwards',
  'go', 'ahead', 'feel', 'free', 'sure', 'make', 'be', 'remember', 'try', 'want', 'need', 'able', 'to',
]);

/** Fallback wording: what introduces a destination to try when the one before it fails. */
export const FALLBACK_OPENERS = new Set(['otherwise', 'else', 'failing', 'then', 'afterwards', 'next', 'backup', 'fallback', 'alternatively']);

/** Unavailability, as fallback conditions say it: "if they are busy", "if ext:2001 is unavailable". */
// prettier-ignore
export const UNAVAILABLE = new Set([
  'busy', 'unavailable', 'away', 'engaged', 'occupied', 'unreachable', 'fails', 'failed', 'declines', 'decline',
  'declined', 'rejects', 'reject', 'rejected', 'refuses', 'voicemail', 'closed', 'offline', 'absent', 'out',
]);

/**
 * Negated forms of unavailability that a fallback condition uses: "if they don't answer", "if nobody
 * picks up", "if ext:2001 is not available". Only inside a condition are they not a prohibition.
 */
// prettier-ignore
export const UNANSWERED_VERBS = new Set(['answer', 'answers', 'pick', 'picks', 'respond', 'responds', 'reply', 'replies', 'take', 'takes', 'available', 'free', 'reachable', 'there', 'in', 'around', 'home', 'working']);
export const UNANSWERED_SUBJECTS = new Set(['no', 'nobody', 'noone', 'none']);

/** Words that may follow an instruction's destination: conditions, adverbs, purposes, another clause. */
// prettier-ignore
export const TAIL_WORDS = new Set([
  'if', 'when', 'whenever', 'once', 'while', 'during', 'after', 'before', 'between', 'until', 'for', 'on', 'at',
  'in', 'within', 'from', 'outside', 'whether', 'unless', 'as', 'to', 'so', 'where', 'because', 'since', 'and', 'or',
  'then', 'but', 'immediately', 'right', 'directly', 'now', 'first', 'instead', 'please', 'too', 'also', 'asap',
  'quickly', 'promptly', 'straight', 'again', 'next', 'only', 'otherwise', 'else', 'with', 'by', 'via', 'using',
  'every', 'each', 'any', 'all', 'whoever', 'whatever', 'regardless', 'anytime', 'always', 'today', 'tonight',
  'weekdays', 'weekends', 'mornings', 'afternoons', 'evenings', 'nights', 'first', 'last', 'failing', 'thanks',
]);

/** Verbs that make a transfer phrase before them its subject: "Transfer to ext:1999 is forbidden". */
// prettier-ignore
export const FINITE_AFTER_SUBJECT = new Set([
  'is', 'are', 'was', 'were', 'will', 'would', 'should', 'must', 'can', 'could', 'may', 'might', 'has', 'have',
  'had', 'does', 'did', 'do', 'gets', 'means', 'needs', 'requires', 'costs', 'goes', 'leads', 'causes', 'counts',
  'remains', 'stays', 'seems', 'becomes', 'belongs', 'happens', 'makes', 'results', 'shall', 'ought', 'used',
]);

/** Words that open a question when they begin a sentence (a sentence ending in '?' is one anyway). */
// prettier-ignore
export const QUESTION_OPENERS = new Set(['why', 'how', 'what', 'who', 'whom', 'whose', 'which', 'is', 'are', 'was', 'were', 'does', 'did', 'can', 'could', 'would', 'may', 'might', 'shall', 'will', 'am']);

/** Words that point back at the destination of the sentence before: "Never transfer there." */
export const BACK_REFERENCES = new Set(['there', 'it', 'that', 'this', 'those', 'these', 'same', 'above', 'former', 'latter']);

/** Nouns that name a destination, after "that"/"this": "Never call that number." */
// prettier-ignore
export const DESTINATION_NOUNS = new Set(['number', 'numbers', 'extension', 'extensions', 'line', 'lines', 'destination', 'destinations', 'address', 'addresses', 'one', 'ones', 'person', 'desk', 'phone', 'contact']);

/** Words before a verb that make it a noun or an infinitive: "asks for a transfer", "wants to transfer". */
// prettier-ignore
export const NOT_BEFORE_VERB = new Set(['to', 'a', 'an', 'the', 'any', 'their', 'his', 'her', 'your', 'my', 'our', 'its', 'this', 'that', 'for', 'of', 'and', 'or', 'be']);

/** Nouns that may stand between "to" and the destination: "to the number +15125551234". */
// prettier-ignore
export const TARGET_NOUNS = new Set([
  'the', 'a', 'an', 'our', 'their', 'his', 'her', 'its', 'number', 'extension', 'ext', 'line', 'address', 'sip',
  'phone', 'desk', 'direct', 'main', 'office', 'mobile', 'cell', 'uri',
]);
/** Words that join a name to its destination: "to Eric at ext:1003", "to sales on +1 512 555 0100". */
export const TARGET_JOINERS = new Set(['at', 'on', 'via', 'using', 'through', 'by']);

/** Words that can never be part of a noun phrase between a verb and "to": they start another clause. */
// prettier-ignore
export const CLAUSE_WORDS = new Set([
  'and', 'or', 'but', 'if', 'when', 'unless', 'then', 'tell', 'say', 'give', 'ask', 'is', 'are', 'was', 'were', 'be',
  'to', 'through', 'say', 'explain', 'let', 'inform', 'note', 'mention', 'because', 'since', 'so', 'whenever',
]);

/**
 * Verbs that make a prohibition guidance of its own rather than an answer to the sentence before ("Never
 * hang up on a caller.", "Do not give out personal phone numbers."): base forms; their -s, -ing and -ed
 * forms count too (guidanceVerb). Only verbs that cannot mean a transfer are here: a verb missing from this
 * list leaves a short prohibition read as an answer, which forbids the destination before it (the safe side).
 */
// prettier-ignore
const GUIDANCE_VERBS = new Set([
  'hang', 'share', 'promise', 'interrupt', 'give', 'guess', 'disclose', 'reveal', 'divulge', 'leak', 'tell', 'say',
  'speak', 'talk', 'discuss', 'mention', 'argue', 'debate', 'yell', 'shout', 'swear', 'curse', 'insult', 'blame',
  'lie', 'pretend', 'assume', 'speculate', 'diagnose', 'offer', 'quote', 'accept', 'agree', 'commit', 'guarantee',
  'admit', 'apologise', 'apologize', 'rush', 'pressure', 'threaten', 'mock', 'laugh', 'joke', 'judge',
  'criticise', 'criticize', 'ignore', 'mute', 'leave', 'keep', 'hold', 'end', 'drop', 'disconnect', 'cut', 'stall',
  'delay', 'wait', 'read', 'spell', 'repeat', 'ask', 'request', 'collect', 'store', 'record', 'write', 'email',
  'text', 'provide', 'process', 'refund', 'charge', 'cancel', 'book', 'schedule', 'change', 'modify', 'reset',
  'update', 'delete', 'sell', 'upsell', 'recommend', 'advise', 'answer', 'make', 'lose', 'raise', 'sound',
  'act', 'forget', 'rely', 'mislead', 'confuse', 'overpromise', 'sigh', 'eat', 'chew',
  'type', 'post', 'publish', 'reply', 'respond', 'contradict', 'correct', 'waste', 'recite',
  'invent', 'sign', 'log', 'bill', 'invoice', 'waive', 'discount', 'negotiate', 'bargain', 'haggle', 'ramble',
]);
/** Irregular forms of the verbs above. */
// prettier-ignore
const GUIDANCE_IRREGULAR = new Set([
  'gave', 'given', 'told', 'said', 'spoke', 'spoken', 'hung', 'kept', 'left', 'held', 'made', 'lost',
  'forgot', 'forgotten', 'misled', 'ate', 'eaten', 'wrote', 'written',
]);

/** Words after "be" that make a prohibition guidance: "Never be rude to a caller." */
// prettier-ignore
export const GUIDANCE_ADJECTIVES = new Set([
  'rude', 'impolite', 'short', 'curt', 'sarcastic', 'pushy', 'aggressive', 'abrupt', 'dismissive', 'condescending',
  'patronising', 'patronizing', 'impatient', 'late', 'vague', 'careless', 'informal', 'negative', 'judgmental',
  'judgemental', 'unprofessional', 'afraid', 'shy', 'silent', 'quiet', 'loud', 'hasty', 'argumentative', 'defensive',
  'rushed', 'robotic', 'overly', 'too', 'so', 'mean', 'snarky', 'flippant', 'casual', 'evasive', 'slow',
]);

/** Whether a word is a guidance verb (GUIDANCE_VERBS) in any form: "hangs", "sharing", "promised", "gave". */
export function guidanceVerb(word: string): boolean {
  if (GUIDANCE_IRREGULAR.has(word)) return true;
  return stemsOf(word).some((s) => GUIDANCE_VERBS.has(s));
}

/** The base forms a word may be an inflection of: "sharing" -> "share", "putting" -> "put", "tries" -> "try". */
export function stemsOf(word: string): string[] {
  const out = [word];
  const undouble = (s: string) => (/([b-df-hj-np-tv-z])\1$/.test(s) ? s.slice(0, -1) : s);
  for (const [suffix, ...ends] of [
    ['ies', 'y'],
    ['ied', 'y'],
    ['es', ''],
    ['s', ''],
    ['ing', '', 'e'],
    ['ed', '', 'e'],
  ] as const) {
    if (!word.endsWith(suffix) || word.length < suffix.length + 2) continue;
    const base = word.slice(0, -suffix.length);
    for (const end of ends) out.push(base + end);
    if (suffix === 'ing' || suffix === 'ed') out.push(undouble(base));
  }
  return out;
}

/** What "do" may stand for as a pro-verb: "Never do that.", "Don't do so.", "Never do the same." */
// prettier-ignore
export const PRO_OBJECTS = new Set(['that', 'this', 'so', 'it', 'same', 'such', 'either', 'anything', 'any', 'thing', 'one', 'them', 'those', 'these', 'there']);

/** Words between a prohibition and its verb: "never ever hang up", "at no time should you hang up". */
// prettier-ignore
export const BEFORE_PROHIBITED_VERB = new Set([
  'ever', 'again', 'please', 'just', 'really', 'even', 'absolutely', 'always', 'under', 'any', 'circumstances',
  'circumstance', 'account', 'case', 'event', 'time', 'at', 'all', 'you', 'we', 'i', 'should', 'must', 'can', 'may',
  'will', 'shall', 'would', 'could', 'ought', 'dare', 'try', 'to', 'the', 'agent', 'assistant', 'one', 'anyone',
  'yourself', 'then', 'also', 'simply', 'directly', 'immediately', 'now', 'ok', 'okay', 'so',
]);

/** Nouns after "call", "phone", "contact" that make it a noun itself: "phone numbers", "contact details". */
// prettier-ignore
export const VERB_AS_NOUN_BEFORE = new Set([
  'number', 'numbers', 'details', 'detail', 'line', 'lines', 'centre', 'center', 'list', 'log', 'logs', 'queue',
  'time', 'times', 'history', 'information', 'info', 'card', 'record', 'records', 'notes', 'recording',
]);
