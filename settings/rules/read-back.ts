// The plan in plain words, one line per rule, then the denylist, what the rules name but never dial, and the
// warnings: what an operator reads before going live (`npm run rules`, the worker's start-up log, the
// settings service's API and page).
import { canonicalDestination } from '../destination.ts';
import type { NotDialled, PlanRule, TransferPlan } from './plan.ts';
import type { WithheldReason } from './reader.ts';

/** The heading above the destinations the rules name but never dial. */
export const NOT_DIALLED_HEADING = 'not dialled (named in the rules, but no sentence tells the agent to transfer there):';

export function readBack(plan: TransferPlan): string[] {
  const lines = plan.rules.map(ruleLine);
  lines.push(plan.forbidden.length > 0 ? `never: ${plan.forbidden.map(canonicalDestination).join(', ')}` : 'never: (nothing forbidden)');
  const notDialled = plan.notDialled ?? [];
  if (notDialled.length > 0) lines.push(NOT_DIALLED_HEADING);
  for (const n of notDialled) lines.push(`  ${notDialledLine(n)}`);
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  return lines;
}

/** "ext:1998 (rule 2): it is only mentioned, not given as a destination: 'ext:1998 is the CEO's line.'" */
export function notDialledLine(n: NotDialled): string {
  const sentence = n.sentence.length > 160 ? `${n.sentence.slice(0, 157)}...` : n.sentence;
  return `${canonicalDestination(n.destination)} (rule ${n.rule}): ${whyNotDialled(n.reason, n.trigger)}: '${sentence}'`;
}

export function whyNotDialled(reason: WithheldReason, trigger?: string): string {
  const word = trigger === undefined ? '' : ` ('${trigger}')`;
  switch (reason) {
    case 'mention':
      return 'it is only mentioned, not given as a destination to transfer to';
    case 'condition':
      return 'it is part of a condition, not a destination to dial';
    case 'question':
      return 'the sentence is a question';
    case 'restricted':
      return `the sentence restricts it${word}; write an unconditional instruction to make it dialable`;
    case 'mixed':
      return `the sentence also holds a negation or prohibition${word}; a destination is dialled only from a sentence with none (say the condition positively, or give the transfer a sentence of its own)`;
    case 'later':
      return `the next sentence takes it back${word}`;
    case 'unreadable':
      return 'the sentence has letters outside plain English, so the reader cannot check it for a prohibition';
    case 'orphan':
      return 'it is a fallback for a destination that is not dialled';
  }
}

function ruleLine(rule: PlanRule): string {
  const name = rule.label ?? `rule ${rule.index}`;
  if (rule.chains.length === 0) {
    if (rule.forbids.length > 0) return `${name} → no destination; forbids ${rule.forbids.map(canonicalDestination).join(', ')}`;
    const named = rule.notDialled ?? [];
    return named.length > 0
      ? `${name} → no destination; names ${named.map((n) => canonicalDestination(n.destination)).join(', ')}, not dialled (below)`
      : `${name} → no destination (guidance for the agent)`;
  }
  const chains = rule.chains.map((chain) => chain.map(canonicalDestination).join(', then ')).join(' or ');
  return `${name} → ${chains} (confirm first: ${rule.confirmFirst ? 'yes' : 'no'})`;
}
