import { describe, expect, it } from 'vitest';
import { accountCall } from '../../src/budget/accountCall.js';
import { CallPricing } from '../../src/budget/CallPricing.js';
import type { CallPricingOptions } from '../../src/budget/CallPricing.js';
import type { FinishedCall } from '../../src/budget/CallTypes.js';
import { Problems } from '../../src/core/Problems.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { USD, linearPricer, testAdmission } from './engineHarness.js';

const NOW = Date.UTC(2026, 2, 10, 12);

/** Linear test prices (1 nano per input token, 2 per output token); 'big' costs eight times as much; 'unpriced…' has no price. */
function pricing(options: Partial<CallPricingOptions> = {}): CallPricing {
  return new CallPricing({ pricer: linearPricer({ big: 8 }), problems: new Problems({ quiet: true }), ...options });
}

const admission = testAdmission;

function done(fields: Partial<FinishedCall> = {}): FinishedCall {
  return { id: 'c1', provider: 'openai', model: 'gpt-4o', usage: { input: 1_000, output: 10 }, usageSource: 'reported', status: 'ok', ...fields };
}

const never = (): boolean => {
  throw new Error('not asked when the admission decides');
};

describe('accountCall', () => {
  it('prices reported usage with the model sent and builds the record', () => {
    const settled = accountCall(admission(), done({ usage: { input: 1_000, output: 10, cacheRead: 200, reasoning: 4 } }), NOW, pricing(), never);
    expect(settled).toMatchObject({ costSource: 'computed', priceSource: 'override', reservedNanos: 9_192, shortfallNanos: 0 });
    expect(settled.cost?.totalNanos).toBe(1_020);
    expect(settled.record).toEqual<UsageRecord>({
      id: 'c1',
      time: NOW,
      provider: 'openai',
      model: 'gpt-4o',
      operation: 'chat',
      inputTokens: 1_000,
      outputTokens: 10,
      cacheReadTokens: 200,
      cacheWriteTokens: 0,
      reasoningTokens: 4,
      costNanos: 1_020,
      status: 'ok',
    });
  });

  it("the provider's own cost wins over the computed one", () => {
    const settled = accountCall(admission(), done({ providerCostUsd: 0.5 }), NOW, pricing(), never);
    expect([settled.record.costNanos, settled.costSource, settled.priceSource, settled.cost]).toEqual([0.5 * USD, 'provider', 'provider', undefined]);
    expect([settled.record.inputTokens, settled.record.outputTokens]).toEqual([1_000, 10]);
    expect(settled.shortfallNanos).toBe(0.5 * USD - 9_192);
  });

  it('prices the response model when it has a price, else the model sent; labels the record with the model sent', () => {
    const priced = accountCall(admission(), done({ responseModel: 'big' }), NOW, pricing(), never);
    expect([priced.record.model, priced.record.costNanos]).toEqual(['gpt-4o', 8 * 1_020]);
    const unpriced = accountCall(admission(), done({ responseModel: 'unpriced-snapshot-2026' }), NOW, pricing(), never);
    expect([unpriced.record.model, unpriced.record.costNanos, unpriced.costSource]).toEqual(['gpt-4o', 1_020, 'computed']);
  });

  it('a fallback is charged for the model sent and says which model was asked for', () => {
    const fallback = admission({ decision: 'fallback', model: 'gpt-4o-mini', requestedModel: 'big' });
    const settled = accountCall(fallback, done({ model: 'big' }), NOW, pricing(), never);
    expect([settled.record.model, settled.record.costNanos]).toEqual(['gpt-4o-mini', 1_020]);
    expect(settled.record.metadata).toEqual({ requestedModel: 'big', decision: 'fallback' });
  });

  it("a successful call without usage is charged its admission's worst case, marked estimated", () => {
    for (const status of ['ok', 'cost_exceeded'] as const) {
      const settled = accountCall(admission(), done({ usage: undefined, usageSource: 'none', status }), NOW, pricing(), never);
      expect([settled.record.costNanos, settled.costSource, settled.record.inputTokens, settled.record.outputTokens]).toEqual([9_192, 'estimated', 1_000, 4_096]);
      expect(settled.record.metadata).toEqual({ costSource: 'estimated' });
      expect(settled.shortfallNanos).toBe(0);
    }
  });

  it('usage tollgate estimated itself is charged and marked estimated', () => {
    const settled = accountCall(admission(), done({ usage: { input: 1_200, output: 10 }, usageSource: 'estimated' }), NOW, pricing(), never);
    expect([settled.record.costNanos, settled.costSource, settled.record.metadata]).toEqual([1_220, 'estimated', { costSource: 'estimated' }]);
  });

  it('a failed call without usage costs nothing; with usage it costs what was used', () => {
    const failed = accountCall(admission(), done({ usage: undefined, usageSource: 'none', status: 'error', errorType: 'APIConnectionError' }), NOW, pricing(), never);
    expect([failed.record.costNanos, failed.costSource, failed.priceSource, failed.record.metadata]).toEqual([0, 'none', 'none', { errorType: 'APIConnectionError' }]);
    const partial = accountCall(admission(), done({ status: 'error', errorType: 'APIError' }), NOW, pricing(), never);
    expect([partial.record.costNanos, partial.costSource]).toEqual([1_020, 'computed']);
  });

  it('a denied call costs nothing, whatever usage or cost it carries', () => {
    const settled = accountCall(
      undefined,
      done({ status: 'denied', errorType: 'BudgetExceededError', providerCostUsd: 1, usageSource: 'none' }),
      NOW,
      pricing(),
      never,
    );
    expect([settled.record.costNanos, settled.costSource, settled.record.inputTokens, settled.record.outputTokens]).toEqual([0, 'none', 0, 0]);
    expect(settled.record).toMatchObject({ status: 'denied', metadata: { errorType: 'BudgetExceededError' } });
  });

  it('writes the metadata: decision, error type, bypassed, cost source, and the caller’s own', () => {
    const warned = accountCall(admission({ decision: 'warn' }), done({ metadata: { tool: 'search' } }), NOW, pricing(), never);
    expect(warned.record.metadata).toEqual({ tool: 'search', decision: 'warn' });
    const bypassed = accountCall(undefined, done({ bypassed: true }), NOW, pricing(), () => true);
    expect([bypassed.record.costNanos, bypassed.record.metadata]).toEqual([1_020, { bypassed: true }]);
    const plain = accountCall(admission(), done(), NOW, pricing(), never);
    expect(plain.record.metadata).toBeUndefined();
  });

  it('an unpriced model is charged as its admission was priced: at the ceiling under a cap, $0 otherwise', () => {
    const ceiling = accountCall(admission({ model: 'unpriced-x', requestedModel: 'unpriced-x', price: 'ceiling' }), done({ model: 'unpriced-x' }), NOW, pricing(), never);
    expect([ceiling.record.costNanos, ceiling.costSource, ceiling.priceSource, ceiling.record.metadata]).toEqual([10 * 1_020, 'ceiling', 'ceiling', { costSource: 'ceiling' }]);
    const free = accountCall(admission({ model: 'unpriced-x', requestedModel: 'unpriced-x', price: 'unpriced', enforced: false }), done({ model: 'unpriced-x' }), NOW, pricing(), never);
    expect([free.record.costNanos, free.costSource]).toEqual([0, 'unpriced']);
    // A response model with a price is priced from it, even when the model sent had none.
    const known = accountCall(admission({ model: 'unpriced-x', price: 'ceiling' }), done({ model: 'unpriced-x', responseModel: 'big' }), NOW, pricing(), never);
    expect([known.record.model, known.record.costNanos, known.costSource]).toEqual(['unpriced-x', 8 * 1_020, 'computed']);
  });

  it('without an admission, an unpriced model is charged at the ceiling when a cap applies to its record, even under a refusing policy', () => {
    const capped: UsageRecord[] = [];
    const ceiling = accountCall(undefined, done({ model: 'unpriced-x', task: 'T-1' }), NOW, pricing(), (record) => {
      capped.push(record);
      return true;
    });
    expect([ceiling.record.costNanos, ceiling.costSource]).toEqual([10 * 1_020, 'ceiling']);
    expect(capped.map((r) => [r.model, r.task])).toEqual([['unpriced-x', 'T-1']]);
    const free = accountCall(undefined, done({ model: 'unpriced-x' }), NOW, pricing(), () => false);
    expect([free.record.costNanos, free.costSource]).toEqual([0, 'unpriced']);
    const refusing = accountCall(undefined, done({ model: 'unpriced-x' }), NOW, pricing({ unknownModel: 'deny' }), () => false);
    expect([refusing.record.costNanos, refusing.costSource]).toEqual([10 * 1_020, 'ceiling']);
  });

  it('the shortfall is what the cost passed the reservation by; none without a reservation', () => {
    expect(accountCall(admission({ reservedNanos: 1_000 }), done(), NOW, pricing(), never).shortfallNanos).toBe(20);
    expect(accountCall(admission({ reservedNanos: 0 }), done(), NOW, pricing(), never).shortfallNanos).toBe(0);
    expect(accountCall(undefined, done(), NOW, pricing(), () => false)).toMatchObject({ reservedNanos: 0, shortfallNanos: 0 });
  });

  it('copies the ids, attribution, operation, time and duration of the call', () => {
    const settled = accountCall(
      admission(),
      done({
        traceId: 't1', spanId: 's1', responseId: 'chatcmpl-1', task: 'T', session: 'S', agent: 'A',
        operation: 'embeddings', time: NOW - 5, durationSeconds: 1.5,
      }),
      NOW,
      pricing(),
      never,
    );
    expect(settled.record).toMatchObject({ traceId: 't1', spanId: 's1', requestId: 'chatcmpl-1', task: 'T', session: 'S', agent: 'A', operation: 'embeddings', time: NOW - 5 });
    expect(settled.durationSeconds).toBe(1.5);
  });
});
