import { diag } from '@opentelemetry/api';
import type { BudgetFailMode, BudgetSpec } from '../core/Budget.js';
import { BudgetConfigError } from '../core/BudgetConfigError.js';
import type { BudgetExceededError } from '../core/BudgetExceededError.js';
import { isRefusal } from '../core/isRefusal.js';
import { LedgerUnavailableError } from '../core/LedgerUnavailableError.js';
import { chain, isPromise, type MaybePromise } from '../core/maybePromise.js';
import { nanosToUsd, type Nanos } from '../core/money.js';
import { Problems } from '../core/Problems.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import { EventBus } from '../events/EventBus.js';
import { METADATA_ERROR_TYPE } from '../metrics/UsageKinds.js';
import type { Ledger, ReserveResult } from '../ledger/Ledger.js';
import { accountCall } from './accountCall.js';
import { BudgetSet, requestLimitOf } from './BudgetSet.js';
import { budgetStatus, type BudgetStatus, type StatusFilter } from './budgetStatus.js';
import { CallPricing } from './CallPricing.js';
import type { Admission, CallRequest, FinishedCall, PriceBasis, SettledCall, SettledCallSink } from './CallTypes.js';
import { Decisions, type Failure, type Outcome, type Plan } from './Decisions.js';
import { InputCorrection } from './InputCorrection.js';
import { PauseSwitch } from './PauseSwitch.js';
import { BudgetResets } from './BudgetResets.js';
import type { NormalizedBudget } from './normalizeBudget.js';
import { seedNewBudget } from './seedNewBudget.js';
import { closedBudgetOf } from './storeDownPolicy.js';
import { Thresholds } from './Thresholds.js';
import type { BudgetEngineOptions } from './BudgetEngineOptions.js';

export type { BudgetEngineOptions } from './BudgetEngineOptions.js';

/**
 * The one owner of every budget decision. Given the pricer and the ledger, it decides for a call
 * described by plain data which budgets apply, what its worst case costs (with the learned input
 * correction, an output limit it can set for the caller, a ceiling price for unpriced models),
 * reserves that in every counter at once, and refuses, re-routes or admits it. While a stream
 * runs it judges the running cost against the reservation; when the call ends it prices the real
 * usage, settles it, learns from any shortfall and hands the settled call to the sinks.
 *
 * Only `admit` may answer synchronously (with a synchronous store), so a deny can be thrown
 * before a request is built; everything after admission returns promises.
 */
export class BudgetEngine {
  readonly events: EventBus;
  readonly problems: Problems;
  readonly failMode: BudgetFailMode | undefined;
  /** The kill switch: `killSwitch.pause(reason)` refuses every admission (stored, so replicas obey) until `resume()`. */
  readonly killSwitch: PauseSwitch;
  /** Resets of budget counters (`resets.session(id)`, `resets.all()`): logged in the store; usage and records stay. */
  readonly resets: BudgetResets;
  private readonly ledger: Ledger;
  private readonly clock: () => number;
  private readonly reservationTtlMs: number;
  private readonly defaultMaxOutputTokens: number;
  private readonly minOutputTokens: number;
  private readonly inputMargin: number;
  private readonly budgets: BudgetSet;
  private readonly thresholds: Thresholds;
  private readonly pricing: CallPricing;
  private readonly correction = new InputCorrection();
  private readonly decisions: Decisions;
  private readonly sinks = new Set<SettledCallSink>();
  /** Settlements started by `finish` and not yet done, and who waits for them to drain. */
  private inFlight = 0;
  private drained: (() => void)[] = [];
  /** Settled calls whose token counts the provider did not report: the input correction must not learn from them. */
  private readonly unreported = new WeakSet<SettledCall>();
  private errors = 0;

  constructor(options: BudgetEngineOptions) {
    if (options.ledger === undefined || options.ledger === null) throw new BudgetConfigError('ledger', 'is required (e.g. new MemoryLedger())');
    if (options.pricer === undefined || options.pricer === null) throw new BudgetConfigError('pricer', 'is required (e.g. new PricingCatalog())');
    this.ledger = options.ledger;
    this.clock = options.clock ?? Date.now;
    this.events = options.events ?? new EventBus();
    this.problems = options.problems ?? new Problems();
    this.reservationTtlMs = positive(options.reservationTtlMs ?? 600_000, 'reservationTtlMs', 'ms');
    this.defaultMaxOutputTokens = positive(options.defaultMaxOutputTokens ?? 4096, 'defaultMaxOutputTokens', 'tokens');
    const minOutput = positive(options.minOutputTokens ?? 16, 'minOutputTokens', 'tokens');
    if (minOutput > this.defaultMaxOutputTokens) diag.warn(`tollgate: minOutputTokens ${minOutput} is above defaultMaxOutputTokens ${this.defaultMaxOutputTokens}; using ${this.defaultMaxOutputTokens}`);
    this.minOutputTokens = Math.min(minOutput, this.defaultMaxOutputTokens);
    this.inputMargin = options.inputMargin ?? 0;
    if (!Number.isFinite(this.inputMargin) || this.inputMargin < 0) {
      throw new BudgetConfigError('inputMargin', `must be a number >= 0 (0.2 adds 20 % to input estimates); got ${String(options.inputMargin)}`);
    }
    this.failMode = options.failMode;
    if (this.failMode !== undefined && this.failMode !== 'open' && this.failMode !== 'closed') {
      throw new BudgetConfigError('failMode', `must be 'open' or 'closed'; got ${JSON.stringify(options.failMode)}`);
    }
    this.budgets = new BudgetSet(this.ledger, options.budgets ?? [], (id, err) =>
      this.problems.report('store', `ignoring the invalid budget "${id}" stored in the ledger (the other budgets apply); remove it with \`tollgate budgets remove ${id}\` or DELETE /v1/budgets/${id}`, err),
    );
    this.thresholds = new Thresholds(this.budgets, this.events, this.clock);
    this.pricing = new CallPricing({
      pricer: options.pricer,
      problems: this.problems,
      ...(options.unknownModel !== undefined ? { unknownModel: options.unknownModel } : {}),
      ...(options.unpricedUnderCap !== undefined ? { unpricedUnderCap: options.unpricedUnderCap } : {}),
    });
    this.decisions = new Decisions(this.events, this.clock);
    this.killSwitch = new PauseSwitch(this.ledger, this.clock, this.events);
    this.resets = new BudgetResets(this.ledger, () => this.budgets.values(), this.clock, (keys) => this.thresholds.forget(keys));
  }

  /** Store calls that failed (admissions let through under failMode 'open', failed settlements). */
  get errorCount(): number {
    return this.errors;
  }

  /** Adds a consumer of settled calls; returns the function that removes it. */
  addSink(sink: SettledCallSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  /**
   * Decides a call and reserves its worst case. Throws (synchronous store) or rejects with
   * BudgetExceededError on deny, UnknownModelError for a refused unpriced model, and
   * LedgerUnavailableError when the store fails under failMode 'closed'. A refusal is recorded
   * (status 'denied') before it is thrown.
   */
  admit(req: CallRequest): MaybePromise<Admission> {
    const now = this.clock();
    try {
      if (this.killSwitch.paused) throw this.killSwitch.refusal(req.id, req.model);
      const first = this.plan(req, req.model, now);
      const result = chain(this.attempt(req, first, now), (o1) => this.decide(req, first, o1, now));
      if (isPromise(result)) return result.catch((err: unknown) => this.refused(req, err));
      return result;
    } catch (err: unknown) {
      return this.refused(req, err);
    }
  }

  /**
   * Judges a running call: `usage` so far (output tokens counted from the stream). Returns the
   * error to cut the call with when its cost has passed what the reservation covers and a
   * deny/fallback budget applies, naming the tightest budget; undefined otherwise.
   */
  overrun(admission: Admission, usage: TokenUsage): BudgetExceededError | undefined {
    if (!admission.enforced) return undefined;
    const running: TokenUsage = { input: admission.inputTokens, output: usage.output };
    const cost = this.pricing.nanos(admission.price, running, admission.model, admission.provider);
    if (cost <= admission.estimateNanos) return undefined;
    return this.decisions.cut(admission, cost);
  }

  /**
   * Prices a finished call and builds its usage record (synchronous: the caller puts the cost on
   * its span before ending it). A call without usage that went through is charged from estimates,
   * never $0. Settle the result with `settle`, or use `finish` for both.
   */
  account(admission: Admission | undefined, call: FinishedCall): SettledCall {
    const settled = accountCall(admission, call, this.clock(), this.pricing, (ctx) => this.budgets.applicable(ctx, ctx.time).some((a) => a.budget.onExceed !== 'warn'));
    if (settled.costSource === 'estimated' && call.usageSource !== 'estimated') {
      this.problems.report('usage_estimated', `a call to ${call.provider} reported no usage; it was charged from tollgate's estimate (marked gen_ai.usage.cost.source "estimated")`);
    }
    if (call.usage === undefined || call.usageSource !== 'reported') this.unreported.add(settled);
    return settled;
  }

  /**
   * Charges a settled call to its admission's counters (or, without one, the counters its
   * context maps to), releases the rest of the reservation, emits threshold and shortfall
   * events, learns the input correction and feeds the sinks. Never rejects: a store failure is
   * counted and reported.
   */
  async settle(settled: SettledCall, admission?: Admission): Promise<void> {
    const { record } = settled;
    const buckets =
      admission !== undefined
        ? admission.buckets
        : record.costNanos === 0
          ? []
          : this.budgets.applicable(record, record.time).flatMap((a) => (a.bucket === undefined ? [] : [a.bucket]));
    // A refusal because the store is down cannot be written to it; the sinks still count it.
    const storeDown = record.status === 'denied' && record.metadata?.[METADATA_ERROR_TYPE] === 'LedgerUnavailableError';
    this.inFlight++;
    try {
      if (!storeDown) {
        const states = await this.ledger.settle(record, buckets);
        this.thresholds.check(buckets, states);
      }
    } catch (err: unknown) {
      this.errors++;
      this.problems.report('store', `settling a call in the store failed; its spend is not counted against the caps`, err);
    }
    try {
      if (admission !== undefined) this.learn(admission, settled);
      for (const sink of this.sinks) {
        try {
          sink.settled(settled);
        } catch (err: unknown) {
          this.problems.report('telemetry', 'a settled-call sink (metrics, events, logs) failed', err);
        }
      }
    } finally {
      if (--this.inFlight === 0) for (const wake of this.drained.splice(0)) wake();
    }
  }

  /** `account` then `settle`, the settlement tracked for `forceFlush`. Returns the priced call at once. */
  finish(admission: Admission | undefined, call: FinishedCall): SettledCall {
    const settled = this.account(admission, call);
    void this.settle(settled, admission);
    return settled;
  }

  /** Drops the admission's reservation without charging anything. */
  release(admission: Admission): Promise<void> {
    return this.ledger.release(admission.id);
  }

  /** Waits for every settlement started so far; a store holding settlements back to commit them together (SQLite) commits them now. */
  forceFlush(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    this.ledger.flush?.().catch(() => undefined); // a failed commit is reported by its settlements (settle)
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Loads (or refreshes) the budgets stored in the ledger (they replace config budgets with the same id) and the pause state. */
  load(): Promise<void> {
    return Promise.all([this.budgets.load(), this.killSwitch.load()]).then(() => undefined);
  }

  /** Adds (or replaces, same id) a budget at run time and stores it; a new one starts at what its windows hold (seedNewBudget). Throws BudgetConfigError naming the invalid field. */
  add(spec: BudgetSpec): Promise<NormalizedBudget> {
    return this.budgets.add(spec, (budget) => seedNewBudget(this.ledger, this.problems, budget, this.clock()));
  }

  /** Removes a budget (config or runtime). False when no such budget existed. */
  remove(id: string): Promise<boolean> {
    return this.budgets.remove(id);
  }

  /** Every budget, normalised. */
  list(): NormalizedBudget[] {
    return this.budgets.list();
  }

  /** Spend, reservations, limit and remaining of every budget now (see budgetStatus). */
  status(filter: StatusFilter = {}): Promise<BudgetStatus[]> {
    return budgetStatus(this.budgets, this.ledger, this.clock(), filter);
  }

  // --- admission ---------------------------------------------------------------------

  private plan(req: CallRequest, model: string, now: number): Plan {
    const ctx = { ...req, model };
    const lists = this.budgets.plan(ctx, now);
    const basis = this.pricing.basis(req.provider, model, lists.enforced);
    const embeddings = req.operation === 'embeddings';
    const chosen = req.maxOutputTokens === undefined && !embeddings && req.outputLimitSettable !== false;
    const factor = this.correction.factor(req.provider, model);
    const inputTokens = Math.ceil(Math.max(0, req.inputTokens) * factor * (1 + this.inputMargin));
    let outputTokens = embeddings ? 0 : (req.maxOutputTokens ?? this.defaultMaxOutputTokens);
    let estimate = this.price(basis, inputTokens, outputTokens, model, req.provider);
    if (chosen && lists.hasRequest) {
      // Request budgets that would re-route the call to another model are left to do so.
      const limit = requestLimitOf(lists, (b) => b.onExceed === 'deny' || (b.fallbackModel ?? model) === model);
      if (limit !== undefined && estimate > limit) {
        const fit = this.pricing.fitOutput(basis, model, req.provider, inputTokens, outputTokens, limit);
        if (fit >= this.minOutputTokens) {
          outputTokens = fit;
          estimate = this.price(basis, inputTokens, outputTokens, model, req.provider);
        }
      }
    }
    return { model, basis, lists, inputTokens, outputTokens, chosen, estimate };
  }

  private price(basis: PriceBasis, input: number, output: number, model: string, provider: string): Nanos {
    return Math.ceil(this.pricing.nanos(basis, { input, output }, model, provider));
  }

  /** Request budgets first (no store needed), then one atomic reservation in every counter; a chosen output limit shrinks to fit once. */
  private attempt(req: CallRequest, plan: Plan, now: number): MaybePromise<Outcome> {
    const requestFailures = plan.lists.applied
      .filter((a) => a.bucket === undefined && a.budget.onExceed !== 'warn' && plan.estimate > a.limitNanos)
      .map((applied) => ({ applied, usedNanos: 0 }));
    if (requestFailures.length > 0) return { kind: 'fail', failures: requestFailures };
    if (plan.lists.buckets.length === 0) return { kind: 'ok', states: [] };
    return chain(this.reserve(req.id, plan, now), (outcome) => {
      if (outcome.kind !== 'fail' || !plan.chosen || outcome.failures.some((f) => f.applied.bucket === undefined)) return outcome;
      // A fallback budget that can re-route the call wins over a shorter answer from the model asked for.
      if (outcome.failures.some((f) => f.applied.budget.onExceed === 'fallback' && (f.applied.budget.fallbackModel ?? plan.model) !== plan.model)) return outcome;
      const room = Math.min(...outcome.failures.map((f) => f.applied.limitNanos - f.usedNanos), requestLimitOf(plan.lists) ?? Infinity);
      const fit = this.pricing.fitOutput(plan.basis, plan.model, req.provider, plan.inputTokens, plan.outputTokens, room);
      if (fit < this.minOutputTokens) return outcome;
      plan.outputTokens = fit;
      plan.estimate = this.price(plan.basis, plan.inputTokens, fit, plan.model, req.provider);
      return this.reserve(req.id, plan, now);
    });
  }

  private reserve(id: string, plan: Plan, now: number): MaybePromise<Outcome> {
    let reserved: MaybePromise<ReserveResult>;
    try {
      reserved = this.ledger.reserve({ id, amountNanos: plan.estimate, buckets: plan.lists.buckets, now, expiresAt: now + this.reservationTtlMs });
    } catch (error: unknown) {
      return { kind: 'down', error };
    }
    if (isPromise(reserved)) return reserved.then((r) => this.decisions.outcomeOf(plan, r), (error: unknown): Outcome => ({ kind: 'down', error }));
    return this.decisions.outcomeOf(plan, reserved);
  }

  /** After the first attempt: admit, refuse, or try the fallback model. */
  private decide(req: CallRequest, first: Plan, o1: Outcome, now: number): MaybePromise<Admission> {
    if (o1.kind === 'ok') return this.decisions.admitted(req, first, o1.states, 'allow');
    if (o1.kind === 'down') return this.storeDown(req, first, o1.error);
    const blocking = o1.failures.find((f) => f.applied.budget.onExceed !== 'fallback');
    const fallbackFailure = o1.failures[0] as Failure;
    const fallbackModel = fallbackFailure.applied.budget.fallbackModel;
    if (blocking !== undefined || fallbackModel === undefined || fallbackModel === req.model) {
      throw this.decisions.deny(blocking ?? fallbackFailure, first, req.id);
    }
    const second = this.plan(req, fallbackModel, now);
    return chain(this.attempt(req, second, now), (o2): Admission => {
      if (o2.kind === 'fail') throw this.decisions.deny(o2.failures[0] as Failure, second, req.id);
      if (o2.kind === 'down') return this.storeDown(req, second, o2.error);
      this.decisions.exceeded(fallbackFailure, first, req.id, 'fallback', fallbackModel);
      return this.decisions.admitted(req, second, o2.states, 'fallback');
    });
  }

  private storeDown(req: CallRequest, plan: Plan, error: unknown): Admission {
    this.errors++;
    if (closedBudgetOf(plan.lists.applied, this.failMode) !== undefined) throw new LedgerUnavailableError(error);
    this.problems.report('store', `the store failed during admission; calls under budgets with failMode 'open' go through with no budget while it is down (set failMode 'closed' to refuse them)`, error);
    const admission = this.decisions.admitted(req, plan, [], plan.model === req.model ? 'allow' : 'fallback');
    admission.reservedNanos = 0;
    admission.enforced = false;
    return admission;
  }

  /** Records a refused call (status denied) and rethrows the refusal; anything else is our bug and is rethrown as is. */
  private refused(req: CallRequest, err: unknown): never {
    if (isRefusal(err)) {
      const call: FinishedCall = { ...req, usageSource: 'none', status: 'denied', errorType: err.name };
      this.finish(undefined, call);
    }
    throw err;
  }

  private learn(admission: Admission, settled: SettledCall): void {
    const { record } = settled;
    if (record.status === 'denied' || settled.costSource === 'estimated') return;
    // Token counts filled in from the admission (a provider cost without usage) are our own estimate, not a measurement.
    if (record.inputTokens > 0 && !this.unreported.has(settled)) this.correction.observe(admission.provider, admission.model, admission.estimatedInputTokens, record.inputTokens);
    if (settled.shortfallNanos > 0) {
      this.events.emit('reservation_shortfall', {
        callId: record.id,
        provider: record.provider,
        model: record.model,
        estimatedInputTokens: admission.estimatedInputTokens,
        reservedInputTokens: admission.inputTokens,
        actualInputTokens: record.inputTokens,
        reservedUsd: nanosToUsd(settled.reservedNanos),
        actualUsd: nanosToUsd(record.costNanos),
        shortfallUsd: nanosToUsd(settled.shortfallNanos),
        time: record.time,
      });
      this.problems.report(
        'reservation_shortfall',
        `calls of "${admission.model}" (${admission.provider}) cost more than their reservation (input under-estimated: images, files or tool schemas?); ` +
          `later reservations of this model use a learned input correction; set estimation.inputMargin to reserve more from the start`,
      );
    }
  }
}

function positive(value: number, field: string, unit: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new BudgetConfigError(field, `must be a positive number of ${unit}; got ${String(value)}`);
  return value;
}
