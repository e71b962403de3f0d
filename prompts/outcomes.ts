// What the caller hears when a warm transfer does not connect, one natural message per outcome, and the
// short typed result the caller agent's model gets back from the warm_transfer tool.
import type { TransferOutcome } from '../core/outcome.ts';

const CALLER_MESSAGES: Record<TransferOutcome, string> = {
  accepted: 'You are now connected.',
  rejected: "I'm sorry, they aren't able to take your call right now. I'm back with you.",
  busy: "I'm sorry, that line is busy at the moment. I'm back with you.",
  declined: "I'm sorry, they declined the call just now. I'm back with you.",
  no_answer: "I'm sorry, nobody picked up. I'm back with you.",
  voicemail: "I'm sorry, I reached their voicemail rather than a person. I'm back with you.",
  destination_hung_up: "I lost the line to them before I could connect you. I'm back with you.",
  dial_failed: "I'm sorry, I couldn't get the call through. I'm back with you.",
  bridge_failed: "I'm sorry, something went wrong connecting you. I'm back with you.",
  hold_failed: "I'm sorry, I couldn't put you on hold, so I haven't transferred you. I'm still with you.",
  caller_hung_up: '',
  cancelled: "No problem, I've stopped the transfer. I'm back with you.",
  timed_out: "I'm sorry, that took too long, so I've stopped trying. I'm back with you.",
  interrupted: "I'm sorry, I lost the connection while transferring you. I'm back with you.",
};

export function callerMessage(outcome: TransferOutcome): string {
  return CALLER_MESSAGES[outcome];
}

/** What the model reads as the warm_transfer tool's result: the outcome, and what to do next. */
export function toolResult(outcome: TransferOutcome, destination: string): string {
  if (outcome === 'accepted') return `The caller is now connected to ${destination}. Say nothing more.`;
  return JSON.stringify({
    outcome,
    destination,
    toldCaller: CALLER_MESSAGES[outcome],
    next: 'The caller has already been told what happened. Continue helping them; offer to take a message or try another option your instructions allow. Do not repeat the apology.',
  });
}
