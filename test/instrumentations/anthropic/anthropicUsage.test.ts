import { describe, expect, it } from 'vitest';
import { anthropicUsage } from '../../../instrumentations/anthropic/anthropicUsage.js';

describe('anthropicUsage', () => {
  it('counts cache tokens inside the input and reads the 1-hour part of the cache writes', () => {
    const usage = {
      input_tokens: 10,
      cache_creation_input_tokens: 3913,
      cache_read_input_tokens: 7,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 3913 },
      output_tokens: 50,
    };
    expect(anthropicUsage(usage)).toEqual({ input: 3930, output: 50, cacheRead: 7, cacheWrite: 3913, cacheWrite1h: 3913 });
  });

  it('takes the cache writes from the split when the total is absent, and leaves out a zero 1-hour part', () => {
    expect(anthropicUsage({ input_tokens: 1, output_tokens: 2, cache_creation: { ephemeral_5m_input_tokens: 5, ephemeral_1h_input_tokens: 3 } })).toEqual({
      input: 9,
      output: 2,
      cacheWrite: 8,
      cacheWrite1h: 3,
    });
    expect(anthropicUsage({ input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 4, cache_creation: { ephemeral_5m_input_tokens: 4, ephemeral_1h_input_tokens: 0 } })).toEqual({
      input: 5,
      output: 2,
      cacheWrite: 4,
    });
  });

  it('reads web search requests (web fetches are free)', () => {
    expect(anthropicUsage({ input_tokens: 5, output_tokens: 1, server_tool_use: { web_search_requests: 2, web_fetch_requests: 3 } })).toEqual({
      input: 5,
      output: 1,
      webSearches: 2,
    });
  });

  it('sums every compaction iteration instead of the top-level counts', () => {
    const usage = {
      input_tokens: 100,
      output_tokens: 10,
      iterations: [
        { type: 'compaction', input_tokens: 150_000, output_tokens: 2_000 },
        { type: 'message', input_tokens: 100, output_tokens: 10, cache_read_input_tokens: 40, cache_creation: { ephemeral_1h_input_tokens: 5 }, cache_creation_input_tokens: 5 },
      ],
    };
    expect(anthropicUsage(usage)).toEqual({ input: 150_145, output: 2_010, cacheRead: 40, cacheWrite: 5, cacheWrite1h: 5 });
  });

  it('is undefined without input_tokens, and ignores iterations that are not usage', () => {
    expect(anthropicUsage(undefined)).toBeUndefined();
    expect(anthropicUsage({ output_tokens: 3 })).toBeUndefined();
    expect(anthropicUsage({ input_tokens: 2, output_tokens: 3, iterations: [null, 'x'] })).toEqual({ input: 2, output: 3 });
  });
});
