export * from './matchers.ts';
export { FAKE_MODELS, FakeOpenAI } from './server.ts';
export type { ChatReplySource, FakeOpenAIHandle, RecordedRequest, TranscriptionReply } from './server.ts';
