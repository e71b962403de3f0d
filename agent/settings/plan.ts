// The transfer plan: what Warm Transfer Rules allow, compiled once from their plain language, and the only
// thing the transfer tools obey. The model still reads the rules' whole text (conditions such as "after
// hours" stay there for it), but it can only dial what the plan allows, in the order the plan gives.
//
// Each rule yields
//   - chains: destinations to try in order. A chain starts at a destination named after a transfer
//     instruction ("warm transfer to ext:1002"); only fallback wording ("or if they are unavailable, ...",
//     "otherwise", "then try", "if ext:2001 is busy, ...") adds a fallback to it. Another destination in
//     the same instruction ("to ext:2001 or ext:2002") is an alternative: allowed, never tried automatically.
//   - forbids: destinations after "never", "do not", "don't", "not to", "except", "other than",
//     "instead of", "no longer", or described as off limits ("ext:1999 is no longer in use"). All rules'
//     forbids form one denylist; a destination that is both allowed and forbidden is an error naming both rules.
//   - confirmFirst: the rule asks the agent to check with the caller before transferring.
// A destination inside a condition ("if the caller is calling from 512-555-0000, ...") is not one to
// dial; like a sentence with a destination the parser cannot place, it is reported as a warning.
//
// How it reads: rules are split (rule-text.ts), destination tokens masked so their dots and colons do not
// split sentences, then each sentence is read left to right. The words between two destinations (the
// connector) decide the role of the one after them: negation (outside a condition) forbids, fallback
// wording adds a fallback, a transfer instruction starts a chain, plain coordination ("or", ", and to")
// keeps the role of the destination before.
import { canonicalDestination, destinationKey, parseDestination, type Destination } from './destination.ts';
import { splitRules } from './rule-text.ts';

export interface PlanRule {
  /** 1-based position in the rules text; errors, warnings and logs name rules by it. */
  index: number;
  text: string;
  /** What the caller wants ("billing dispute", "Eric"), for the read-back and logs. */
  label: string | undefined;
  /** Each chain is tried in order: its first destination, then its fallbacks. */
  chains: Destination[][];
  confirmFirst: boolean;
  forbids: Destination[];
}

export interface TransferPlan {
  rules: PlanRule[];
  /** Every rule's forbidden destinations, each once, in the order first named. */
  forbidden: Destination[];
  warnings: string[];
  /** 'model' when a model proposed it and the checks accepted it (plan-model.ts). */
  source: 'parser' | 'model';
}

export type PlanResult = { ok: true; plan: TransferPlan } | { ok: false; errors: string[] };

/** A destination the plan allows, with the chain to try when it is asked for. */
export interface PlannedTransfer {
  rule: PlanRule;
  destination: Destination;
  /** The destination, then the fallbacks written after it in its chain. */
  chain: Destination[];
  /** Any rule naming the destination asks to confirm with the caller first (the stricter reading wins). */
  confirmFirst: boolean;
}

type Role = 'start' | 'fallback' | 'forbid' | 'condition' | 'unplaced';

interface Mention {
  raw: string;
  sentence: string;
  role: Role;
}

const PLACEHOLDER = (n: number) => `\u27e6${n}\u27e7`;
const PLACEHOLDER_RE = /\u27e6(\d+)\u27e7/g;
const PREFIXED = /\b(?:ext|pbx):\s*[^\s,;]*|\bsips?:[^\s,]*/gi;
// Digits with the separators phone numbers use, plus letters glued on by a dash (1-800-FLOWERS) so that
// a vanity number is reported rather than cut short.
const PHONE_LIKE = /\+?\(?\d[\d(). -]*\d(?:-[a-z][a-z\d-]*)?/gi;
const TRAILING_PUNCTUATION = /[.,;!?)"'>]+$/;
const SENTENCE_END = /(?<=[.!?;])\s+|(?<=[.!?;])$/;

const CONDITION = /\b(?:if|when|whenever|unless|in\s+case|as\s+long\s+as|only\s+if)\b/i;
const CONDITION_CLAUSE = /\b(?:if|when|whenever|unless|in\s+case|as\s+long\s+as)\b[^,]*(?:,|$)/gi;
const NEGATION = /\b(?:never|not|no\s+longer|except|other\s+than|instead\s+of|cannot)\b|n['\u2019]t\b/i;
// "unless ... not" forbids what follows even when the negation sits inside the unless-clause.
const UNLESS_NOT = /\bunless\b[^,]*(?:\b(?:not|never)\b|n['\u2019]t\b)/i;
const POST_NEGATION =
  /^\s*(?:(?:is|are|was|has\s+been|have\s+been|must|should|may|can|will|shall)\s+)?(?:no\s+longer|never|not|off[\s-]limits|forbidden|blocked|banned)\b|^\s*(?:isn['\u2019]t|aren['\u2019]t|mustn['\u2019]t|shouldn['\u2019]t|can['\u2019]t|won['\u2019]t)\b/i;
const UNAVAILABLE =
  /\b(?:busy|unavailable|not\s+available|away|out\s+of\s+(?:the\s+)?office|no\s+answer|no\s+one\s+answers|nobody\s+answers|(?:don['\u2019]t|doesn['\u2019]t|do\s+not|does\s+not|didn['\u2019]t|did\s+not|can['\u2019]t|cannot|won['\u2019]t)\s+(?:answer|pick\s+up|respond|take\s+(?:it|the\s+call))|declines?|rejects?|refuses?)\b/i;
const FALLBACK_WORDS =
  /\b(?:otherwise|failing\s+that|if\s+that\s+fails|if\s+not|or\s+else|as\s+a\s+(?:fallback|backup)|then\s+try|and\s+then|then\s+to)\b|\bthen\s*$/i;
const TRANSFER_VERB =
  /\b(?:transfer|connect|put\s+(?:\w+\s+)?through|send|forward|route|dial|call|ring|try|hand\s+(?:\w+\s+)?(?:over|off)|escalate|pass)\b/i;
const TRANSFER_TO = /\btransfer\b[^.!?;]*\bto\b/i;
const COORDINATION = /^[\s,]*(?:(?:and|or|and\/or|also)\b[\s,]*)?(?:to\b)?[\s,]*$/i;
const CONFIRM_FIRST =
  /\b(?:confirm|check)\s+with\s+(?:the\s+caller|them)\b|\b(?:confirm|ask|check)\b[^.!?]*\b(?:caller|them)\b[^.!?]*\b(?:first|before)\b/i;
const LABEL =
  /\b(?:asks?\s+(?:for|about)|has|needs|wants)\s+(?:to\s+(?:speak|talk)\s+(?:to|with)\s+)?(?:an?\s+|the\s+)?([^,.;:]+)/i;

/** Compiles rules text into a plan; every problem at once, each naming its rule. */
export function compilePlan(text: string): PlanResult {
  const rules: PlanRule[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  splitRules(text).forEach((ruleText, i) => {
    const index = i + 1;
    const read = readRule(index, ruleText);
    errors.push(...read.errors);
    warnings.push(...read.warnings);
    rules.push(read.rule);
  });
  errors.push(...conflicts(rules));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, plan: { rules, forbidden: forbiddenOf(rules), warnings, source: 'parser' } };
}

/** The denylist of a set of rules: each forbidden destination once, in the order first named. */
export function forbiddenOf(rules: readonly PlanRule[]): Destination[] {
  return unique(rules.flatMap((r) => r.forbids));
}

/** "ext:1999 is a destination of rule 1 and forbidden by rule 2" for every such destination. */
export function conflicts(rules: readonly PlanRule[]): string[] {
  const errors: string[] = [];
  for (const forbidder of rules) {
    for (const denied of forbidder.forbids) {
      for (const allower of rules) {
        if (!allower.chains.some((chain) => chain.some((d) => same(d, denied)))) continue;
        errors.push(
          allower === forbidder
            ? `rule ${allower.index} both names ${canonicalDestination(denied)} as a destination and forbids it; say one or the other`
            : `${canonicalDestination(denied)} is a destination of rule ${allower.index} and forbidden by rule ${forbidder.index}; say one or the other`,
        );
      }
    }
  }
  return errors;
}

/** Every destination the plan allows, each once, in the order first named. */
export function allowedDestinations(plan: TransferPlan): Destination[] {
  return unique(plan.rules.flatMap((r) => r.chains.flat()));
}

export function isForbidden(plan: TransferPlan, destination: Destination): boolean {
  return plan.forbidden.some((d) => same(d, destination));
}

/**
 * What the plan does with a destination a model (or a person) asks for: the first rule that allows it and
 * the chain from it onwards, or undefined when it is forbidden, unknown or not a destination at all.
 */
export function planFor(plan: TransferPlan, raw: string): PlannedTransfer | undefined {
  const parsed = parseDestination(raw);
  if (!parsed.ok || isForbidden(plan, parsed.destination)) return undefined;
  const naming = plan.rules.filter((r) => r.chains.some((c) => c.some((d) => same(d, parsed.destination))));
  const confirmFirst = naming.some((r) => r.confirmFirst);
  for (const rule of naming) {
    for (const chain of rule.chains) {
      const at = chain.findIndex((d) => same(d, parsed.destination));
      if (at >= 0) return { rule, destination: chain[at]!, chain: chain.slice(at), confirmFirst };
    }
  }
  return undefined;
}

/** Every destination written anywhere in a rule's text, whatever its role: what a model may name for it. */
export function mentionedDestinations(text: string): Destination[] {
  const parsed = mentionsOf(text).map((m) => parseDestination(m.raw));
  return unique(parsed.flatMap((p) => (p.ok ? [p.destination] : [])));
}

function readRule(index: number, text: string): { rule: PlanRule; errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const chains: Destination[][] = [];
  const forbids: Destination[] = [];
  let current: Destination[] | undefined;

  for (const mention of mentionsOf(text)) {
    const parsed = parseDestination(mention.raw);
    if (mention.role === 'condition' || mention.role === 'unplaced') {
      // Not a destination to dial; worth saying only when it could have been one.
      if (parsed.ok && !chains.some((c) => c.some((d) => same(d, parsed.destination)))) {
        warnings.push(
          mention.role === 'condition'
            ? `rule ${index}: ${canonicalDestination(parsed.destination)} is part of a condition, not a destination to dial: ${quoteSentence(mention.sentence)}`
            : `rule ${index}: cannot tell whether ${canonicalDestination(parsed.destination)} is a destination; it will not be dialled: ${quoteSentence(mention.sentence)}`,
        );
      }
      continue;
    }
    if (!parsed.ok) {
      if (mention.role === 'forbid') warnings.push(`rule ${index}: ${parsed.error} (it is forbidden, so nothing changes)`);
      else errors.push(`rule ${index}: ${parsed.error}`);
      continue;
    }
    const destination = parsed.destination;
    if (mention.role === 'forbid') {
      if (!forbids.some((d) => same(d, destination))) forbids.push(destination);
    } else if (mention.role === 'fallback' && current) {
      if (!current.some((d) => same(d, destination))) current.push(destination);
    } else if (!chains.some((c) => same(c[0]!, destination))) {
      current = [destination];
      chains.push(current);
    }
  }

  const sentences = sentencesOf(text);
  if (sentences.every((s) => s.mentions === 0)) {
    // "transfer them to someone nice": an instruction the tools cannot carry out. A negated one
    // ("never transfer calls to the CEO") forbids nothing that could be dialled: guidance only.
    const instructions = sentences.filter((s) => TRANSFER_TO.test(s.masked));
    const negated = instructions.filter((s) => NEGATION.test(stripConditions(s.masked)));
    if (instructions.length > negated.length) {
      errors.push(`rule ${index}: it says 'transfer to' but names no destination (write ext:1002, a US phone number or a sip: address)`);
    } else if (negated[0]) {
      warnings.push(`rule ${index}: forbids a transfer but names no destination, so nothing is added to the denylist: ${quoteSentence(negated[0].shown)}`);
    }
  }
  if (chains.length === 0 && forbids.length === 0 && errors.length === 0 && warnings.length === 0) {
    warnings.push(`rule ${index} names no destination; the agent reads it as guidance only: ${quoteSentence(text)}`);
  }
  const label = labelOf(text);
  return { rule: { index, text, label, chains, confirmFirst: CONFIRM_FIRST.test(text), forbids }, errors, warnings };
}

interface Sentence {
  masked: string;
  /** The sentence as written, for warnings. */
  shown: string;
  mentions: number;
}

/** Masks destination tokens (so their dots and colons stay inside them) and returns them with the masked text. */
function mask(text: string): { masked: string; tokens: string[] } {
  const tokens: string[] = [];
  const put = (raw: string) => {
    const clean = raw.replace(TRAILING_PUNCTUATION, '');
    tokens.push(clean);
    return PLACEHOLDER(tokens.length - 1) + raw.slice(clean.length);
  };
  let masked = text.replace(PREFIXED, put);
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

function sentencesOf(text: string): Sentence[] {
  const { masked, tokens } = mask(text);
  return masked
    .split(SENTENCE_END)
    .filter((s) => s.trim() !== '')
    .map((s) => ({
      masked: s,
      shown: s.replace(PLACEHOLDER_RE, (_, n: string) => tokens[Number(n)] ?? ''),
      mentions: [...s.matchAll(PLACEHOLDER_RE)].length,
    }));
}

function mentionsOf(text: string): Mention[] {
  const { masked, tokens } = mask(text);
  const mentions: Mention[] = [];
  let hasChain = false;
  for (const sentence of masked.split(SENTENCE_END)) {
    const shown = sentence.replace(PLACEHOLDER_RE, (_, n: string) => tokens[Number(n)] ?? '');
    // Pieces alternate: connector, token, connector, token, ..., trailing text.
    const pieces = sentence.split(PLACEHOLDER_RE);
    let role: Role = 'unplaced';
    const inSentence: Mention[] = [];
    for (let i = 1; i < pieces.length; i += 2) {
      const before = pieces[i - 1] ?? '';
      const after = pieces[i + 1] ?? '';
      role = roleAfter(role, before, hasChain, i === 1);
      const mention: Mention = { raw: tokens[Number(pieces[i])] ?? '', sentence: shown, role };
      if (POST_NEGATION.test(after) && role !== 'forbid') {
        // "ext:1999 is no longer in use", "calls to ext:1998 or ext:1999 are not allowed".
        mention.role = 'forbid';
        for (let j = inSentence.length - 1; j >= 0 && inSentence[j]!.role === role; j--) inSentence[j]!.role = 'forbid';
      }
      inSentence.push(mention);
      if (mention.role === 'start' || mention.role === 'fallback') hasChain = true;
    }
    mentions.push(...inSentence);
  }
  return mentions;
}

/** The role of the destination after `connector`, given the role of the one before it. */
function roleAfter(previous: Role, connector: string, hasChain: boolean, first: boolean): Role {
  const outside = stripConditions(connector);
  if (NEGATION.test(outside) || UNLESS_NOT.test(connector)) return 'forbid';
  if (hasChain && (FALLBACK_WORDS.test(connector) || UNAVAILABLE.test(connector))) return 'fallback';
  const condition = CONDITION.exec(connector);
  if (condition) {
    const comma = connector.indexOf(',', condition.index);
    // Still inside the condition: the destination is something the caller is or says, not where to go.
    if (comma < 0) return 'condition';
    connector = connector.slice(comma + 1);
  }
  if (TRANSFER_VERB.test(connector)) return 'start';
  // Only plain coordination carries a role over: "and tell them our fax is 512-555-0177" does not.
  if (!first && COORDINATION.test(connector)) return previous;
  return 'unplaced';
}

function stripConditions(text: string): string {
  return text.replace(CONDITION_CLAUSE, ' ');
}

function labelOf(rule: string): string | undefined {
  const condition = rule.split(/\b(?:warm\s+)?transfer\b/i)[0] ?? rule;
  return LABEL.exec(condition)?.[1]?.trim() || undefined;
}

function quoteSentence(sentence: string): string {
  const text = sentence.trim();
  return `'${text.length > 120 ? `${text.slice(0, 117)}...` : text}'`;
}

function same(a: Destination, b: Destination): boolean {
  return destinationKey(a) === destinationKey(b);
}

function unique(destinations: Destination[]): Destination[] {
  const seen = new Set<string>();
  return destinations.filter((d) => !seen.has(destinationKey(d)) && Boolean(seen.add(destinationKey(d))));
}
