// Warm Transfer Rules are plain language written by whoever runs the agent. The model reads them as
// they are; this file only pulls out what code must enforce: which destinations each rule names (the
// allowlist the transfer tool checks), their fallback order, and whether to ask the caller first.
//
// Splitting: a blank line, a list marker ("-", "*", "1.", "1)") or a line that begins with "If" or
// "When" starts a new rule; any other line continues the rule above (so "First confirm with the caller…"
// on its own line belongs to the rule before it). A fallback therefore goes in the same sentence
// ("…to ext:2001, or if they are unavailable to ext:2002") or on a line that does not begin with If/When.
//
// Destinations: ext:/pbx:/sip:/sips: tokens anywhere in a rule, and phone numbers after the rule's first
// "transfer to" (so a number in the condition, such as the caller's own, is not taken for one).
import { destinationKey, parseDestination } from './destination.ts';
import type { Destination } from './destination.ts';

export interface Rule {
  /** 1-based position in the rules text; errors and logs name rules by it. */
  index: number;
  text: string;
  /** In the order written: the first is tried first, the rest are fallbacks. */
  destinations: Destination[];
  /** The rule asks the agent to check with the caller before transferring. */
  confirmFirst: boolean;
  /** Best-effort name for the rule's condition ("billing dispute", "Eric"), for logs. */
  label?: string;
}

export type RulesResult = { ok: true; rules: Rule[] } | { ok: false; errors: string[] };

export interface Allowlist {
  /** Every destination named by a rule, each once, in the order first named. */
  readonly destinations: readonly Destination[];
  isAllowed(destination: Destination): boolean;
  /** Parses a destination as a model might write it and returns the rule's own form, if a rule names it. */
  find(raw: string): Destination | undefined;
  /** The destination followed by the fallbacks written after it in the first rule naming it; [] if none. */
  chainFor(destination: Destination): readonly Destination[];
}

const LIST_MARKER = /^(?:[-*•]|\d+[.)])\s+/;
const RULE_START = /^(?:if|when)\b/i;
const TRANSFER_TO = /\btransfer\s+(?:(?:the\s+)?(?:call|caller|them|him|her|it)\s+)?to\b/i;
const PREFIXED = /\b(?:ext|pbx):\s*[^\s,]*|\bsips?:\S*/gi;
// Runs of digits with the separators phone numbers use, plus letters glued on by a dash (1-800-FLOWERS)
// so that a vanity number is reported rather than silently cut short.
const PHONE_LIKE = /\+?\(?\d[\d(). -]*\d(?:-[a-z][a-z\d-]*)?/gi;
const TRAILING_PUNCTUATION = /[.,;!?)"'>]+$/; // not ':', which would eat the colon of a bare 'ext:'
const CONFIRM_FIRST =
  /\b(?:confirm|check)\s+with\s+(?:the\s+caller|them)\b|\b(?:confirm|ask|check)\b[^.!?]*\b(?:caller|them)\b[^.!?]*\b(?:first|before)\b/i;
const LABEL =
  /\b(?:asks?\s+(?:for|about)|has|needs|wants)\s+(?:to\s+(?:speak|talk)\s+(?:to|with)\s+)?(?:an?\s+|the\s+)?([^,.;:]+)/i;

/** Splits rules text into rules and parses each; returns every problem at once, each naming its rule. */
export function parseRules(text: string): RulesResult {
  const rules: Rule[] = [];
  const errors: string[] = [];
  splitRules(text).forEach((ruleText, i) => {
    const index = i + 1;
    const found = scanDestinations(ruleText);
    const destinations: Destination[] = [];
    const seen = new Set<string>();
    for (const raw of found) {
      const parsed = parseDestination(raw);
      if (!parsed.ok) {
        errors.push(`rule ${index}: ${parsed.error}`);
      } else if (!seen.has(destinationKey(parsed.destination))) {
        seen.add(destinationKey(parsed.destination));
        destinations.push(parsed.destination);
      }
    }
    if (found.length === 0 && TRANSFER_TO.test(ruleText)) {
      errors.push(`rule ${index}: it says 'transfer to' but names no destination (write ext:1002, a US phone number or a sip: address)`);
    }
    const label = labelOf(ruleText);
    rules.push({ index, text: ruleText, destinations, confirmFirst: CONFIRM_FIRST.test(ruleText), ...(label ? { label } : {}) });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rules };
}

function splitRules(text: string): string[] {
  const rules: string[][] = [];
  let current: string[] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') {
      current = undefined;
      continue;
    }
    const unmarked = line.replace(LIST_MARKER, '');
    if (current === undefined || unmarked !== line || RULE_START.test(line)) {
      current = [];
      rules.push(current);
    }
    current.push(unmarked);
  }
  return rules.map((lines) => lines.join(' '));
}

/** Destination-looking tokens in the order they appear; parsing (and refusing) them is the caller's job. */
function scanDestinations(rule: string): string[] {
  const hits: { at: number; raw: string }[] = [];
  // Blank out prefixed tokens so the digits of ext:1002 are not read again as a phone number.
  let masked = rule;
  for (const m of rule.matchAll(PREFIXED)) {
    hits.push({ at: m.index, raw: m[0].replace(TRAILING_PUNCTUATION, '') });
    masked = masked.slice(0, m.index) + ' '.repeat(m[0].length) + masked.slice(m.index + m[0].length);
  }
  const transfer = TRANSFER_TO.exec(masked);
  if (transfer) {
    const from = transfer.index + transfer[0].length;
    for (const m of masked.slice(from).matchAll(PHONE_LIKE)) {
      const digits = m[0].replace(/\D/g, '').length;
      // Seven digits is the shortest thing a person would mistake for a phone number (555-1234);
      // shorter runs are times, counts and the like.
      if (digits >= 7 || /[a-z]/i.test(m[0])) hits.push({ at: from + m.index, raw: m[0] });
    }
  }
  return hits.sort((a, b) => a.at - b.at).map((h) => h.raw);
}

function labelOf(rule: string): string | undefined {
  const condition = rule.split(TRANSFER_TO)[0] ?? rule;
  return LABEL.exec(condition)?.[1]?.trim() || undefined;
}

/** The destinations the rules name, matched by normalised value whatever notation the model uses. */
export function allowlist(rules: readonly Rule[]): Allowlist {
  const entries = new Map<string, { destination: Destination; chain: readonly Destination[] }>();
  for (const rule of rules) {
    rule.destinations.forEach((destination, i) => {
      const key = destinationKey(destination);
      if (!entries.has(key)) entries.set(key, { destination, chain: rule.destinations.slice(i) });
    });
  }
  return {
    destinations: [...entries.values()].map((e) => e.destination),
    isAllowed: (destination) => entries.has(destinationKey(destination)),
    find(raw) {
      const parsed = parseDestination(raw);
      return parsed.ok ? entries.get(destinationKey(parsed.destination))?.destination : undefined;
    },
    chainFor: (destination) => entries.get(destinationKey(destination))?.chain ?? [],
  };
}
