// A yes that lets a call through is enforced by the tool, not left to the model: the words of the person the
// session talks to (its user turns: the caller's in the caller's session, the colleague's in the briefing) must
// hold a yes. A model talked into claiming consent (by a caller, or by words quoted to it), or a person who said
// "no" or only asked a question, gets nothing done.
import type { llm } from '@livekit/agents';

/** How many of the person's most recent turns may hold their answer. */
export const CONFIRMATION_TURNS = 2;

const YES = new RegExp(
  String.raw`\b(?:yes|yeah|yep|yup|sure|ok(?:ay)?|accept|alright|all\s+right|please(?:\s+do)?|go\s+ahead|do\s+it|sounds\s+good|` +
    String.raw`that['’]?s\s+fine|fine|correct|right|absolutely|definitely|of\s+course|i\s+would|i['’]?d\s+like\s+that|` +
    String.raw`transfer\s+me|(?:put|send)\s+(?:me|them|him|her)\s+(?:through|on|over)|connect\s+(?:me|them|him|her|us)|` +
    String.raw`i(?:['’]ll|\s+will|\s+can)\s+take\s+(?:it|them|him|her|the\s+call))\b`,
  'i',
);
const NO = /\b(?:no(?!\s+problem)|nope|nah|not|don['’]?t|do\s+not|never|wait|stop|hold\s+on|rather\s+not|can['’]?t|cannot|won['’]?t)\b/i;
/** "Yes?" when picking up, "Okay, who is it?": a question is not an answer. */
const QUESTION = /\?\s*$/;

const saysYes = (turn: string) => YES.test(turn) && !NO.test(turn) && !QUESTION.test(turn);

/** True when one of the last turns says yes and the latest of them neither says no nor asks. */
export function agreesInLastTurns(turns: readonly string[]): boolean {
  const recent = turns.slice(-CONFIRMATION_TURNS);
  const latest = recent.at(-1);
  if (latest === undefined || NO.test(latest) || QUESTION.test(latest)) return false;
  return recent.some(saysYes);
}

/** The person's turns (the session's user messages) in a session's history, oldest first. */
export function personTurns(history: llm.ChatContext): string[] {
  const turns: string[] = [];
  for (const item of history.items) {
    if (item.type !== 'message' || item.role !== 'user') continue;
    const text = item.textContent?.trim();
    if (text) turns.push(text);
  }
  return turns;
}

/** Whether the person a session talks to said yes in their own latest words. */
export function saidYes(history: llm.ChatContext): boolean {
  return agreesInLastTurns(personTurns(history));
}

/** The caller's confirmation of a confirm-first rule: in the caller's session the person is the caller. */
export const callerAgreed = saidYes;
