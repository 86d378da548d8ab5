import { describe, expect, it } from 'vitest';
import { inferProvider, pricingProvider } from '../../src/pricing/providerNames.js';

describe('providers', () => {
  it('infers the provider from the model id', () => {
    expect(inferProvider('gpt-4o-mini')).toBe('openai');
    expect(inferProvider('o3-mini')).toBe('openai');
    expect(inferProvider('claude-sonnet-4-20250514')).toBe('anthropic');
    expect(inferProvider('gemini-2.0-flash')).toBe('google');
    expect(inferProvider('codestral')).toBe('mistral');
    expect(inferProvider('deepseek-r1')).toBe('deepseek');
    expect(inferProvider('ollama/llama3')).toBe('ollama');
    expect(inferProvider('mystery')).toBe('unknown');
    expect(inferProvider(undefined)).toBe('unknown');
  });
  it('maps convention provider names to price-data ids', () => {
    expect(pricingProvider('gcp.gemini')).toBe('google');
    expect(pricingProvider('azure.ai.openai')).toBe('openai');
    expect(pricingProvider('anthropic')).toBe('anthropic');
  });
});
