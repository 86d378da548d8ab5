import { describe, expect, it } from 'vitest';
import { aiSdkProvider, aiSdkProviderName, readAiSdkBilledUnits } from '../../src/processor/aiSdkAttributes.js';

describe('aiSdkProviderName', () => {
  it('maps the Vercel AI SDK provider ids onto GenAI provider names, as @ai-sdk/otel does', () => {
    expect(aiSdkProviderName('anthropic.messages')).toBe('anthropic');
    expect(aiSdkProviderName('openai.chat')).toBe('openai');
    expect(aiSdkProviderName('openai.responses')).toBe('openai');
    expect(aiSdkProviderName('google.generative-ai')).toBe('gcp.gemini');
    expect(aiSdkProviderName('google.vertex.chat')).toBe('gcp.vertex_ai');
    expect(aiSdkProviderName('amazon-bedrock')).toBe('aws.bedrock');
    expect(aiSdkProviderName('mistral.chat')).toBe('mistral_ai');
    expect(aiSdkProviderName('xai.chat')).toBe('x_ai');
    expect(aiSdkProviderName('Anthropic.Messages')).toBe('anthropic');
  });

  it('keeps an id it does not know, and matches whole segments only', () => {
    expect(aiSdkProviderName('my-gateway.chat')).toBe('my-gateway.chat');
    expect(aiSdkProviderName('openaiish.chat')).toBe('openaiish.chat');
  });
});

describe('aiSdkProvider', () => {
  it('reads ai.model.provider, and only on AI SDK spans', () => {
    expect(aiSdkProvider({ 'ai.model.provider': 'anthropic.messages', 'gen_ai.system': 'anthropic.messages' })).toBe('anthropic');
    expect(aiSdkProvider({ 'gen_ai.system': 'anthropic.messages' })).toBeUndefined();
    expect(aiSdkProvider({ 'ai.model.provider': '' })).toBeUndefined();
  });
});

describe('readAiSdkBilledUnits', () => {
  const metadata = (usage: unknown): string => JSON.stringify({ anthropic: { usage, cacheCreationInputTokens: 40 } });

  it("reads 1-hour cache writes and server-tool requests from Anthropic's usage in the provider metadata", () => {
    const attrs = {
      'ai.response.providerMetadata': metadata({
        input_tokens: 4,
        cache_creation_input_tokens: 40,
        cache_creation: { ephemeral_5m_input_tokens: 30, ephemeral_1h_input_tokens: 10 },
        server_tool_use: { web_search_requests: 2, web_fetch_requests: 1, code_execution_requests: 3 },
      }),
    };
    expect(readAiSdkBilledUnits(attrs)).toEqual({ cacheWrite1h: 10, webSearches: 2, codeExecutions: 3 });
  });

  it('is empty without metadata, for other providers, for zero counts and for text that is not JSON', () => {
    expect(readAiSdkBilledUnits({})).toEqual({});
    expect(readAiSdkBilledUnits({ 'ai.response.providerMetadata': JSON.stringify({ openai: { responseId: 'r' } }) })).toEqual({});
    expect(readAiSdkBilledUnits({ 'ai.response.providerMetadata': metadata({ cache_creation: { ephemeral_1h_input_tokens: 0 } }) })).toEqual({});
    expect(readAiSdkBilledUnits({ 'ai.response.providerMetadata': '{"anthropic": ' })).toEqual({});
    expect(readAiSdkBilledUnits({ 'ai.response.providerMetadata': metadata({ server_tool_use: { web_search_requests: -1 } }) })).toEqual({});
  });
});
