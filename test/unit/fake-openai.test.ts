import { initializeLogger, llm, voice } from '@livekit/agents';
import * as lkOpenAI from '@livekit/agents-plugin-openai';
import OpenAI, { toFile } from 'openai';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  FakeOpenAI,
  hadToolResult,
  hasToolResult,
  lastUserMessageIncludes,
  messageText,
  systemPromptIncludes,
  toolsInclude,
} from '../support/fake-openai/index.ts';
import type { FakeOpenAIHandle } from '../support/fake-openai/index.ts';
import { wav } from '../support/fake-openai/responses.ts';

let server: FakeOpenAI;
let handle: FakeOpenAIHandle;
let client: OpenAI;

beforeAll(() => initializeLogger({ pretty: false, level: 'warn' }));
beforeEach(async () => {
  server = new FakeOpenAI();
  handle = await server.start();
  client = new OpenAI({ baseURL: handle.baseURL, apiKey: 'test', maxRetries: 0, timeout: 5_000 });
});
afterEach(() => handle.close());

const user = (content: string) => ({ role: 'user' as const, content });

async function streamed(messages: OpenAI.ChatCompletionMessageParam[], tools?: OpenAI.ChatCompletionTool[]) {
  const stream = await client.chat.completions.create({ model: 'gpt-4.1-mini', messages, stream: true, ...(tools ? { tools } : {}) });
  let text = '';
  let finish: string | null = null;
  const calls: { id: string; name: string; args: string }[] = [];
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta.content ?? '';
    for (const tc of choice.delta.tool_calls ?? []) {
      const call = (calls[tc.index] ??= { id: '', name: '', args: '' });
      call.id ||= tc.id ?? '';
      call.name ||= tc.function?.name ?? '';
      call.args += tc.function?.arguments ?? '';
    }
    finish = choice.finish_reason ?? finish;
  }
  return { text, finish, calls };
}

const transferTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'warm_transfer', parameters: { type: 'object', properties: { department: { type: 'string' } } } },
};

describe('fake OpenAI server with the openai client', () => {
  it('lists models', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4.1-mini');
  });

  it('streams scripted text and falls back to the default reply', async () => {
    server.onChat(lastUserMessageIncludes('hello'), { text: 'Hi there, how can I help?' }, { once: true });
    expect(await streamed([user('Hello!')])).toEqual({ text: 'Hi there, how can I help?', finish: 'stop', calls: [] });
    // The once rule is used up.
    expect((await streamed([user('Hello!')])).text).toBe('Okay.');
  });

  it('streams tool calls with their arguments', async () => {
    server.onChat(toolsInclude('warm_transfer'), {
      toolCalls: [
        { name: 'warm_transfer', arguments: { department: 'sales' } },
        { name: 'note', arguments: '{"text":' },
      ],
    });
    const { text, finish, calls } = await streamed([user('Transfer me')], [transferTool]);
    expect(text).toBe('');
    expect(finish).toBe('tool_calls');
    expect(calls.map((c) => [c.name, c.args])).toEqual([
      ['warm_transfer', '{"department":"sales"}'],
      ['note', '{"text":'],
    ]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(server.chats[0]?.tools.map((t) => t.function.name)).toEqual(['warm_transfer']);
  });

  it('answers non-streaming requests and records what the model saw', async () => {
    server.onChat(systemPromptIncludes('briefing'), (req) => ({
      text: `Summary: ${messageText(req.messages.at(-1) ?? { role: 'user' })}`,
    }));
    const completion = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'system', content: 'Write a BRIEFING for the agent.' }, user('My order 42 is late')],
    });
    expect(completion.choices[0]?.message.content).toBe('Summary: My order 42 is late');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const [recorded] = server.requests;
    expect(recorded).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(server.chats[0]?.stream).toBe(false);
    expect(server.chats[0]?.messages.map(messageText)).toContain('My order 42 is late');
  });

  it('matches the result of a tool call only while it is the latest message', async () => {
    server.onChat(hasToolResult('warm_transfer', 'connected'), { text: 'You are connected.' });
    const call = { id: 'call_9', type: 'function' as const, function: { name: 'warm_transfer', arguments: '{}' } };
    const turn: OpenAI.ChatCompletionMessageParam[] = [
      user('transfer please'),
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: 'call_9', content: '"connected"' },
    ];
    expect((await streamed(turn)).text).toBe('You are connected.');
    expect((await streamed([...turn, { role: 'assistant', content: 'ok' }, user('thanks')])).text).toBe('Okay.');
  });

  it('matches a tool result anywhere in the history with hadToolResult', async () => {
    server.onChat(hadToolResult('warm_transfer', 'busy'), { text: 'They were busy.' });
    const call = { id: 'call_7', type: 'function' as const, function: { name: 'warm_transfer', arguments: '{}' } };
    const turn: OpenAI.ChatCompletionMessageParam[] = [
      user('transfer please'),
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: 'call_7', content: '"busy"' },
    ];
    // The caller spoke after the result: the rule still holds.
    expect((await streamed([...turn, user('hello?')])).text).toBe('They were busy.');
    // A result that does not contain the text, or that belongs to another tool, does not match.
    expect((await streamed([turn[0]!, turn[1]!, { role: 'tool', tool_call_id: 'call_7', content: '"connected"' }])).text).toBe('Okay.');
    const other = { ...call, function: { name: 'take_message', arguments: '{}' } };
    expect((await streamed([turn[0]!, { role: 'assistant', content: null, tool_calls: [other] }, turn[2]!])).text).toBe('Okay.');
  });

  it('transcribes uploads from a queue', async () => {
    server.onTranscription('I would like to talk to sales', (req) => `bytes=${req.audio.length}`);
    const audio = wav(Buffer.alloc(3200));
    const file = () => toFile(audio, 'speech.wav', { type: 'audio/wav' });
    const first = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-1' });
    const second = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-1' });
    const third = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-1' });
    expect([first.text, second.text, third.text]).toEqual(['I would like to talk to sales', `bytes=${audio.length}`, '']);
    expect(server.requests[0]?.transcription?.model).toBe('whisper-1');
    expect(server.requests[0]?.body).toMatchObject({ model: 'whisper-1', audioBytes: audio.length });
  });

  it('speaks a tone as pcm, and refuses formats it cannot make', async () => {
    const speech = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello', response_format: 'pcm' });
    expect((await speech.arrayBuffer()).byteLength).toBe(0.3 * 24_000 * 2);
    await expect(client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello' })).rejects.toThrow(/only response_format "pcm" or "wav"/);
  });

  it('answers unknown paths with 404', async () => {
    await expect(client.embeddings.create({ model: 'x', input: 'y' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('fake OpenAI server with the LiveKit OpenAI plugin', () => {
  const pluginLLM = () => new lkOpenAI.LLM({ baseURL: handle.baseURL, apiKey: 'test', model: 'gpt-4.1-mini' });
  const transfer = (calls: unknown[]) =>
    llm.tool({
      description: 'Warm-transfer the caller to a department.',
      parameters: z.object({ department: z.string(), reason: z.string() }),
      execute: async (args) => {
        calls.push(args);
        return 'connected';
      },
    });

  it('streams a tool call through llm.chat', async () => {
    server.onChat(toolsInclude('warm_transfer'), {
      toolCalls: [{ name: 'warm_transfer', arguments: { department: 'sales', reason: 'order' } }],
    });
    const chatCtx = llm.ChatContext.empty();
    chatCtx.addMessage({ role: 'user', content: 'Put me through to sales' });
    const stream = pluginLLM().chat({ chatCtx, toolCtx: { warm_transfer: transfer([]) } });
    const calls: llm.FunctionCall[] = [];
    for await (const chunk of stream) calls.push(...(chunk.delta?.toolCalls ?? []));
    expect(calls.map((c) => [c.name, JSON.parse(c.args)])).toEqual([['warm_transfer', { department: 'sales', reason: 'order' }]]);
    expect(server.chats[0]?.messages.map(messageText)).toContain('Put me through to sales');
  });

  it('drives an AgentSession through a tool call', async () => {
    const calls: unknown[] = [];
    server.onChat(hasToolResult('warm_transfer'), { text: 'Connecting you now.' }).onChat(lastUserMessageIncludes('transfer'), {
      toolCalls: [{ name: 'warm_transfer', arguments: { department: 'billing', reason: 'refund' } }],
    });
    const session = new voice.AgentSession({ llm: pluginLLM() });
    try {
      await session.start({
        agent: new voice.Agent({ instructions: 'You answer calls.', tools: { warm_transfer: transfer(calls) } }),
      });
      const result = await session.run({ userInput: 'Please transfer me to billing' }).wait();
      result.expect.nextEvent().isFunctionCall({ name: 'warm_transfer', args: { department: 'billing', reason: 'refund' } });
      result.expect.nextEvent().isFunctionCallOutput({ isError: false });
      result.expect.nextEvent().isMessage({ role: 'assistant' });
      result.expect.noMoreEvents();
      expect(calls).toEqual([{ department: 'billing', reason: 'refund' }]);
      expect(server.chats.at(-1)?.messages.at(-1)).toMatchObject({ role: 'tool', content: '"connected"' });
    } finally {
      await session.close();
    }
  });
});
