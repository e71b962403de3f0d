/** Builds OpenAI wire-format bodies from a scripted reply. */
import type { ChatReply, ToolCallReply } from './matchers.ts';

export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

const words = (text: string) => text.split(/(?<=\s)/).filter(Boolean);
const created = () => Math.floor(Date.now() / 1000);

export function wireToolCalls(calls: ToolCallReply[], nextId: () => string): WireToolCall[] {
  return calls.map((call) => ({
    id: call.id ?? nextId(),
    type: 'function',
    function: {
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
    },
  }));
}

const replyText = (reply: ChatReply) => reply.text ?? '';

/** Streaming chunks: text word by word, then each tool call as name-first and arguments-second (as OpenAI does). */
export function chatChunks(reply: ChatReply, calls: WireToolCall[], model: string, id: string, includeUsage: boolean): object[] {
  const base = { id, object: 'chat.completion.chunk', created: created(), model };
  const choice = (delta: object, finish_reason: string | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason }],
  });
  const chunks: object[] = [choice({ role: 'assistant', content: '' })];
  for (const word of words(replyText(reply))) chunks.push(choice({ content: word }));
  calls.forEach((call, index) => {
    const { name, arguments: args } = call.function;
    chunks.push(choice({ tool_calls: [{ index, id: call.id, type: 'function', function: { name, arguments: '' } }] }));
    chunks.push(choice({ tool_calls: [{ index, function: { arguments: args } }] }));
  });
  chunks.push(choice({}, calls.length ? 'tool_calls' : 'stop'));
  if (includeUsage) chunks.push({ ...base, choices: [], usage: usage(reply) });
  return chunks;
}

/** A non-streaming completion (`choices[0].message`). */
export function chatCompletion(reply: ChatReply, calls: WireToolCall[], model: string, id: string): object {
  const message = { role: 'assistant', content: replyText(reply) || null, ...(calls.length ? { tool_calls: calls } : {}) };
  const finish_reason = calls.length ? 'tool_calls' : 'stop';
  return { id, object: 'chat.completion', created: created(), model, choices: [{ index: 0, message, finish_reason }], usage: usage(reply) };
}

function usage(reply: ChatReply) {
  const completion_tokens = words(replyText(reply)).length;
  return { prompt_tokens: 10, completion_tokens, total_tokens: 10 + completion_tokens };
}

export const SPEECH_SAMPLE_RATE = 24_000; // what OpenAI's `pcm` format is

/** A 440 Hz tone about as long as the text would take to say: enough to exercise audio paths without a model. */
export function tonePcm(text: string): Buffer {
  const seconds = Math.min(10, Math.max(0.3, text.length * 0.06));
  const samples = Math.round(seconds * SPEECH_SAMPLE_RATE);
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / SPEECH_SAMPLE_RATE)), i * 2);
  }
  return pcm;
}

/** Wraps mono s16 PCM in a 44-byte WAV header. */
export function wav(pcm: Buffer, sampleRate = SPEECH_SAMPLE_RATE): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}
