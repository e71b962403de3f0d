// The model-assisted compile at start-up. The worker's main process asks the model once per agent and
// hands the accepted proposals to its job processes in an environment variable (they are forked with the
// main process's environment); each job process checks them again against its own parser's plan, so a
// proposal never counts for more than the checks in plan-model.ts allow.
import { canonicalDestination } from '../destination.ts';
import { allowedDestinations, isForbidden, type TransferPlan } from './plan.ts';
import { acceptProposal, parseProposal, proposePlan, type PlanProposal, type ProposalModel } from './plan-model.ts';
import { type AgentSettings, SettingsSet } from '../settings.ts';

export const PROPOSALS_VARIABLE = 'WARM_TRANSFER_PLAN_PROPOSALS';

export type Proposals = Record<string, { rulesText: string; proposal: PlanProposal }>;

/** Asks the model for every agent's plan; returns the proposals and what each changed or was refused. */
export async function proposeAll(settings: SettingsSet, model: ProposalModel): Promise<{ proposals: Proposals; report: string[] }> {
  const proposals: Proposals = {};
  const report: string[] = [];
  await Promise.all(
    [...settings.agents.values()].map(async (agent) => {
      if (agent.warmTransfer.plan.rules.length === 0) return;
      const answer = await proposePlan(model, agent.warmTransfer.plan);
      if ('error' in answer) {
        report.push(`agent ${agent.agentId}: ${answer.error}; the parser's plan stands`);
        return;
      }
      proposals[agent.agentId] = { rulesText: agent.warmTransfer.rulesText, proposal: answer.proposal };
      report.push(...applyTo(agent, answer.proposal).differences.map((d) => `agent ${agent.agentId}: ${d}`));
    }),
  );
  return { proposals, report };
}

/** The settings with each agent's accepted proposal applied; agents whose rules changed keep the parser's plan. */
export function withProposals(settings: SettingsSet, proposals: Proposals | undefined): SettingsSet {
  if (!proposals || Object.keys(proposals).length === 0) return settings;
  const agents = new Map<string, AgentSettings>();
  for (const [id, agent] of settings.agents) {
    const offer = proposals[id];
    const plan = offer && offer.rulesText === agent.warmTransfer.rulesText ? applyTo(agent, offer.proposal).plan : agent.warmTransfer.plan;
    agents.set(id, plan === agent.warmTransfer.plan ? agent : { ...agent, warmTransfer: { ...agent.warmTransfer, plan } });
  }
  return settings.withAgents(agents);
}

/** Reads the variable the main process set; anything malformed is ignored (the parser's plans stand). */
export function proposalsFromEnv(env: NodeJS.ProcessEnv = process.env): Proposals | undefined {
  const text = env[PROPOSALS_VARIABLE];
  if (!text) return undefined;
  try {
    const raw = JSON.parse(text) as Record<string, { rulesText?: unknown; proposal?: unknown }>;
    const proposals: Proposals = {};
    for (const [id, entry] of Object.entries(raw)) {
      const proposal = parseProposal(entry.proposal);
      if (proposal && typeof entry.rulesText === 'string') proposals[id] = { rulesText: entry.rulesText, proposal };
    }
    return proposals;
  } catch {
    return undefined;
  }
}

/** The proposal checked against the rules, and against the agent's trunks and keypad rules. */
function applyTo(agent: AgentSettings, proposal: PlanProposal): { plan: TransferPlan; differences: string[] } {
  const parser = agent.warmTransfer.plan;
  const accepted = acceptProposal(parser, proposal);
  if (accepted.plan === parser) return accepted;
  const problem = settingsProblem(agent, accepted.plan);
  if (!problem) return accepted;
  return { plan: parser, differences: [...accepted.differences, `refused the model's plan as a whole (${problem}); the parser's plan stands`] };
}

function settingsProblem(agent: AgentSettings, plan: TransferPlan): string | undefined {
  for (const d of allowedDestinations(plan)) {
    if (d.kind === 'phone' && !agent.trunks.pstnOutboundTrunkId) return `${canonicalDestination(d)} needs trunks.pstnOutboundTrunkId`;
    if (d.kind === 'extension' && !agent.trunks.pbxOutboundTrunkId) return `${canonicalDestination(d)} needs trunks.pbx`;
  }
  for (const [key, rule] of agent.keypad) {
    const denied = rule.destinations.find((d) => isForbidden(plan, d));
    if (denied) return `it forbids ${canonicalDestination(denied)}, which keypad key ${key} dials`;
  }
  return undefined;
}
