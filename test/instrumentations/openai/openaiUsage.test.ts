import { describe, expect, it } from 'vitest';
import { openaiUsage } from '../../../instrumentations/openai/openaiUsage.js';

describe('openaiUsage', () => {
  it('reads chat usage with cached, audio and reasoning details', () => {
    const usage = {
      prompt_tokens: 1000,
      completion_tokens: 500,
      total_tokens: 1500,
      prompt_tokens_details: { cached_tokens: 200, audio_tokens: 700 },
      completion_tokens_details: { reasoning_tokens: 30, audio_tokens: 450 },
    };
    expect(openaiUsage(usage)).toEqual({ input: 1000, output: 500, cacheRead: 200, reasoning: 30, inputAudio: 700, outputAudio: 450 });
  });

  it('reads responses usage and leaves out zero audio and cache-write counts', () => {
    const usage = { input_tokens: 10, output_tokens: 4, total_tokens: 14, input_tokens_details: { cached_tokens: 0, audio_tokens: 0, cache_write_tokens: 0 } };
    expect(openaiUsage(usage)).toEqual({ input: 10, output: 4, cacheRead: 0 });
  });

  it('reads cache_write_tokens of compatible providers as cache writes', () => {
    expect(openaiUsage({ prompt_tokens: 3000, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 500, cache_write_tokens: 2000 } })).toEqual({
      input: 3000,
      output: 1,
      cacheRead: 500,
      cacheWrite: 2000,
    });
  });

  it('counts tokens only in total_tokens as reasoning output (Gemini thinking), once', () => {
    expect(openaiUsage({ prompt_tokens: 800, completion_tokens: 40, total_tokens: 1740 })).toEqual({ input: 800, output: 940, reasoning: 900 });
    // reasoning reported in the details but left out of completion_tokens: not counted twice
    const both = { prompt_tokens: 800, completion_tokens: 40, total_tokens: 1740, completion_tokens_details: { reasoning_tokens: 900 } };
    expect(openaiUsage(both)).toEqual({ input: 800, output: 940, reasoning: 900 });
  });

  it('clamps overlapping parts so the usage stays consistent', () => {
    const usage = { prompt_tokens: 100, completion_tokens: 10, prompt_tokens_details: { cached_tokens: 80, audio_tokens: 50 }, completion_tokens_details: { reasoning_tokens: 8, audio_tokens: 5 } };
    expect(openaiUsage(usage)).toEqual({ input: 100, output: 10, cacheRead: 80, inputAudio: 20, reasoning: 8, outputAudio: 2 });
  });

  it('is undefined without input counts', () => {
    expect(openaiUsage(null)).toBeUndefined();
    expect(openaiUsage({ completion_tokens: 3 })).toBeUndefined();
  });
});
