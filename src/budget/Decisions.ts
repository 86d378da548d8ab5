import { BudgetExceededError } from '../core/BudgetExceededError.js';
import type { Nanos } from '../core/money.js';
import { nanosToUsd } from '../core/money.js';
import type { EventBus } from '../events/EventBus.js';
import type { Bucket, BucketState, ReserveResult } from '../ledger/Ledger.js';
import type { AppliedBudget } from './budgetBucket.js';
import type { PlanLists } from './BudgetSet.js';
import { requestLimitOf } from './BudgetSet.js';
import type { Admission, CallRequest, PriceBasis } from './CallTypes.js';

/** One admission attempt for one model: its price basis, token assumptions and the budgets that apply. */
export interface Plan {
  model: string;
  basis: PriceBasis;
  lists: PlanLists;
  inputTokens: number;
  outputTokens: number;
  /** The caller set no output limit: the engine chose `outputTokens`. */
  chosen: boolean;
  estimate: Nanos;
}

/** The store's answer to one attempt. */
export type Outcome = { kind: 'ok'; states: ReserveResult['states'] } | { kind: 'fail'; failures: Failure[] } | { kind: 'down'; error: unknown };

/** A budget the call did not fit, and what was used in it before the call. */
export interface Failure {
  applied: AppliedBudget;
  /** Settled + reserved before this call. */
  usedNanos: Nanos;
}

/**
 * The engine's verdicts as values and events: an admission built from a plan and the store's
 * answer, a refusal (BudgetExceededError plus its `budget_exceeded` event) and a stream cut.
 * Every verdict names the real budget that decided it.
 */
export class Decisions {
  constructor(
    private readonly events: EventBus,
    private readonly clock: () => number,
  ) {}

  /** The reservation's answer as an outcome: which enforced counters the estimate did not fit. */
  outcomeOf(plan: Plan, result: ReserveResult): Outcome {
    if (result.ok) return { kind: 'ok', states: result.states };
    const failures: Failure[] = [];
    plan.lists.bucketed.forEach((applied, i) => {
      const s = result.states[i];
      if (s === undefined || !(applied.bucket as Bucket).enforce) return;
      if (s.spentNanos + s.reservedNanos + plan.estimate > s.limitNanos) failures.push({ applied, usedNanos: s.spentNanos + s.reservedNanos });
    });
    if (failures.length === 0) {
      const applied = plan.lists.bucketed.find((a) => a.bucket?.key === result.failed.key) ?? (plan.lists.bucketed[0] as AppliedBudget);
      failures.push({ applied, usedNanos: result.failed.spentNanos + result.failed.reservedNanos });
    }
    return { kind: 'fail', failures };
  }

  /** The admission for a plan that fit; warn budgets it went over emit their event. */
  admitted(req: CallRequest, plan: Plan, states: readonly BucketState[], decision: 'allow' | 'fallback'): Admission {
    let warned = false;
    let tightest: AppliedBudget | undefined;
    let least = Infinity;
    for (const applied of plan.lists.applied) {
      const s = applied.bucket === undefined ? undefined : states[plan.lists.bucketed.indexOf(applied)];
      const used = s === undefined ? plan.estimate : s.spentNanos + s.reservedNanos;
      if (applied.budget.onExceed === 'warn') {
        if (used > applied.limitNanos) {
          this.exceeded({ applied, usedNanos: used - plan.estimate }, plan, req.id, 'warn');
          warned = true;
        }
        continue;
      }
      const room = applied.limitNanos - used;
      if (room < least) {
        least = room;
        tightest = applied;
      }
    }
    const admission: Admission = {
      id: req.id,
      provider: req.provider,
      decision: decision === 'fallback' ? 'fallback' : warned ? 'warn' : 'allow',
      model: plan.model,
      requestedModel: req.model,
      reservedNanos: plan.lists.buckets.length > 0 ? plan.estimate : 0,
      estimateNanos: plan.estimate,
      buckets: plan.lists.buckets,
      inputTokens: plan.inputTokens,
      estimatedInputTokens: req.inputTokens,
      outputTokens: plan.outputTokens,
      price: plan.basis,
      enforced: plan.lists.enforced,
    };
    if (plan.chosen && plan.lists.enforced) admission.outputLimit = plan.outputTokens;
    if (tightest !== undefined) admission.tightest = tightest;
    const requestLimit = requestLimitOf(plan.lists);
    if (requestLimit !== undefined) admission.requestLimitNanos = requestLimit;
    return admission;
  }

  /** The refusal for a failure (and its `budget_exceeded` event). */
  deny(failure: Failure, plan: Plan, callId: string): BudgetExceededError {
    const { budget, limitNanos } = failure.applied;
    this.exceeded(failure, plan, callId, 'deny');
    return new BudgetExceededError({
      budgetId: budget.id,
      scope: budget.scope,
      key: keyOf(failure.applied, callId),
      spentUsd: nanosToUsd(failure.usedNanos),
      limitUsd: nanosToUsd(limitNanos),
      attemptedUsd: nanosToUsd(plan.estimate),
      action: budget.onExceed,
      model: plan.model,
    });
  }

  /**
   * The error a running call is cut with: its cost passed what its reservation covers. Names the
   * budget with the least room when it was admitted, and emits `budget_exceeded` (action deny).
   */
  cut(admission: Admission, runningNanos: Nanos): BudgetExceededError {
    const applied = admission.tightest;
    const details = {
      budgetId: applied?.budget.id ?? 'reservation',
      scope: applied?.budget.scope ?? 'request',
      key: applied !== undefined ? keyOf(applied, admission.id) : admission.id,
      spentUsd: nanosToUsd(admission.estimateNanos),
      limitUsd: nanosToUsd(applied?.limitNanos ?? admission.estimateNanos),
      attemptedUsd: nanosToUsd(runningNanos),
      action: 'deny' as const,
      model: admission.model,
    };
    this.events.emit('budget_exceeded', { ...details, time: this.clock() });
    return new BudgetExceededError(
      details,
      `tollgate: call cut off: its running cost $${details.attemptedUsd.toFixed(6)} passed the $${details.spentUsd.toFixed(6)} ` +
        `its reservation covers under ${details.scope} budget "${details.budgetId}" (${details.key}, limit $${details.limitUsd.toFixed(6)})`,
    );
  }

  /** Emits `budget_exceeded` for a deny, a warn or a fallback. */
  exceeded(failure: Failure, plan: Plan, callId: string, action: 'deny' | 'warn' | 'fallback', fallbackModel?: string): void {
    const { budget, limitNanos } = failure.applied;
    this.events.emit('budget_exceeded', {
      budgetId: budget.id,
      scope: budget.scope,
      key: keyOf(failure.applied, callId),
      action,
      spentUsd: nanosToUsd(failure.usedNanos),
      limitUsd: nanosToUsd(limitNanos),
      attemptedUsd: nanosToUsd(plan.estimate),
      model: plan.model,
      ...(fallbackModel !== undefined ? { fallbackModel } : {}),
      time: this.clock(),
    });
  }
}

/** The counter key a decision names: a request budget's counter is the call itself. */
function keyOf(applied: AppliedBudget, callId: string): string {
  return applied.budget.scope === 'request' ? callId : applied.key;
}
