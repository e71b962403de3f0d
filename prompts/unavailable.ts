// What a caller hears and what the model is told when the store behind the call does not answer in time:
// a call whose settings cannot be read, and a message that could not be stored.

/** Said to a caller whose agent's settings could not be read at call start, before the call ends. */
export function settingsUnavailableApology(): string {
  return "I'm sorry, I can't take your call right now because of a technical problem. Please call again in a few minutes. Goodbye.";
}

/** The take_message tool's answer to the model when the message was not stored: the caller must not hear it was. */
export function messageNotSaved(): string {
  return 'The message could NOT be saved because of a technical problem. Tell the caller it was not saved, apologise, and ask them to call again later. Do not say it will be passed on.';
}
