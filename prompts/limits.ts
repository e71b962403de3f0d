// What the model is told, and what a caller on the keypad hears, when a transfer is refused by a limit
// (transfer/limits.ts): too many transfers on this call, or the organization's transfers all running.

export function callLimitForModel(perCall: number): string {
  return (
    `This call has already had ${perCall} transfer${perCall === 1 ? '' : 's'}, the most one call may have. ` +
    "Do not call warm_transfer again on this call. Tell the caller you can't transfer them again on this call, and offer to take a message instead."
  );
}

export function organizationLimitForModel(): string {
  return 'Every line for transfers is in use right now. Tell the caller, and offer to take a message or to try again in a few minutes.';
}

/** Said to a caller whose key press would start a transfer a limit refuses. */
export function limitForCaller(reason: 'call_limit' | 'organization_limit'): string {
  return reason === 'call_limit'
    ? "I'm sorry, I can't transfer this call again."
    : "I'm sorry, every line is busy right now. Please try again in a few minutes.";
}
