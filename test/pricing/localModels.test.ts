import { describe, expect, it } from 'vitest';
import { isLocalHost, isTaggedLocalModel, looksLikeCloudModel } from '../../src/pricing/localModels.js';
import { PricingCatalog } from '../../src/pricing/PricingCatalog.js';

describe('isLocalHost', () => {
  it.each([
    'http://localhost:11434/v1',
    'http://LOCALHOST:1234/v1',
    'http://127.0.0.1:8000/v1',
    'http://127.1.2.3/v1',
    'http://[::1]:11434/v1',
    'http://10.1.2.3:8000/v1',
    'http://172.16.0.1/v1',
    'http://172.31.255.255/v1',
    'http://192.168.1.20:11434/v1',
  ])('%s is local by default', (url) => {
    expect(isLocalHost(url)).toBe(true);
  });

  it.each(['https://api.openai.com/v1', 'http://172.32.0.1/v1', 'http://11.0.0.1/v1', 'http://8.8.8.8/v1', 'https://localhost.example.com/v1', 'nonsense', undefined])(
    '%s is not',
    (url) => {
      expect(isLocalHost(url)).toBe(false);
    },
  );

  it('takes host names, wildcards and CIDR ranges; [] turns it off; a bad range throws naming it', () => {
    expect(isLocalHost('http://gpu-box.lan:8000/v1', ['*.lan'])).toBe(true);
    expect(isLocalHost('http://100.64.0.7/v1', ['100.64.0.0/10'])).toBe(true);
    expect(isLocalHost('http://127.0.0.1/v1', [])).toBe(false);
    expect(() => isLocalHost('http://127.0.0.1/v1', ['10.0.0.0/99'])).toThrow('10.0.0.0/99');
  });
});

describe('isTaggedLocalModel', () => {
  it.each(['llama3.1:8b', 'qwen3:0.6b', 'gemma3:latest', 'deepseek-r1:8b', 'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'])('%s is an Ollama tag', (m) => {
    expect(isTaggedLocalModel(m)).toBe(true);
  });
  it.each(['gpt-4o', 'ft:gpt-4o-mini:my-org::abc123', 'anthropic.claude-v2:1', 'us.anthropic.claude-3-5-sonnet-20241022-v2:0', 'llama3.1:'])('%s is not', (m) => {
    expect(isTaggedLocalModel(m)).toBe(false);
  });
});

describe('looksLikeCloudModel', () => {
  it.each(['gpt-4o', 'gtp-4o', 'gpt-5.9-preview', 'claude-opus-9', 'gemini-9-pro', 'grok-9', 'llama-3.3-70b-versatil', 'openai/gpt-4o'])('%s looks like a cloud model', (m) => {
    expect(looksLikeCloudModel(m)).toBe(true);
  });
  it.each(['my-finetuned-llama', 'phi4-mini-local', 'tinyllama-custom-build'])('%s does not', (m) => {
    expect(looksLikeCloudModel(m)).toBe(false);
  });
});

describe('PricingCatalog and local models', () => {
  it('prices an Ollama name:tag id at $0 with source local, without a warning, whatever the provider', () => {
    const catalog = new PricingCatalog({ unknownModel: 'deny' });
    for (const model of ['llama3.1:8b', 'qwen3:0.6b', 'deepseek-r1:8b']) {
      expect(catalog.isPriced(model, 'openai')).toBe(true);
      const cost = catalog.cost({ input: 1000, output: 1000 }, model, 'openai');
      expect(cost.totalNanos).toBe(0);
      expect(cost.model).toMatchObject({ source: 'local', known: true });
    }
  });

  it("provider 'local' costs $0; an override still wins; localModelTags: false turns the tag rule off", () => {
    const catalog = new PricingCatalog({ unknownModel: 'deny', overrides: { 'qwen3:0.6b': { inputPerM: 1, outputPerM: 1 } } });
    expect(catalog.cost({ input: 10, output: 10 }, 'my-finetuned-llama', 'local').model.source).toBe('local');
    expect(catalog.cost({ input: 1_000_000, output: 0 }, 'qwen3:0.6b').totalNanos).toBe(1_000_000_000);
    const off = new PricingCatalog({ localModelTags: false });
    expect(off.isPriced('llama3.1:8b', 'openai')).toBe(false);
  });
});
