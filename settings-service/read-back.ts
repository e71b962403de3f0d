// The one place the service turns rules text into the plan it reads back to whoever edits it: the same
// transfer plan (agent/settings/plan.ts) the worker compiles and obeys, in the same words `npm run rules`
// prints. Warnings are listed apart so the page can show them as such.
import { compilePlan } from '../agent/settings/plan.ts';
import { readBack } from '../agent/settings/read-back.ts';

export interface ReadBack {
  /** One line per rule, in order, then the denylist: what the agent may dial. */
  lines: string[];
  /** Sentences the parser could not place, rules that transfer nowhere. */
  warnings: string[];
  /** Problems that make the rules unusable; a write with any of them is refused. */
  errors: string[];
}

export function rulesReadBack(text: string): ReadBack {
  const compiled = compilePlan(text);
  if (!compiled.ok) return { lines: [], warnings: [], errors: compiled.errors };
  const { plan } = compiled;
  return { lines: readBack({ ...plan, warnings: [] }), warnings: plan.warnings, errors: [] };
}
