// The one place the service turns rules text into the plan it reads back to whoever edits it. Built on
// today's rules parser; when the rules become a compiled transfer plan, only this function changes.
import { formatDestination } from '../agent/settings/destination.ts';
import { parseRules } from '../agent/settings/rules.ts';

export interface ReadBack {
  /** One sentence per rule, in order: what the agent will do. */
  lines: string[];
  /** Things that are allowed but probably not meant (a rule that transfers nowhere). */
  warnings: string[];
  /** Problems that make the rules unusable; a write with any of them is refused. */
  errors: string[];
}

export function rulesReadBack(text: string): ReadBack {
  const parsed = parseRules(text);
  if (!parsed.ok) return { lines: [], warnings: [], errors: parsed.errors };
  const lines: string[] = [];
  const warnings: string[] = [];
  for (const rule of parsed.rules) {
    const when = rule.label ? `Rule ${rule.index} (${rule.label})` : `Rule ${rule.index}`;
    if (rule.destinations.length === 0) {
      lines.push(`${when}: no transfer (the agent reads this as an instruction).`);
      warnings.push(`rule ${rule.index} names no destination`);
      continue;
    }
    const [first, ...fallbacks] = rule.destinations.map(formatDestination);
    const then = fallbacks.length > 0 ? `, then ${fallbacks.join(', then ')} if unavailable` : '';
    const confirm = rule.confirmFirst ? ', after the caller confirms' : '';
    lines.push(`${when}: warm transfer to ${first}${then}${confirm}.`);
  }
  return { lines, warnings, errors: [] };
}
