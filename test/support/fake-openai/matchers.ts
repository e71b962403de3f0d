/** Request/reply shapes of the fake OpenAI server, and predicates that script it. */

/** A chat message as the OpenAI wire format carries it (loosely typed: we only read it). */
export interface ChatMessage {
  role: string;
  content?: string | { type: string; text?: string }[] | null;
  tool_calls?: { id: string; type?: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export interface ToolSpec {
  type: string;
  function: { name: string; description?: string; parameters?: unknown };
}

/** A parsed `POST /v1/chat/completions`. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  stream: boolean;
  /** The whole JSON body, for fields the helpers do not surface (tool_choice, temperature...). */
  body: Record<string, unknown>;
}

export interface ToolCallReply {
  name: string;
  /** An object is sent as its JSON; a string is sent verbatim (lets tests send malformed arguments). */
  arguments?: Record<string, unknown> | string;
  /** Defaults to `call_<n>`, unique per server. */
  id?: string;
}

/** What the model answers: text, tool calls, or both (text is streamed first). */
export type ChatReply = { text: string } | { toolCalls: ToolCallReply[]; text?: string };

export type ChatMatcher = (req: ChatRequest) => boolean;

/** A parsed `POST /v1/audio/transcriptions`. */
export interface TranscriptionRequest {
  model: string;
  /** The uploaded file's bytes (the plugin's STT sends a WAV). */
  audio: Buffer;
  /** The other form fields (language, prompt, response_format...). */
  fields: Record<string, string>;
}

/** Plain text of a message; array contents are joined text parts. */
export function messageText(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

const includes = (haystack: string, needle: string) => haystack.toLowerCase().includes(needle.toLowerCase());

/** Matches every request. */
export const anyRequest: ChatMatcher = () => true;

/** The latest user message contains `text` (case-insensitive). It still matches on the follow-up request after a tool call, so put tool-result rules first or use `once`. */
export function lastUserMessageIncludes(text: string): ChatMatcher {
  return (req) => {
    const last = req.messages.findLast((m) => m.role === 'user');
    return last !== undefined && includes(messageText(last), text);
  };
}

/** A system (or developer) message contains `text` (case-insensitive). */
export function systemPromptIncludes(text: string): ChatMatcher {
  return (req) => req.messages.some((m) => (m.role === 'system' || m.role === 'developer') && includes(messageText(m), text));
}

/** The tools offered to the model include `name`. */
export function toolsInclude(name: string): ChatMatcher {
  return (req) => req.tools.some((t) => t.function.name === name);
}

/**
 * The request ends with the result of a call to tool `name` (optionally containing `text`), i.e. the model
 * is being asked to react to that result. Only the trailing tool messages count, so the rule does not fire
 * again on later turns.
 */
export function hasToolResult(name: string, text?: string): ChatMatcher {
  return (req) => {
    const callIds = new Set(
      req.messages
        .flatMap((m) => m.tool_calls ?? [])
        .filter((c) => c.function.name === name)
        .map((c) => c.id),
    );
    for (let i = req.messages.length - 1; i >= 0; i--) {
      const m = req.messages[i];
      if (m?.role !== 'tool') return false;
      if (callIds.has(m.tool_call_id ?? '') && (text === undefined || includes(messageText(m), text))) return true;
    }
    return false;
  };
}

/** All of the matchers hold. */
export function allOf(...matchers: ChatMatcher[]): ChatMatcher {
  return (req) => matchers.every((match) => match(req));
}

/** None of the matchers holds. */
export function not(matcher: ChatMatcher): ChatMatcher {
  return (req) => !matcher(req);
}

/**
 * Some earlier message holds the result of a call to tool `name` (optionally containing `text`), wherever it
 * is in the history. Unlike `hasToolResult` it still holds when the caller spoke after that result, which is
 * what a live call does when a reply gets interrupted.
 */
export function hadToolResult(name: string, text?: string): ChatMatcher {
  return (req) => {
    const callIds = new Set(
      req.messages
        .flatMap((m) => m.tool_calls ?? [])
        .filter((c) => c.function.name === name)
        .map((c) => c.id),
    );
    return req.messages.some((m) => m.role === 'tool' && callIds.has(m.tool_call_id ?? '') && (text === undefined || includes(messageText(m), text)));
  };
}
