/**
 * A scripted OpenAI-compatible server on loopback. The worker under test only knows it as OPENAI_BASE_URL,
 * so the real `openai` client and the LiveKit OpenAI plugin run unchanged against it.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMatcher, ChatReply, ChatRequest, TranscriptionRequest } from './matchers.ts';
import { chatChunks, chatCompletion, tonePcm, wav, wireToolCalls } from './responses.ts';

export type ChatReplySource = ChatReply | ((req: ChatRequest) => ChatReply | Promise<ChatReply>);
export type TranscriptionReply = string | ((req: TranscriptionRequest) => string);

export interface RecordedRequest {
  method: string;
  path: string;
  /** Parsed JSON, or for multipart uploads the fields plus `audioBytes`. */
  body: unknown;
  /** Date.now() when the request arrived. */
  time: number;
  chat?: ChatRequest;
  transcription?: TranscriptionRequest;
}

interface ChatRule {
  match: ChatMatcher;
  reply: ChatReplySource;
  once: boolean;
}

export interface FakeOpenAIHandle {
  /** e.g. `http://127.0.0.1:40123/v1`: what OPENAI_BASE_URL / `baseURL` should be. */
  baseURL: string;
  /** Stops listening and drops open (keep-alive, streaming) connections. */
  close(): Promise<void>;
}

export const FAKE_MODELS = ['gpt-4.1-mini', 'whisper-1'];

export class FakeOpenAI {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  #rules: ChatRule[] = [];
  #transcriptions: TranscriptionReply[] = [];
  #defaultReply: ChatReplySource;
  #ids = 0;

  constructor(opts: { defaultChatReply?: ChatReplySource } = {}) {
    this.#defaultReply = opts.defaultChatReply ?? { text: 'Okay.' };
  }

  /** Chat requests only, in arrival order. */
  get chats(): ChatRequest[] {
    return this.requests.flatMap((r) => (r.chat ? [r.chat] : []));
  }

  /** Adds a rule; rules are tried in the order added, and a `once` rule is removed after its first match. */
  onChat(match: ChatMatcher, reply: ChatReplySource, opts: { once?: boolean } = {}): this {
    this.#rules.push({ match, reply, once: opts.once ?? false });
    return this;
  }

  /** The reply when no rule matches. */
  setDefaultChatReply(reply: ChatReplySource): this {
    this.#defaultReply = reply;
    return this;
  }

  /** Queues transcripts: each transcription request takes the next one; an empty queue answers ''. */
  onTranscription(...replies: TranscriptionReply[]): this {
    this.#transcriptions.push(...replies);
    return this;
  }

  async start(): Promise<FakeOpenAIHandle> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        // A throwing reply function is a test bug: answer 500 so the client fails loudly with the message.
        if (!res.headersSent) sendJson(res, 500, apiError(`fake-openai: ${String(err)}`));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    return {
      baseURL: `http://127.0.0.1:${port}/v1`,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const raw = await readBody(req);
    const record: RecordedRequest = { method, path, body: undefined, time: Date.now() };
    this.requests.push(record);

    if (method === 'GET' && path === '/v1/models') {
      const data = FAKE_MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake-openai' }));
      return sendJson(res, 200, { object: 'list', data });
    }
    if (method === 'POST' && path === '/v1/chat/completions') {
      const body = (record.body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
      record.chat = parseChat(body);
      return this.#chat(record.chat, res);
    }
    if (method === 'POST' && path === '/v1/audio/transcriptions') {
      const form = await new Request('http://localhost', { method, headers: headersOf(req), body: raw }).formData();
      const file = form.get('file');
      const audio = typeof file === 'string' || file === null ? Buffer.alloc(0) : Buffer.from(await file.arrayBuffer());
      const fields: Record<string, string> = {};
      for (const [key, value] of form) if (typeof value === 'string') fields[key] = value;
      record.body = { ...fields, audioBytes: audio.length };
      record.transcription = { model: fields['model'] ?? '', audio, fields };
      const next = this.#transcriptions.shift() ?? '';
      const text = typeof next === 'function' ? next(record.transcription) : next;
      if (fields['response_format'] === 'text') return send(res, 200, 'text/plain', text);
      return sendJson(res, 200, { text });
    }
    if (method === 'POST' && path === '/v1/audio/speech') {
      const body = (record.body = JSON.parse(raw.toString('utf8')) as { input?: string; response_format?: string });
      const pcm = tonePcm(body.input ?? '');
      if (body.response_format === 'pcm') return send(res, 200, 'audio/pcm', pcm);
      if (body.response_format === 'wav') return send(res, 200, 'audio/wav', wav(pcm));
      return sendJson(res, 400, apiError('fake-openai speaks only response_format "pcm" or "wav" (a 440 Hz tone)'));
    }
    sendJson(res, 404, apiError(`fake-openai does not serve ${method} ${path}`));
  }

  async #chat(chat: ChatRequest, res: ServerResponse): Promise<void> {
    const index = this.#rules.findIndex((rule) => rule.match(chat));
    const rule = this.#rules[index];
    if (rule?.once) this.#rules.splice(index, 1);
    const source = rule ? rule.reply : this.#defaultReply;
    const reply = typeof source === 'function' ? await source(chat) : source;
    const calls = wireToolCalls('toolCalls' in reply ? reply.toolCalls : [], () => `call_${++this.#ids}`);
    const id = `chatcmpl-${++this.#ids}`;
    if (!chat.stream) return sendJson(res, 200, chatCompletion(reply, calls, chat.model, id));

    const includeUsage = (chat.body['stream_options'] as { include_usage?: boolean } | undefined)?.include_usage;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const chunk of chatChunks(reply, calls, chat.model, id, includeUsage === true)) {
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }
}

function parseChat(body: Record<string, unknown>): ChatRequest {
  return {
    model: typeof body['model'] === 'string' ? body['model'] : '',
    messages: Array.isArray(body['messages']) ? body['messages'] : [],
    tools: Array.isArray(body['tools']) ? body['tools'] : [],
    stream: body['stream'] === true,
    body,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Node's fetch `Request` parses multipart for us; it only needs the content-type (with its boundary). */
function headersOf(req: IncomingMessage): Record<string, string> {
  return { 'content-type': req.headers['content-type'] ?? '' };
}

const apiError = (message: string) => ({ error: { message, type: 'invalid_request_error', code: null } });

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', JSON.stringify(body));
}

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
