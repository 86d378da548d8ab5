// The fake provider servers are the demo's simulated providers and live in src/demo/fakes;
// tests import them from here.
export { startFakeOpenAI } from '../../src/demo/fakes/startFakeOpenAI.js';
export type {
  FakeOpenAI,
  FakeOpenAIError,
  FakeOpenAIOptions,
  FakeOpenAIReply,
  FakeOpenAIReplyShape,
  FakeOpenAIUnits,
} from '../../src/demo/fakes/startFakeOpenAI.js';
export { startFakeAnthropic } from '../../src/demo/fakes/startFakeAnthropic.js';
export type {
  FakeAnthropic,
  FakeAnthropicError,
  FakeAnthropicOptions,
  FakeAnthropicReply,
  FakeAnthropicReplyShape,
  FakeAnthropicIteration,
} from '../../src/demo/fakes/startFakeAnthropic.js';
export type { FakeHttpServer, RecordedRequest } from '../../src/demo/fakes/fakeHttpServer.js';
