// The plan in plain words, one line per rule, then the denylist and the warnings: what an operator reads
// before going live (`npm run rules`, and the worker's start-up log).
import { canonicalDestination } from './destination.ts';
import type { PlanRule, TransferPlan } from './plan.ts';

export function readBack(plan: TransferPlan): string[] {
  const lines = plan.rules.map(ruleLine);
  lines.push(plan.forbidden.length > 0 ? `never: ${plan.forbidden.map(canonicalDestination).join(', ')}` : 'never: (nothing forbidden)');
  lines.push(...plan.warnings.map((w) => `warning: ${w}`));
  return lines;
}

function ruleLine(rule: PlanRule): string {
  const name = rule.label ?? `rule ${rule.index}`;
  if (rule.chains.length === 0) {
    return rule.forbids.length > 0
      ? `${name} → no destination; forbids ${rule.forbids.map(canonicalDestination).join(', ')}`
      : `${name} → no destination (guidance for the agent)`;
  }
  const chains = rule.chains.map((chain) => chain.map(canonicalDestination).join(', then ')).join(' or ');
  return `${name} → ${chains} (confirm first: ${rule.confirmFirst ? 'yes' : 'no'})`;
}
