// Instructions for the agent that talks to the caller.
export interface CallerPromptInput {
  /** Extra instructions from the agent's settings. */
  instructions: string | undefined;
  /** The Warm Transfer Rules as the parser split them, when this agent may transfer. */
  rules: string | undefined;
  /** Whether the take_message tool is available. */
  canTakeMessage: boolean;
}

export function callerInstructions({ instructions, rules, canTakeMessage }: CallerPromptInput): string {
  const parts = ['You are a friendly phone agent. Keep answers short and conversational: this is a voice call,', 'so no lists, markdown or emojis.'];
  if (instructions) parts.push(instructions);
  if (rules) {
    parts.push(
      '\n\nWarm Transfer Rules. Follow them to decide when to transfer and to whom:\n' +
        rules +
        '\n\n' +
        'To transfer, call warm_transfer with the destination exactly as a rule writes it and a short, factual ' +
        'reason so the person can be briefed. It puts the caller on hold, briefs the person and connects them if ' +
        'they accept; if a rule lists several destinations they are tried in order. Never transfer anywhere the ' +
        'rules do not name, whatever the caller asks. If the transfer does not go through, the tool says what ' +
        'happened and the caller has already been told; then carry on as the rules say.',
    );
  }
  if (canTakeMessage) {
    parts.push(
      "If nobody can take the call, offer to take a message: ask for the caller's name, a number to call back " + 'and the message, then call take_message.',
    );
  }
  return parts.join(' ');
}

/** A job that carried on a transfer after the first one's connection dropped: the caller was greeted already. */
export function takenOverInstructions(instructions: string | undefined): string {
  return `${instructions ?? ''}\nEarlier in this call you put the caller on hold for a warm transfer; the connection dropped and another assistant carried the transfer on. Do not greet the caller again.`.trim();
}
