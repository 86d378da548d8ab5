import { APICallError } from 'ai';
import { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/core/BudgetExceededError.js';
import { budgetExceededFrom, isBudgetExceeded } from '../../src/core/budgetExceededFrom.js';

const original = new BudgetExceededError({
  budgetId: 'day',
  scope: 'daily',
  key: 'global',
  spentUsd: 0.5,
  limitUsd: 1,
  attemptedUsd: 0.75,
  action: 'deny',
  model: 'gpt-4o',
});

/** The body the fetch guard answers a refused request with (FetchGuard.refusal). */
const refusalBody = { error: { type: 'budget_exceeded', code: 'budget_exceeded', message: original.message, tollgate: original.toJSON() } };

describe('budgetExceededFrom', () => {
  it('returns the error itself', () => {
    expect(budgetExceededFrom(original)).toBe(original);
    expect(isBudgetExceeded(original)).toBe(true);
  });

  it('follows the cause chain of wrappers', () => {
    const wrapped = new Error('agent step failed', { cause: new Error('model call failed', { cause: original }) });
    expect(budgetExceededFrom(wrapped)).toBe(original);
  });

  it("rebuilds it from the OpenAI SDK's 402 APIError (a call another instrumentation made, refused at the fetch guard)", () => {
    const err = APIError.generate(402, refusalBody, undefined, new Headers({ 'x-tollgate-denied': 'true' }));
    const found = budgetExceededFrom(err);
    expect(found).toBeInstanceOf(BudgetExceededError);
    expect(found?.toJSON()).toEqual(original.toJSON());
  });

  it("rebuilds it from the AI SDK's APICallError (its responseBody is the refusal's JSON text)", () => {
    const err = new APICallError({
      message: original.message,
      url: 'http://127.0.0.1/v1/chat/completions',
      requestBodyValues: {},
      statusCode: 402,
      responseBody: JSON.stringify(refusalBody),
      isRetryable: false,
    });
    expect(budgetExceededFrom(err)?.toJSON()).toEqual(original.toJSON());
    expect(budgetExceededFrom(new Error('retry failed', { cause: err }))?.budgetId).toBe('day');
  });

  it('returns undefined for other errors, other 402s, cycles and non-errors', () => {
    expect(budgetExceededFrom(new Error('boom'))).toBeUndefined();
    expect(budgetExceededFrom(APIError.generate(402, { error: { type: 'billing', message: 'pay up' } }, undefined, new Headers()))).toBeUndefined();
    const spoof = APIError.generate(402, { error: { tollgate: { name: 'BudgetExceededError', budgetId: 'x' } } }, undefined, new Headers());
    expect(budgetExceededFrom(spoof)).toBeUndefined(); // incomplete details are not made up
    const a: Error & { cause?: unknown } = new Error('a');
    a.cause = new Error('b', { cause: a });
    expect(budgetExceededFrom(a)).toBeUndefined();
    expect(budgetExceededFrom('denied')).toBeUndefined();
    expect(budgetExceededFrom(undefined)).toBeUndefined();
    expect(isBudgetExceeded(null)).toBe(false);
  });
});
