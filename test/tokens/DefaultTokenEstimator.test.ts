import { encodeChat } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { DefaultTokenEstimator, encodingForModel } from '../../src/tokens/DefaultTokenEstimator.js';
import { worstCaseOutputTokens } from '../../src/tokens/worstCaseOutputTokens.js';

const estimator = new DefaultTokenEstimator();

describe('DefaultTokenEstimator', () => {
  it('picks the tokenizer encoding by model', () => {
    expect(encodingForModel('gpt-4o-mini')).toBe('o200k_base');
    expect(encodingForModel('openai/o3-mini')).toBe('o200k_base');
    expect(encodingForModel('gpt-4-turbo')).toBe('cl100k_base');
    expect(encodingForModel('text-embedding-3-small')).toBe('cl100k_base');
    expect(encodingForModel('claude-sonnet-4')).toBeUndefined();
  });

  it('answers the same for a model id asked again, whatever its case or prefix, and for ids past the remembered ones', () => {
    const ids = ['GPT-4o', ' openai/gpt-4o-mini ', 'gpt-3.5-turbo', 'claude-sonnet-4', 'llama3.1:8b'];
    const first = ids.map(encodingForModel);
    expect(first).toEqual(['o200k_base', 'o200k_base', 'cl100k_base', undefined, undefined]);
    for (let i = 0; i < 1500; i++) encodingForModel(`my-model-${i}`);
    expect(ids.map(encodingForModel)).toEqual(first);
    expect(ids.map(encodingForModel)).toEqual(first);
  });

  it('counts a prompt string with the real tokenizer', () => {
    expect(estimator.estimateInput('gpt-4o', 'Hello, world!')).toBe(4);
    expect(estimator.estimateInput('text-embedding-3-small', 'The quick brown fox jumps over the lazy dog.')).toBe(10);
    // special-token text is counted as ordinary text, never rejected
    expect(estimator.estimateInput('gpt-4o', 'a <|endoftext|> b')).toBe(9);
  });

  it('counts OpenAI chat messages like the chat format does', () => {
    const chat = [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'What is the capital of France?' },
    ];
    const expected = encodeChat(chat as Parameters<typeof encodeChat>[0], 'gpt-4o').length;
    expect(estimator.estimateInput('gpt-4o', chat)).toBe(expected);
    expect(estimator.estimateInput('gpt-4o', { model: 'gpt-4o', messages: chat })).toBe(expected);
  });

  it('counts parts content, with images at a fixed size', () => {
    const messages = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Describe this.' },
          { type: 'image_url', image_url: { url: 'https://example.test/y.png', detail: 'low' } },
        ],
      },
    ];
    // 3 (reply priming) + 3 (message) + 1 ("user") + 3 ("Describe this.") + 85 (low-detail image)
    expect(estimator.estimateInput('gpt-4o', messages)).toBe(95);
  });

  it('counts an OpenAI Responses input with instructions', () => {
    const body = { input: [{ role: 'user', content: [{ type: 'input_text', text: 'Hello, world!' }] }], instructions: 'Be brief.' };
    // 3 + 3 + 1 + 4 + 3 ("Be brief.")
    expect(estimator.estimateInput('gpt-4o', body)).toBe(14);
    expect(estimator.estimateInput('gpt-4o', { input: 'Hello, world!' })).toBe(4);
  });

  it('counts embedding inputs', () => {
    expect(estimator.estimateInput('text-embedding-3-small', ['hello world', 'goodbye'])).toBe(4);
    expect(estimator.estimateInput('text-embedding-3-small', [1, 2, 3])).toBe(3);
    expect(estimator.estimateInput('text-embedding-3-small', [[1, 2, 3], [4, 5]])).toBe(5);
  });

  it('gives the tokenizer count for texts seen before, also past the memo size', async () => {
    const { encode } = await import('gpt-tokenizer/encoding/o200k_base');
    const texts = Array.from({ length: 5000 }, (_, i) => `message ${i}: ${'lorem ipsum '.repeat(i % 7)}`);
    for (let round = 0; round < 2; round++) {
      for (const text of texts) expect(estimator.estimateInput('gpt-4o', text)).toBe(encode(text).length);
    }
  });

  it('falls back to chars / 4 plus per-message overhead for other models', () => {
    expect(estimator.estimateInput('llama-3.1-8b', 'x'.repeat(10))).toBe(3);
    const anthropic = {
      system: 'You are terse.',
      messages: [
        { role: 'user', content: 'Hello, world!' },
        { role: 'assistant', content: [{ type: 'text', text: 'Hi.' }] },
      ],
    };
    // system 4 + priming 3 + (4 + 4) + (4 + 1)
    expect(estimator.estimateInput('claude-sonnet-4', anthropic)).toBe(20);
  });

  it('never throws on odd shapes', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(estimator.estimateInput('gpt-4o', undefined)).toBe(0);
    expect(estimator.estimateInput('gpt-4o', 42)).toBe(1);
    expect(estimator.estimateInput('mystery', { foo: 'bar' })).toBe(4);
    expect(estimator.estimateInput('gpt-4o', cyclic)).toBe(0);
    expect(estimator.estimateInput('gpt-4o', [cyclic])).toBe(6);
    expect(estimator.estimateInput(undefined as unknown as string, 'abcd')).toBe(1);
  });
});

describe('worstCaseOutputTokens', () => {
  it('uses max tokens when given, else the default', () => {
    expect(worstCaseOutputTokens(256, 4096)).toBe(256);
    expect(worstCaseOutputTokens(0, 4096)).toBe(0);
    expect(worstCaseOutputTokens(undefined, 4096)).toBe(4096);
    expect(worstCaseOutputTokens(-1, 4096)).toBe(4096);
    expect(worstCaseOutputTokens(1.5, 4096)).toBe(4096);
    expect(worstCaseOutputTokens(Number.NaN, 4096)).toBe(4096);
  });
});
