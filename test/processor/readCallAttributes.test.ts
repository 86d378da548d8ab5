import { describe, expect, it } from 'vitest';
import { isBillable, readCallAttributes } from '../../src/processor/readCallAttributes.js';

describe('readCallAttributes', () => {
  it('reads the current GenAI conventions', () => {
    const call = readCallAttributes({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.request.max_tokens': 256,
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.reasoning.output_tokens': 100,
      'tollgate.estimate.input_tokens': 1190,
    });
    expect(call).toEqual({
      operation: 'chat',
      provider: 'openai',
      requestModel: 'gpt-4o',
      responseModel: 'gpt-4o-2024-08-06',
      responseId: 'chatcmpl-1',
      maxTokens: 256,
      estimatedInputTokens: 1190,
      usage: { input: 1200, output: 300, cacheRead: 1000, cacheWrite: 0, reasoning: 100 },
      providerCostUsd: undefined,
    });
  });

  it('reads the legacy names other instrumentations still emit', () => {
    expect(readCallAttributes({ 'gen_ai.system': 'anthropic', 'gen_ai.request.model': 'claude-3-haiku', 'gen_ai.usage.prompt_tokens': 10, 'gen_ai.usage.completion_tokens': 5 }).usage).toEqual({
      input: 10,
      output: 5,
      cacheRead: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
    const llm = readCallAttributes({ 'gen_ai.request.model': 'gpt-4o', 'llm.usage.prompt_tokens': 7, 'llm.usage.completion_tokens': 3, 'llm.usage.cache_read_input_tokens': 2 });
    expect(llm.usage).toEqual({ input: 7, output: 3, cacheRead: 2, cacheWrite: 0, reasoning: 0 });
    expect(llm.provider).toBe('openai');
    const oi = readCallAttributes({ 'llm.model_name': 'claude-3-haiku', 'llm.provider': 'anthropic', 'llm.token_count.prompt': 4, 'llm.token_count.completion': 9 });
    expect(oi).toMatchObject({ requestModel: 'claude-3-haiku', provider: 'anthropic', usage: { input: 4, output: 9 } });
  });

  it('reads a Vercel AI SDK 6 span: its provider id as the provider, cache and reasoning tokens from its usage details', () => {
    const call = readCallAttributes({
      'ai.model.provider': 'anthropic.messages',
      'gen_ai.system': 'anthropic.messages',
      'gen_ai.request.model': 'claude-sonnet-4-6',
      'gen_ai.usage.input_tokens': 144,
      'gen_ai.usage.output_tokens': 6,
      'ai.usage.inputTokenDetails.noCacheTokens': 4,
      'ai.usage.inputTokenDetails.cacheReadTokens': 100,
      'ai.usage.inputTokenDetails.cacheWriteTokens': 40,
      'ai.usage.outputTokenDetails.reasoningTokens': 2,
      'ai.response.providerMetadata': JSON.stringify({ anthropic: { usage: { cache_creation: { ephemeral_5m_input_tokens: 30, ephemeral_1h_input_tokens: 10 } } } }),
    });
    expect(call.provider).toBe('anthropic');
    expect(call.usage).toEqual({ input: 144, output: 6, cacheRead: 100, cacheWrite: 40, reasoning: 2, cacheWrite1h: 10 });
    // gen_ai.provider.name, when an integration sets it, wins.
    expect(readCallAttributes({ 'ai.model.provider': 'openai.chat', 'gen_ai.provider.name': 'azure.ai.openai', 'gen_ai.request.model': 'gpt-4o' }).provider).toBe('azure.ai.openai');
  });

  it('never lets parts exceed their whole, and ignores bad numbers', () => {
    const call = readCallAttributes({
      'gen_ai.request.model': 'x',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': -4,
      'gen_ai.usage.cache_read.input_tokens': 50,
      'gen_ai.usage.cache_creation.input_tokens': 5,
    });
    expect(call.usage).toEqual({ input: 10, output: 0, cacheRead: 10, cacheWrite: 0, reasoning: 0 });
  });

  it('has no usage when the span carries no token counts', () => {
    expect(readCallAttributes({ 'gen_ai.request.model': 'gpt-4o' }).usage).toBeUndefined();
  });

  it('reads a provider-reported cost', () => {
    expect(readCallAttributes({ 'tollgate.provider_cost_usd': 0.25 }).providerCostUsd).toBe(0.25);
    expect(readCallAttributes({ 'tollgate.provider_cost_usd': -1 }).providerCostUsd).toBeUndefined();
  });
});

describe('isBillable', () => {
  it.each([
    [{ 'gen_ai.operation.name': 'chat' }, true],
    [{ 'gen_ai.operation.name': 'embeddings' }, true],
    [{ 'gen_ai.operation.name': 'text_completion' }, true],
    [{ 'gen_ai.operation.name': 'generate_content' }, true],
    [{ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.request.model': 'gpt-4o' }, false],
    [{ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.request.model': 'gpt-4o' }, false],
    [{ 'gen_ai.request.model': 'gpt-4o' }, true],
    [{ 'http.method': 'GET' }, false],
  ])('%j → %s', (attrs, expected) => {
    expect(isBillable(attrs)).toBe(expected);
  });
});
