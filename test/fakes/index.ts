export { startFakeOpenAI } from './startFakeOpenAI.js';
export type {
  FakeOpenAI,
  FakeOpenAIError,
  FakeOpenAIOptions,
  FakeOpenAIReply,
  FakeOpenAIReplyShape,
} from './startFakeOpenAI.js';
export { startFakeAnthropic } from './startFakeAnthropic.js';
export type {
  FakeAnthropic,
  FakeAnthropicError,
  FakeAnthropicOptions,
  FakeAnthropicReply,
  FakeAnthropicReplyShape,
} from './startFakeAnthropic.js';
export type { FakeHttpServer, RecordedRequest } from './fakeHttpServer.js';
