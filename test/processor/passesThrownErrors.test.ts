import { describe, expect, it } from 'vitest';
import { passesThrownErrors } from '../../src/processor/passesThrownErrors.js';

const URL_ = 'http://127.0.0.1/v1/chat/completions';
const AI_SDK = 'ai-sdk/openai/3.0.141 ai-sdk/provider-utils/4.0.66 runtime/node.js/v20.20.2';

describe('passesThrownErrors', () => {
  it('is true for the Vercel AI SDK user-agent, in every header shape and case', () => {
    expect(passesThrownErrors(URL_, { headers: { 'user-agent': AI_SDK } })).toBe(true);
    expect(passesThrownErrors(URL_, { headers: { 'User-Agent': AI_SDK } })).toBe(true);
    expect(passesThrownErrors(URL_, { headers: new Headers({ 'user-agent': AI_SDK }) })).toBe(true);
    expect(passesThrownErrors(URL_, { headers: [['content-type', 'application/json'], ['user-agent', AI_SDK]] })).toBe(true);
    // ai 7 spells its HTTP layer with a hyphen.
    expect(passesThrownErrors(URL_, { headers: { 'user-agent': 'ai-sdk/openai/4.0.118 ai-sdk-provider-utils/5.0.81 runtime/node.js/v24' } })).toBe(true);
    expect(passesThrownErrors(new Request(URL_, { headers: { 'user-agent': AI_SDK } }), undefined)).toBe(true);
  });

  it('is false for the OpenAI SDK, other clients and requests without a user-agent', () => {
    expect(passesThrownErrors(URL_, { headers: { 'user-agent': 'OpenAI/JS 6.9.0' } })).toBe(false);
    expect(passesThrownErrors(URL_, { headers: { 'user-agent': 'my-ai-sdk/provider-utils-fork' } })).toBe(false);
    expect(passesThrownErrors(URL_, { headers: {} })).toBe(false);
    expect(passesThrownErrors(URL_, undefined)).toBe(false);
  });
});
