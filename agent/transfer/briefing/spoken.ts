// What the person's words can decide in the briefing: take the call, refuse it, or (a greeting that is no person)
// voicemail.
export type SpokenDecision = 'accept' | 'reject' | 'voicemail';
