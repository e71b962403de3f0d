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
//   - confirmFirst: the rule asks the agent to check with the caller before transferring. A rule that asks it
//     but dials nothing passes it on to the rules that dial what it names, or to every rule when it names
//     nothing (confirmWhereNamed): a confirmation is never lost.
// A destination inside a condition ("if the caller is calling from 512-555-0000, ...") is not one to
// dial; like a sentence with a destination the parser cannot place, it is reported as a warning.
//
// How a sentence is read is rule-reader.ts: default-deny, so a destination is dialable only from a sentence
// recognised as an instruction to transfer there that says nothing against it. Every other destination
// the rules name is forbidden (denylist) or listed as not dialled, with its sentence and the reason.
import { canonicalDestination, destinationKey, parseDestination, type Destination } from '../destination.ts';
import { readRule as readSentences, type WithheldReason } from './reader.ts';
import { splitRules } from './text.ts';

/** A destination the rules name that the agent will never dial, and why: shown under its own heading. */
export interface NotDialled {
  destination: Destination;
  /** The rule it is named in (1-based). */
  rule: number;
  /** The sentence that names it, as the reader read it (apostrophes and look-alike characters folded). */
  sentence: string;
  reason: WithheldReason;
  /** The word that restricted it, where one did ("only", "never"). */
  trigger?: string;
}

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
  /** Where each forbidden destination is forbidden: its sentence, by destination key. */
  forbiddenBy?: Record<string, string>;
  /** Destinations this rule names but does not make dialable. */
  notDialled?: NotDialled[];
}

export interface TransferPlan {
  rules: PlanRule[];
  /** Every rule's forbidden destinations, each once, in the order first named. */
  forbidden: Destination[];
  /** Named in the rules, neither dialable nor forbidden anywhere: each once, in the order first named. */
  notDialled?: NotDialled[];
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

const LABEL = /\b(?:asks?\s+(?:for|about)|has|needs|wants)\s+(?:to\s+(?:speak|talk)\s+(?:to|with)\s+)?(?:an?\s+|the\s+)?([^,.;:]+)/i;

/** Compiles rules text into a plan; every problem at once, each naming its rule. */
export function compilePlan(text: string): PlanResult {
  const rules: PlanRule[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  splitRules(text).forEach((ruleText, i) => {
    const index = i + 1;
    const read = readRule(index, ruleText);
    for (const e of read.errors) errors.push(e);
    for (const w of read.warnings) warnings.push(w);
    rules.push(read.rule);
  });
  confirmWhereNamed(rules);
  for (const e of conflicts(rules)) errors.push(e);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, plan: { rules, forbidden: forbiddenOf(rules), notDialled: notDialledOf(rules), warnings, source: 'parser' } };
}

/**
 * A rule that asks to confirm first and dials nothing itself is about other rules' transfers: "When
 * transferring to ext:1001, confirm with the caller first." as a list item of its own makes every rule that
 * dials ext:1001 confirm first, and "Always confirm with the caller first." in a paragraph of its own, naming
 * no destination, makes every rule confirm first. Losing a confirmation would dial without asking, so the
 * stricter reading wins. (A rule that dials confirms its own transfers only.)
 */
function confirmWhereNamed(rules: PlanRule[]) {
  const confirming = rules.filter((r) => r.confirmFirst && r.chains.length === 0);
  const everywhere = confirming.some((r) => r.forbids.length === 0 && (r.notDialled ?? []).length === 0);
  const named = new Set(confirming.flatMap((r) => (r.notDialled ?? []).map((n) => destinationKey(n.destination))));
  for (const rule of rules) {
    if (rule.chains.length > 0 && (everywhere || rule.chains.some((c) => c.some((d) => named.has(destinationKey(d)))))) rule.confirmFirst = true;
  }
}

/** The denylist of a set of rules: each forbidden destination once, in the order first named. */
export function forbiddenOf(rules: readonly PlanRule[]): Destination[] {
  return unique(rules.flatMap((r) => r.forbids));
}

/** What the rules name but never dial: each destination once, leaving out what another sentence allows or forbids. */
export function notDialledOf(rules: readonly PlanRule[]): NotDialled[] {
  const settled = new Set([...rules.flatMap((r) => r.chains.flat()), ...rules.flatMap((r) => r.forbids)].map(destinationKey));
  const seen = new Set<string>();
  return rules
    .flatMap((r) => r.notDialled ?? [])
    .filter((n) => {
      const key = destinationKey(n.destination);
      if (settled.has(key) || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** "ext:1999 is a destination of rule 1 and forbidden by rule 2" for every such destination. */
export function conflicts(rules: readonly PlanRule[]): string[] {
  const errors: string[] = [];
  const allowers = new Map<string, PlanRule[]>();
  for (const rule of rules) {
    for (const key of new Set(rule.chains.flat().map(destinationKey))) allowers.set(key, [...(allowers.get(key) ?? []), rule]);
  }
  for (const forbidder of rules) {
    for (const denied of forbidder.forbids) {
      for (const allower of allowers.get(destinationKey(denied)) ?? []) {
        const where = forbidder.forbiddenBy?.[destinationKey(denied)];
        const quoted = where === undefined ? '' : ` (${quoteSentence(where)})`;
        errors.push(
          allower === forbidder
            ? `rule ${allower.index} both names ${canonicalDestination(denied)} as a destination and forbids it${quoted}; say one or the other`
            : `${canonicalDestination(denied)} is a destination of rule ${allower.index} and forbidden by rule ${forbidder.index}${quoted}; say one or the other`,
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

function readRule(index: number, text: string): { rule: PlanRule; errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const chains: Destination[][] = [];
  const forbids: Destination[] = [];
  const forbiddenBy: Record<string, string> = {};
  const notDialled: NotDialled[] = [];
  let current: Destination[] | undefined;
  // Keys already placed, so that long lists stay linear: chain heads, each chain's members, forbids.
  const heads = new Set<string>();
  const inCurrent = new Set<string>();
  const reading = readSentences(text);

  for (const mention of reading.mentions) {
    const parsed = parseDestination(mention.raw);
    const dialable = mention.role === 'start' || mention.role === 'alternative' || mention.role === 'fallback';
    if (!parsed.ok) {
      if (dialable) errors.push(`rule ${index}: ${parsed.error}`);
      else if (mention.role === 'forbid') warnings.push(`rule ${index}: ${parsed.error} (it is forbidden, so nothing changes)`);
      continue;
    }
    const destination = parsed.destination;
    const key = destinationKey(destination);
    if (mention.role === 'forbid') {
      if (forbiddenBy[key] === undefined) forbids.push(destination);
      forbiddenBy[key] ??= mention.sentence;
    } else if (mention.role === 'withheld' || (mention.role === 'fallback' && !current)) {
      const reason = mention.role === 'withheld' ? (mention.reason ?? 'mention') : 'orphan';
      notDialled.push({ destination, rule: index, sentence: mention.sentence, reason, ...(mention.trigger ? { trigger: mention.trigger } : {}) });
    } else if (mention.role === 'fallback' && current) {
      if (!inCurrent.has(key)) current.push(destination);
      inCurrent.add(key);
    } else if (!heads.has(key)) {
      heads.add(key);
      current = [destination];
      chains.push(current);
      inCurrent.clear();
      inCurrent.add(key);
    }
  }

  // "transfer them to someone nice": an instruction the tools cannot carry out, in a rule of its own or in a
  // sentence of a rule that names destinations elsewhere. A negated one ("never transfer calls to the CEO")
  // forbids nothing that could be dialled: guidance only.
  const instructions = reading.bare.filter((s) => s.instructs);
  const negated = instructions.find((s) => s.negated);
  if (instructions.some((s) => !s.negated)) {
    errors.push(`rule ${index}: it says 'transfer to' but names no destination (write ext:1002, a US phone number or a sip: address)`);
  } else if (negated && reading.mentions.length === 0) {
    warnings.push(`rule ${index}: forbids a transfer but names no destination, so nothing is added to the denylist: ${quoteSentence(negated.sentence)}`);
  }
  if (reading.unanswered !== undefined) {
    // "Never transfer there." with no destination before it anywhere in the rules (text.ts attaches an answer
    // to the rule it answers, across blank lines and list items): it has nothing to forbid.
    warnings.push(
      `rule ${index}: ${quoteSentence(reading.unanswered)} answers or points back at a sentence before it, but no destination is named before it, so it forbids nothing; if it means a destination, name it ('Never transfer to ext:1002.')`,
    );
  }
  if (reading.mentions.length === 0 && reading.confirmFirst && errors.length === 0 && warnings.length === 0) {
    warnings.push(`rule ${index} names no destination but asks to confirm first, so every transfer confirms first: ${quoteSentence(text)}`);
  }
  if (reading.mentions.length === 0 && errors.length === 0 && warnings.length === 0) {
    warnings.push(`rule ${index} names no destination; the agent reads it as guidance only: ${quoteSentence(text)}`);
  }
  const label = labelOf(text);
  return { rule: { index, text, label, chains, confirmFirst: reading.confirmFirst, forbids, forbiddenBy, notDialled }, errors, warnings };
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
