// A rule that says "first confirm with the caller" is enforced by the tool, not left to the model: the
// model must say the caller confirmed, and the caller's own words (the transcript of their last turns)
// must hold a yes. A model talked into claiming consent, or a caller who said "no", gets no transfer.
import type { llm } from '@livekit/agents';

/** How many of the caller's most recent turns may hold their answer. */
export const CONFIRMATION_TURNS = 2;

const YES =
  /\b(?:yes|yeah|yep|yup|sure|ok(?:ay)?|alright|all\s+right|please(?:\s+do)?|go\s+ahead|do\s+it|sounds\s+good|that'?s\s+fine|fine|correct|right|absolutely|definitely|of\s+course|i\s+would|i'?d\s+like\s+that|transfer\s+me|put\s+me\s+through|connect\s+me)\b/i;
const NO = /\b(?:no(?!\s+problem)|nope|nah|not|don'?t|do\s+not|never|wait|stop|hold\s+on|rather\s+not)\b/i;

/** True when one of the caller's last turns says yes and the latest of them does not say no. */
export function agreesInLastTurns(turns: readonly string[]): boolean {
  const recent = turns.slice(-CONFIRMATION_TURNS);
  const latest = recent.at(-1);
  if (latest === undefined || NO.test(latest)) return false;
  return recent.some((turn) => YES.test(turn) && !NO.test(turn));
}

/** The caller's turns in a session's history, oldest first. */
export function callerTurns(history: llm.ChatContext): string[] {
  const turns: string[] = [];
  for (const item of history.items) {
    if (item.type !== 'message' || item.role !== 'user') continue;
    const text = item.textContent?.trim();
    if (text) turns.push(text);
  }
  return turns;
}

export function callerAgreed(history: llm.ChatContext): boolean {
  return agreesInLastTurns(callerTurns(history));
}
