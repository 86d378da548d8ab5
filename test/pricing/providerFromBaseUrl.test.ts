import { describe, expect, it } from 'vitest';
import { providerFromBaseUrl } from '../../src/pricing/providerFromBaseUrl.js';
import { pricingProvider } from '../../src/pricing/providerNames.js';

describe('providerFromBaseUrl', () => {
  it.each([
    ['https://api.openai.com/v1', 'openai'],
    ['https://api.groq.com/openai/v1', 'groq'],
    ['https://api.deepseek.com', 'deepseek'],
    ['https://api.deepseek.com/v1', 'deepseek'],
    ['https://api.cerebras.ai/v1', 'cerebras'],
    ['https://api.x.ai/v1', 'x_ai'],
    ['https://api.together.xyz/v1', 'together'],
    ['https://api.mistral.ai/v1', 'mistral_ai'],
    ['https://generativelanguage.googleapis.com/v1beta/openai/', 'gcp.gemini'],
    ['https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/endpoints/openapi', 'gcp.vertex_ai'],
    ['https://openrouter.ai/api/v1', 'openrouter'],
    ['https://api.fireworks.ai/inference/v1', 'fireworks'],
    ['https://my-resource.openai.azure.com/openai', 'azure.ai.openai'],
    ['https://API.GROQ.COM/openai/v1', 'groq'],
    ['https://api.groq.com:443/openai/v1', 'groq'],
  ])('%s → %s (the price data\'s api_pattern)', (url, provider) => {
    expect(providerFromBaseUrl(url)).toBe(provider);
  });

  it.each([
    ['http://127.0.0.1:11434/v1'],
    ['http://localhost:1234/v1'],
    ['https://llm-gateway.internal.example.com/v1'],
    ['not a url'],
    [''],
    [undefined],
  ])('%s → undefined (a host the price data does not know)', (url) => {
    expect(providerFromBaseUrl(url)).toBeUndefined();
  });

  it('every name maps back to a price-data id with pricingProvider', () => {
    expect(pricingProvider(providerFromBaseUrl('https://api.x.ai/v1')!)).toBe('x-ai');
    expect(pricingProvider(providerFromBaseUrl('https://api.mistral.ai/v1')!)).toBe('mistral');
    expect(pricingProvider(providerFromBaseUrl('https://generativelanguage.googleapis.com/v1beta/openai/')!)).toBe('google');
    expect(pricingProvider(providerFromBaseUrl('https://my-resource.openai.azure.com/openai')!)).toBe('openai');
    expect(pricingProvider(providerFromBaseUrl('https://api.groq.com/openai/v1')!)).toBe('groq');
  });
});
