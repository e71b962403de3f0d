// What the person says in the spoken-decision benches (spoken-decision.ts, voices.ts): the accept and
// reject phrases, in one place, so both benches say the same ones. Importing this runs nothing.
export const ACCEPTS = [
  'Yes.',
  'Yes, send them through.',
  'Go ahead.',
  'Put them through.',
  "Sure, I'll take it.",
  'Okay, connect them.',
  'Accept.',
  'Yeah, put them on.',
  "I'll take the call.",
  'Sure.',
];
export const REJECTS = [
  'No.',
  "No, I can't take this now.",
  'Not now.',
  'Reject.',
  "I'm busy.",
  'Decline.',
  'No thanks.',
  "I can't talk right now.",
  'Call them back later.',
  "Sorry, I can't.",
];
