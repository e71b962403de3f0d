// Instructions for the agent that talks to the caller.
export interface CallerPromptInput {
  /** Extra instructions from the deployment (AGENT_INSTRUCTIONS). */
  instructions: string | undefined;
  /** Whether the warm_transfer tool is available on this call. */
  canTransfer: boolean;
}

export function callerInstructions({ instructions, canTransfer }: CallerPromptInput): string {
  const parts = [
    'You are a friendly phone agent. Keep answers short and conversational: this is a voice call,',
    'so no lists, markdown or emojis.',
  ];
  if (instructions) parts.push(instructions);
  if (canTransfer) {
    parts.push(
      'When the caller needs a person, use the warm_transfer tool: it puts the caller on hold, briefs the person',
      'and connects them if they accept. Write a short, factual reason so the person can be briefed.',
      'If the transfer does not go through, the tool tells you what happened; then offer to help further',
      'or to take a message.',
    );
  }
  return parts.join(' ');
}
