import { describe, expect, it } from 'vitest';
import type { Admission, SettledCall } from '../../src/budget/CallTypes.js';
import { admissionAttributes, settledAttributes, usageAttributes } from '../../src/budget/settledAttributes.js';
import { USD, testAdmission } from './engineHarness.js';

function admission(fields: Partial<Admission> = {}): Admission {
  return testAdmission({ reservedNanos: 0.25 * USD, estimateNanos: 0.25 * USD, ...fields });
}

function settled(fields: Partial<SettledCall> = {}): SettledCall {
  return {
    record: {
      id: 'c1', time: 0, provider: 'openai', model: 'gpt-4o', operation: 'chat', inputTokens: 1_000, outputTokens: 10,
      cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, costNanos: 0.5 * USD, status: 'ok',
    },
    costSource: 'computed',
    priceSource: 'genai-prices',
    reservedNanos: 0.25 * USD,
    shortfallNanos: 0,
    ...fields,
  };
}

describe('admissionAttributes', () => {
  it('says the decision and the reservation; a fallback names both models; a chosen output limit is shown', () => {
    expect(admissionAttributes(admission())).toEqual({ 'tollgate.decision': 'allow', 'tollgate.reserved_usd': 0.25 });
    expect(admissionAttributes(admission({ decision: 'fallback', model: 'gpt-4o-mini', outputLimit: 2_000 }))).toEqual({
      'tollgate.decision': 'fallback',
      'tollgate.reserved_usd': 0.25,
      'tollgate.requested_model': 'gpt-4o',
      'tollgate.fallback_model': 'gpt-4o-mini',
      'tollgate.request.output_limit_set': 2_000,
    });
  });
});

describe('settledAttributes', () => {
  it('writes the cost in USD under the GenAI names, with its source, and the breakdown when there is one', () => {
    const breakdown = {
      totalNanos: 0.5 * USD, inputNanos: 0.1 * USD, outputNanos: 0.4 * USD, cacheReadNanos: 0, cacheWriteNanos: 0, reasoningNanos: 0,
      model: { provider: 'openai', model: 'gpt-4o', source: 'genai-prices' as const, known: true },
    };
    expect(settledAttributes(settled({ cost: breakdown }))).toEqual({
      'gen_ai.usage.cost': 0.5,
      'gen_ai.usage.cost.amount': 0.5,
      'gen_ai.usage.cost.currency': 'USD',
      'gen_ai.usage.cost.source': 'computed',
      'tollgate.cost.nanos': 0.5 * USD,
      'tollgate.price.source': 'genai-prices',
      'tollgate.cost.input_usd': 0.1,
      'tollgate.cost.output_usd': 0.4,
      'tollgate.cost.cache_read_usd': 0,
      'tollgate.cost.cache_write_usd': 0,
    });
  });

  it('maps the cost source to provider, estimated or computed (a ceiling price is computed), and shows a shortfall', () => {
    const source = (s: SettledCall) => settledAttributes(s)['gen_ai.usage.cost.source'];
    expect(source(settled({ costSource: 'provider' }))).toBe('provider');
    expect(source(settled({ costSource: 'estimated' }))).toBe('estimated');
    expect(source(settled({ costSource: 'ceiling' }))).toBe('computed');
    expect(settledAttributes(settled({ shortfallNanos: 0.25 * USD }))['tollgate.shortfall_usd']).toBe(0.25);
    expect(settledAttributes(settled())['tollgate.shortfall_usd']).toBeUndefined();
  });
});

describe('usageAttributes', () => {
  it('writes the token counts, the optional parts only when present', () => {
    expect(usageAttributes({ input: 10, output: 5 })).toEqual({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5 });
    expect(usageAttributes({ input: 10, output: 5, cacheRead: 4, cacheWrite: 2, reasoning: 1 })).toEqual({
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'gen_ai.usage.cache_creation.input_tokens': 2,
      'gen_ai.usage.reasoning.output_tokens': 1,
    });
  });
});
