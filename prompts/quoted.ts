// Words that came from a caller (what they said, and what a model wrote from it: the reason, the summary) reach a
// model only as quoted data: JSON inside an <untrusted_text> block that the words cannot close, because `<` and `>`
// are escaped in JSON, with line breaks, invisible characters, chat-template tokens and role headers ("SYSTEM:")
// defused first. The prompt around the block says whose words these are and that nothing in them is an instruction.

/** Line breaks and other control characters, zero-width and direction marks: a caller's text stays one plain line. */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]+/gu;
/** Chat-template tokens some models' templates treat as structure. */
const TEMPLATE_TOKEN = /<\|[^|>]{0,40}\|>|\[\/?INST\]|<<\/?SYS>>/gi;
/** "SYSTEM:", "assistant :", "Colleague:" and the like: a role header, as if a new message began. */
const ROLE_HEADER = /\b(system|developer|assistant|user|tool|function|colleague|operator|instructions?)\s*:/gi;

/** A caller's text made inert: one line, no template tokens, role headers shown as "(SYSTEM)". */
export function neutralise(text: string): string {
  return text.replace(INVISIBLE, ' ').replace(TEMPLATE_TOKEN, ' ').replace(ROLE_HEADER, '($1)').replace(/\s+/g, ' ').trim();
}

/** JSON with the characters that could open or close markup escaped, so no string in it can end the block. */
function inertJson(value: unknown): string {
  return JSON.stringify(value, null, 1).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export const UNTRUSTED_OPEN = (source: string) => `<untrusted_text source="${source}">`;
export const UNTRUSTED_CLOSE = '</untrusted_text>';

/** Every string in `value` neutralised (keys are ours, not the caller's). */
function neutraliseAll(value: unknown): unknown {
  if (typeof value === 'string') return neutralise(value);
  if (Array.isArray(value)) return value.map(neutraliseAll);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, neutraliseAll(inner)]));
  }
  return value;
}

/** `value`, its strings neutralised, as JSON inside an <untrusted_text> block that nothing in it can close. */
export function untrustedBlock(source: 'caller', value: unknown): string {
  return `${UNTRUSTED_OPEN(source)}\n${inertJson(neutraliseAll(value))}\n${UNTRUSTED_CLOSE}`;
}
