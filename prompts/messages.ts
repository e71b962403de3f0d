// What the model reads about the take_message tool, and what it is told once a message is stored. (A message
// that could not be stored: unavailable.ts.)

export const TAKE_MESSAGE_DESCRIPTION =
  'Write down a message for the team when the caller cannot be connected to a person and wants to leave one. ' +
  'Ask for their name, a number to call back and the message first; do not invent any of them.';

export const TAKE_MESSAGE_PARAMETERS = {
  name: "The caller's name",
  callback_number: 'The number to call back',
  message: "The message, in the caller's words",
} as const;

export function messageSaved(): string {
  return 'The message is saved. Tell the caller it will be passed on.';
}
