// Kept for the tests that import the fake from this path; the server lives in src/demo/fakes.
export { startFakeAnthropic } from '../../src/demo/fakes/startFakeAnthropic.js';
export type {
  FakeAnthropic,
  FakeAnthropicError,
  FakeAnthropicOptions,
  FakeAnthropicReply,
  FakeAnthropicReplyShape,
} from '../../src/demo/fakes/startFakeAnthropic.js';
