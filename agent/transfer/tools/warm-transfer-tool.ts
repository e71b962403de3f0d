// The warm_transfer tool the caller's model calls. It dials only destinations the agent's rules name, asks
// for the caller's yes where a rule says so (checked in the caller's own words, consent.ts), tries the rule's
// destinations in order while the caller stays on hold (request.ts), and answers the model with the typed
// outcome, or with why the transfer could not start.
import { llm, log } from '@livekit/agents';
import { z } from 'zod';
import { toolResult } from '../../../prompts/outcomes.ts';
import { CONFIRM_FIRST, destinationNotInRules, requestRefused, WARM_TRANSFER_DESCRIPTION, WARM_TRANSFER_PARAMETERS } from '../../../prompts/transfer-tool.ts';
import { planFor } from '../../../settings/rules/plan.ts';
import type { TransferCall } from '../call-context.ts';
import { TransferRequest } from '../request.ts';
import { callerAgreed } from './consent.ts';

export function warmTransferTool(call: TransferCall) {
  const { settings } = call;
  return llm.tool({
    description: WARM_TRANSFER_DESCRIPTION,
    parameters: z.object({
      destination: z.string().describe(WARM_TRANSFER_PARAMETERS.destination),
      reason: z.string().describe(WARM_TRANSFER_PARAMETERS.reason),
      caller_confirmed: z.boolean().describe(WARM_TRANSFER_PARAMETERS.caller_confirmed),
    }),
    execute: async ({ destination, reason, caller_confirmed }) => {
      const planned = planFor(settings.warmTransfer.plan, destination);
      if (!planned) {
        log().warn({ 'lk.pii.destination': destination }, 'refused a transfer to a destination the rules do not allow');
        throw new llm.ToolError(destinationNotInRules(destination));
      }
      if (planned.confirmFirst && !(caller_confirmed && callerAgreed(call.caller.history))) {
        throw new llm.ToolError(CONFIRM_FIRST);
      }
      const opened = await TransferRequest.open(call, planned.chain, { reason, brief: true });
      if (!opened.ok) {
        log().info({ reason: opened.reason }, 'warm transfer request refused');
        throw new llm.ToolError(requestRefused(opened.reason, call.options.limits?.perCall ?? 0));
      }
      const { outcome, label } = await opened.request.run({ chain: planned.chain, reason, brief: true });
      return toolResult(outcome, label);
    },
  });
}
