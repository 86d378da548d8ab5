// Kept for the tests that import the fake from this path; the server lives in src/demo/fakes.
export { startFakeOpenAI } from '../../src/demo/fakes/startFakeOpenAI.js';
export type {
  FakeOpenAI,
  FakeOpenAIError,
  FakeOpenAIOptions,
  FakeOpenAIReply,
  FakeOpenAIReplyShape,
} from '../../src/demo/fakes/startFakeOpenAI.js';
