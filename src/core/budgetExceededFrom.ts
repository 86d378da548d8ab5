import type { BudgetAction, BudgetScope } from './Budget.js';
import { BudgetExceededError } from './BudgetExceededError.js';

/** How deep `cause` chains are followed (a cycle or a very long chain stops there). */
const MAX_DEPTH = 8;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A BudgetExceededError rebuilt from the JSON the fetch guard puts in its 402 body (`error.tollgate`). */
function fromJson(value: unknown): BudgetExceededError | undefined {
  if (!isRecord(value) || value.name !== 'BudgetExceededError') return undefined;
  const { budgetId, scope, key, spentUsd, limitUsd, attemptedUsd, action, model, message } = value;
  if (typeof budgetId !== 'string' || typeof scope !== 'string' || typeof key !== 'string' || typeof action !== 'string') return undefined;
  if (typeof spentUsd !== 'number' || typeof limitUsd !== 'number' || typeof attemptedUsd !== 'number') return undefined;
  return new BudgetExceededError(
    {
      budgetId,
      scope: scope as BudgetScope,
      key,
      spentUsd,
      limitUsd,
      attemptedUsd,
      action: action as BudgetAction,
      ...(typeof model === 'string' ? { model } : {}),
    },
    typeof message === 'string' ? message : undefined,
  );
}

/** The `error` object of a 402 body: parsed already (openai, Anthropic SDK `error`) or a JSON string (AI SDK `responseBody`). */
function fromRefusalBody(err: Record<string, unknown>): BudgetExceededError | undefined {
  const direct = isRecord(err.error) ? fromJson(err.error.tollgate) : undefined;
  if (direct !== undefined) return direct;
  if (typeof err.responseBody !== 'string' || !err.responseBody.includes('budget_exceeded')) return undefined;
  try {
    const body = JSON.parse(err.responseBody) as unknown;
    return isRecord(body) && isRecord(body.error) ? fromJson(body.error.tollgate) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `BudgetExceededError` behind an error a caller caught, or undefined. Finds it as the
 * error itself, anywhere in its `cause` chain (LangChain and other wrappers), or, for calls
 * another instrumentation made that tollgate refused at its fetch guard, in the HTTP 402 error
 * the SDK raised (the OpenAI SDK's `APIError`, the AI SDK's `APICallError`): then it is rebuilt
 * from the refusal's body, with the same budget, scope, amounts and message.
 */
export function budgetExceededFrom(err: unknown): BudgetExceededError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_DEPTH && isRecord(current); depth += 1) {
    if (current instanceof BudgetExceededError) return current;
    const rebuilt = fromRefusalBody(current);
    if (rebuilt !== undefined) return rebuilt;
    current = current.cause;
  }
  return undefined;
}

/** Whether a caught error is, wraps or carries a tollgate budget refusal (see budgetExceededFrom). */
export function isBudgetExceeded(err: unknown): boolean {
  return budgetExceededFrom(err) !== undefined;
}
