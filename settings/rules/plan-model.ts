// Optional: a model proposes the transfer plan from the rules' text, and the proposal is checked before
// anything obeys it. A model may only take dialability away, never add it: a proposed rule is accepted
// only when every destination it allows is one the parser's reading of that same rule allows, every
// fallback it proposes is one the parser read there too (so it never starts dialling automatically what
// was only an alternative), and nothing it allows is forbidden anywhere; the denylist only ever grows.
// Otherwise the parser's rule stands. Every difference between the two, accepted or not, is reported for the log.
// Offline, or when the model fails or answers nonsense, the parser's plan is the plan.
import OpenAI from 'openai';
import { z } from 'zod';
import { canonicalDestination, destinationKey, parseDestination, type Destination } from '../destination.ts';
import { conflicts, forbiddenOf, notDialledOf, type PlanRule, type TransferPlan } from './plan.ts';
import { readBack } from './read-back.ts';

export const PROPOSAL_TIMEOUT_MS = 15_000;

const proposalSchema = z.strictObject({
  rules: z.array(
    z.strictObject({
      index: z.number().int().min(1),
      label: z.string().nullable(),
      chains: z.array(z.array(z.string())),
      confirmFirst: z.boolean(),
      forbids: z.array(z.string()),
    }),
  ),
});
export type PlanProposal = z.infer<typeof proposalSchema>;
const { $schema: _dialect, ...PROPOSAL_JSON_SCHEMA } = z.toJSONSchema(proposalSchema);

/** A proposal carried as JSON (between the worker's processes); undefined when it is not one. */
export function parseProposal(value: unknown): PlanProposal | undefined {
  const parsed = proposalSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export const PROPOSAL_INSTRUCTIONS = [
  'You compile the Warm Transfer Rules of a phone agent into a transfer plan. The rules are numbered.',
  'For each rule give: index; label (what the caller wants, in a few words, or null); chains: lists of destinations',
  'to try in order, where a later destination in a chain is a fallback only when the rule says so ("if they are',
  'busy", "otherwise", "then try"); confirmFirst: whether the agent must ask the caller before transferring;',
  'forbids: destinations the rule says never to transfer to (never, do not, except, instead of, no longer).',
  'Write destinations exactly as the rule writes them. Never add a destination the rule does not write.',
].join(' ');

export interface ProposalModel {
  baseURL: string | undefined;
  apiKey: string;
  model: string;
}

/** Asks the model for a plan of `plan`'s rules; undefined (with the reason) when it cannot give one in time. */
export async function proposePlan(
  model: ProposalModel,
  plan: TransferPlan,
  timeoutMs = PROPOSAL_TIMEOUT_MS,
): Promise<{ proposal: PlanProposal } | { error: string }> {
  if (plan.rules.length === 0) return { error: 'no rules' };
  const client = new OpenAI({ apiKey: model.apiKey, ...(model.baseURL ? { baseURL: model.baseURL } : {}), timeout: timeoutMs, maxRetries: 0 });
  const numbered = plan.rules.map((r) => `Rule ${r.index}: ${r.text}`).join('\n');
  try {
    const completion = await client.chat.completions.create({
      model: model.model,
      messages: [
        { role: 'system', content: PROPOSAL_INSTRUCTIONS },
        { role: 'user', content: numbered },
      ],
      response_format: { type: 'json_schema', json_schema: { name: 'transfer_plan', strict: true, schema: PROPOSAL_JSON_SCHEMA } },
    });
    const content = completion.choices[0]?.message.content ?? '';
    const parsed = proposalSchema.safeParse(JSON.parse(content));
    if (!parsed.success)
      return { error: `the model's plan does not fit the schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
    return { proposal: parsed.data };
  } catch (error) {
    return { error: `the model gave no plan: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * The plan to obey, given the parser's plan and a model's proposal: each proposed rule that passes the
 * checks replaces the parser's, and `differences` says what changed and what was refused, and why.
 */
export function acceptProposal(plan: TransferPlan, proposal: PlanProposal): { plan: TransferPlan; differences: string[] } {
  const differences: string[] = [];
  const proposed = new Map(proposal.rules.map((r) => [r.index, r]));
  const candidates: Array<{ parser: PlanRule; model: PlanRule | undefined }> = plan.rules.map((rule) => {
    const offer = proposed.get(rule.index);
    if (!offer) {
      differences.push(`rule ${rule.index}: the model proposed nothing; the parser's reading stands`);
      return { parser: rule, model: undefined };
    }
    const checked = checkRule(rule, offer);
    if ('refused' in checked) {
      differences.push(`rule ${rule.index}: refused the model's reading (${checked.refused}); the parser's reading stands`);
      return { parser: rule, model: undefined };
    }
    return { parser: rule, model: checked.rule };
  });
  for (const index of proposed.keys()) {
    if (!plan.rules.some((r) => r.index === index)) differences.push(`the model proposed a rule ${index}, which the rules do not have; ignored`);
  }

  // The denylist is the parser's and every proposed rule's, so a model can only ever add to it.
  const denied = forbiddenOf([...plan.rules, ...candidates.flatMap((c) => (c.model ? [c.model] : []))]);
  const rules = candidates.map(({ parser, model }) => {
    if (!model) return parser;
    const allowedButDenied = model.chains.flat().find((d) => denied.some((x) => destinationKey(x) === destinationKey(d)));
    if (allowedButDenied) {
      differences.push(
        `rule ${parser.index}: refused the model's reading (it allows ${canonicalDestination(allowedButDenied)}, which the rules forbid); the parser's reading stands`,
      );
      return parser;
    }
    const before = describe(parser);
    const after = describe(model);
    if (before !== after) differences.push(`rule ${parser.index}: the model's reading "${after}" replaces the parser's "${before}"`);
    return { ...model, forbids: forbiddenOf([parser, model]) };
  });

  const merged: TransferPlan = {
    ...plan,
    rules,
    forbidden: forbiddenOf(rules),
    notDialled: notDialledOf(rules),
    source: rules.some((r, i) => r !== plan.rules[i]) ? 'model' : plan.source,
  };
  const clash = conflicts(merged.rules);
  if (clash.length > 0) {
    differences.push(`refused the model's plan as a whole (${clash.join('; ')}); the parser's plan stands`);
    return { plan, differences };
  }
  return { plan: merged, differences };
}

function checkRule(rule: PlanRule, offer: PlanProposal['rules'][number]): { rule: PlanRule } | { refused: string } {
  const allowed = rule.chains.flat();
  const written = [...allowed, ...rule.forbids, ...(rule.notDialled ?? []).map((n) => n.destination)];
  const find = (list: Destination[], raw: string, missing: (d: Destination) => string): Destination | string => {
    const parsed = parseDestination(raw);
    if (!parsed.ok) return parsed.error;
    const same = list.find((d) => destinationKey(d) === destinationKey(parsed.destination));
    return same ?? missing(parsed.destination);
  };
  const chains: Destination[][] = [];
  for (const chain of offer.chains) {
    const resolved: Destination[] = [];
    for (const raw of chain) {
      const d = find(allowed, raw, (x) => `${canonicalDestination(x)} is not a destination the rule's text makes dialable`);
      if (typeof d === 'string') return { refused: d };
      if (!resolved.some((x) => destinationKey(x) === destinationKey(d))) resolved.push(d);
    }
    const unread = resolved.findIndex((d, i) => i > 0 && !followsIn(rule.chains, resolved[i - 1]!, d));
    if (unread > 0)
      return {
        refused: `it makes ${canonicalDestination(resolved[unread]!)} a fallback of ${canonicalDestination(resolved[unread - 1]!)}, which the rule's text does not`,
      };
    if (resolved.length > 0) chains.push(resolved);
  }
  const forbids: Destination[] = [];
  for (const raw of offer.forbids) {
    const d = find(written, raw, (x) => `${canonicalDestination(x)} is not written in the rule`);
    // A forbid the rule does not write is ignored rather than trusted: it cannot widen what is dialled.
    if (typeof d !== 'string') forbids.push(d);
  }
  return {
    rule: {
      index: rule.index,
      text: rule.text,
      label: offer.label?.trim() || rule.label,
      chains,
      // The tool asks the caller whenever either reading says so.
      confirmFirst: rule.confirmFirst || offer.confirmFirst,
      forbids,
      ...(rule.forbiddenBy ? { forbiddenBy: rule.forbiddenBy } : {}),
      ...(rule.notDialled ? { notDialled: rule.notDialled } : {}),
    },
  };
}

/** Whether `next` comes after `previous` in one of the parser's chains: a fallback the text itself gives. */
function followsIn(chains: Destination[][], previous: Destination, next: Destination): boolean {
  return chains.some((chain) => {
    const at = chain.findIndex((d) => destinationKey(d) === destinationKey(previous));
    return at >= 0 && chain.slice(at + 1).some((d) => destinationKey(d) === destinationKey(next));
  });
}

function describe(rule: PlanRule): string {
  return readBack({ rules: [rule], forbidden: rule.forbids, warnings: [], source: 'parser' }).join('; ');
}
