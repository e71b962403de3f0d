// What the model reads about the warm_transfer tool: when to call it, what each parameter is, and why a call
// to it was refused (the result it gets instead of a transfer).
import { callLimitForModel, organizationLimitForModel } from './limits.ts';

export const WARM_TRANSFER_DESCRIPTION =
  'Warm-transfer the caller to a person named in your Warm Transfer Rules: the caller is put on hold, the ' +
  'person is briefed privately and connected only if they accept. Use it only when a rule says so, with a ' +
  'destination exactly as the rule writes it. Never for destinations the rules do not name.';

export const WARM_TRANSFER_PARAMETERS = {
  destination: 'The destination as written in the rule, e.g. ext:1002 or +15125551234',
  reason: 'One or two sentences for the person: who is calling and what they need.',
  caller_confirmed: 'True only if the caller said yes to being transferred.',
} as const;

export function destinationNotInRules(destination: string): string {
  return `I can't transfer calls to ${destination}. Only the destinations in my rules are possible.`;
}

export const CONFIRM_FIRST =
  'This rule asks you to confirm with the caller first. Ask them whether they want to be transferred, and call again with caller_confirmed true only after they say yes.';

/** Why a request could not start: one open already, the caller handed off, the record or a limit unreadable, a limit reached. */
export type RequestRefusal = 'busy' | 'handed_off' | 'unavailable' | 'call_limit' | 'organization_limit';

/** `perCall`: the call's limit, named when it is the one reached. */
export function requestRefused(reason: RequestRefusal, perCall: number): string {
  switch (reason) {
    case 'busy':
      return 'A transfer is already in progress.';
    case 'handed_off':
      return 'The caller is already connected to someone.';
    case 'unavailable':
      return "I can't start a transfer right now. Tell the caller, and offer to take a message instead.";
    case 'organization_limit':
      return organizationLimitForModel();
    case 'call_limit':
      return callLimitForModel(perCall);
  }
}
