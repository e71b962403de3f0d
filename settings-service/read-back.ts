// The one place the service turns rules text into the plan it reads back to whoever edits it: the same
// transfer plan (settings/rules/plan.ts) the worker compiles and obeys, in the same words `npm run rules`
// prints. Warnings are listed apart so the page can show them as such.
import { canonicalDestination, destinationKey as canonicalKey } from '../settings/destination.ts';
import { allowedDestinations, compilePlan } from '../settings/rules/plan.ts';
import { readBack, whyNotDialled } from '../settings/rules/read-back.ts';

export interface ReadBack {
  /** One line per rule, in order, then the denylist: what the agent may dial. */
  lines: string[];
  /** Sentences the parser could not place, rules that transfer nowhere. */
  warnings: string[];
  /** Problems that make the rules unusable; a write with any of them is refused. */
  errors: string[];
  /** What the agent may dial, written canonically. */
  dialable: string[];
  /** What no transfer may reach, each with the sentence that forbids it. */
  forbidden: Array<{ destination: string; rule: number; sentence: string }>;
  /** Named in the rules but never dialled, each with its sentence and why (the page's own heading). */
  notDialled: Array<{ destination: string; rule: number; sentence: string; why: string }>;
}

export function rulesReadBack(text: string): ReadBack {
  const compiled = compilePlan(text);
  if (!compiled.ok) return { lines: [], warnings: [], errors: compiled.errors, dialable: [], forbidden: [], notDialled: [] };
  const { plan } = compiled;
  const forbidden = plan.rules.flatMap((rule) =>
    rule.forbids.map((d) => ({ destination: canonicalDestination(d), rule: rule.index, sentence: rule.forbiddenBy?.[canonicalKey(d)] ?? rule.text })),
  );
  return {
    lines: readBack({ ...plan, warnings: [] }),
    warnings: plan.warnings,
    errors: [],
    dialable: allowedDestinations(plan).map(canonicalDestination),
    forbidden,
    notDialled: (plan.notDialled ?? []).map((n) => ({
      destination: canonicalDestination(n.destination),
      rule: n.rule,
      sentence: n.sentence,
      why: whyNotDialled(n.reason, n.trigger),
    })),
  };
}
