import { diag } from '@opentelemetry/api';
import { EventBus } from '../events/EventBus.js';
import type { Bucket, BucketState, Ledger, ReserveResult } from '../ledger/Ledger.js';
import type { MaybePromise } from '../core/maybePromise.js';
import type { Nanos } from '../core/money.js';
import type { UsageRecord } from '../core/UsageRecord.js';
import { nanosToUsd } from '../core/money.js';
import type { BudgetSpec } from '../core/Budget.js';
import { BudgetConfigError } from '../core/BudgetConfigError.js';
import { BudgetExceededError } from '../core/BudgetExceededError.js';
import { applyBudget, counterKeyOf } from './budgetBucket.js';
import type { AppliedBudget, BucketContext } from './budgetBucket.js';
import { LedgerUnavailableError } from '../core/LedgerUnavailableError.js';
import { chain, isPromise } from '../core/maybePromise.js';
import { ID_SCOPES, normalizeBudget } from './normalizeBudget.js';
import type { NormalizedBudget } from './normalizeBudget.js';

/** Who a call is for. */
export interface CallContext {
  /** Unique per call (the span id); the reservation and the usage record use it. */
  id: string;
  provider: string;
  /** The model the caller asked for. */
  model: string;
  operation?: string;
  task?: string;
  session?: string;
  agent?: string;
}

export interface AdmissionRequest extends CallContext {
  /** Worst-case cost of this call if sent with `model` (the engine calls it for the fallback model too). */
  estimateNanos(model: string): Nanos;
}

/** A call the engine let through. */
export interface Admission {
  /** The call id (= reservation id = usage record id). */
  id: string;
  /** allow: fits; warn: over a warn budget, allowed; fallback: send with `model` instead of `requestedModel`. */
  decision: 'allow' | 'warn' | 'fallback';
  /** The model to send the call with. */
  model: string;
  requestedModel: string;
  /** Reserved in the ledger (the worst-case estimate for `model`); 0 when no ledger budget applies. */
  reservedNanos: Nanos;
  /** The ledger counters the call is charged to on settle. */
  buckets: Bucket[];
  /** The tightest deny/fallback request-scope limit that applies, if any. */
  requestLimitNanos?: Nanos;
}

export interface BudgetEngineOptions {
  ledger: Ledger;
  /** Budgets from configuration (not stored in the ledger). Default none. */
  budgets?: BudgetSpec[];
  /** Epoch ms now. Default `Date.now`. */
  clock?: () => number;
  /** Where `budget_exceeded` and `threshold` events go. Default a private EventBus (see `events`). */
  events?: EventBus;
  /** How long an unsettled reservation holds budget, ms. Default 600000 (10 min). */
  reservationTtlMs?: number;
  /**
   * When the ledger fails during admission: 'open' lets the call through unbudgeted
   * (diag.warn, counted in `errorCount`); 'closed' refuses it with LedgerUnavailableError.
   * Default 'open'.
   */
  failMode?: 'open' | 'closed';
}

/** One budget's counter at a moment. */
export interface BudgetStatus {
  budget: NormalizedBudget;
  /** 'global', or a task / session / agent id. */
  key: string;
  spentUsd: number;
  reservedUsd: number;
  limitUsd: number;
  /** max(0, limit - spent - reserved). */
  remainingUsd: number;
  /** Calendar windows: [windowStart, windowEnd). Rolling: (now - length, now]. Absent for task/session/agent/total. */
  windowStart?: number;
  windowEnd?: number;
}

/** The thresholds already announced for one bucket (budget, key and window). */
interface FiredThresholds {
  expiresAt: number | undefined;
  rolling: boolean;
  thresholds: Set<number>;
  /** Calendar and fixed windows: spend below this crosses no threshold not yet announced (checked without a loop). */
  nextNanos: number;
  /** The budget and limit `nextNanos` was worked out for (a budget replaced at run time invalidates it). */
  budget: NormalizedBudget | undefined;
  limitNanos: number;
}

const DEFAULT_RESERVATION_TTL_MS = 600_000;
/** Per-id budgets (task/session/agent) report at most this many recently seen ids in status(). */
const STATUS_KEYS_PER_BUDGET = 100;
const FIRED_SWEEP_SIZE = 10_000;

/** Which budgets apply to a call, as the lists admission walks. */
interface PlanLists {
  applied: readonly AppliedBudget[];
  /** The applied budgets that have a ledger bucket, in `buckets` order. */
  bucketed: readonly AppliedBudget[];
  buckets: Bucket[];
  /** Whether any applied budget is a warn budget, and whether any is a request budget (checks a plain allow can skip). */
  hasWarn: boolean;
  hasRequest: boolean;
  /** Whether any applied budget is per id (task / session / agent), whose ids status() lists. */
  hasPerId: boolean;
}

/** One admission attempt: the model, its worst-case estimate, and the budgets that apply (shared with the cached selection). */
interface Plan {
  model: string;
  estimate: Nanos;
  lists: PlanLists;
}

/**
 * The budgets that apply to calls of one provider/model pair, worked out once and reused
 * while the budgets and the calendar windows stay the same. Per-id budgets (task, session,
 * agent) are applied per call (`fixed` holds undefined for them); without any, `lists` serve
 * every call as they are.
 */
interface Selection {
  version: number;
  /** The cached applied counters hold for `now` in [validFrom, validUntil). */
  validFrom: number;
  validUntil: number;
  /** Every budget matching the provider/model filters, in budget order. */
  budgets: readonly NormalizedBudget[];
  /** The applied form of each of `budgets` that is not per id (undefined for per-id ones). */
  fixed: readonly (AppliedBudget | undefined)[];
  /** For selections without per-id budgets (hasPerId false): the plan's lists. */
  lists: PlanLists;
}

/** Selections kept per engine before the cache is cleared (provider/model pairs are few). */
const SELECTION_CACHE_LIMIT = 1_000;

interface Failure {
  applied: AppliedBudget;
  /** Settled + reserved before this call. */
  usedNanos: Nanos;
}

/** A reservation that went through is the ledger's own answer (no wrapper to allocate per call). */
type Outcome =
  | { kind?: undefined; ok: true; states: BucketState[] }
  | { kind: 'fail'; failures: Failure[] }
  | { kind: 'down'; error: unknown };

const NO_BUCKETS: Outcome = { ok: true, states: [] };

/**
 * Decides, for every call, which budgets apply, reserves its worst-case cost in all of
 * them at once (one `ledger.reserve`), and charges the real cost when it ends.
 *
 * With a synchronous ledger (memory, SQLite) every method answers synchronously, so a
 * deny can be thrown out of `SpanProcessor.onStart`; with Redis they return promises.
 */
export class BudgetEngine {
  /** Where `budget_exceeded` and `threshold` events are emitted. */
  readonly events: EventBus;
  readonly failMode: 'open' | 'closed';
  private readonly ledger: Ledger;
  private readonly clock: () => number;
  private readonly reservationTtlMs: number;
  private readonly budgets = new Map<string, NormalizedBudget>();
  /** The budgets from config; stored budgets with the same id replace them. */
  private readonly configBudgets = new Map<string, NormalizedBudget>();
  /** Config budgets removed at run time (for this process). */
  private readonly removedConfig = new Set<string>();
  /** Counts add() / remove() calls, so that a refresh that raced one of them is not applied. */
  private mutations = 0;
  private readonly fired = new Map<string, FiredThresholds>();
  private readonly seenKeys = new Map<string, Set<string>>();
  private errors = 0;
  /** Bumped whenever the set of budgets changes: cached selections of an older version are stale. */
  private version = 0;
  /** provider → model → the budgets that apply to such calls. */
  private readonly selections = new Map<string, Map<string, Selection>>();
  private selectionCount = 0;
  /** Whether any budget has thresholds (settle skips the checks when none has). */
  private anyThresholds = false;

  constructor(options: BudgetEngineOptions) {
    if (options.ledger === undefined || options.ledger === null) {
      throw new BudgetConfigError('ledger', 'is required (e.g. openLedgerSync("memory:"))');
    }
    this.ledger = options.ledger;
    this.clock = options.clock ?? Date.now;
    this.events = options.events ?? new EventBus();
    this.reservationTtlMs = options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
    if (!Number.isFinite(this.reservationTtlMs) || this.reservationTtlMs <= 0) {
      throw new BudgetConfigError('reservationTtlMs', `must be a positive number of ms; got ${String(options.reservationTtlMs)}`);
    }
    this.failMode = options.failMode ?? 'open';
    if (this.failMode !== 'open' && this.failMode !== 'closed') {
      throw new BudgetConfigError('failMode', `must be 'open' or 'closed'; got ${JSON.stringify(options.failMode)}`);
    }
    const seen = new Map<string, number>();
    (options.budgets ?? []).forEach((spec, i) => {
      const budget = normalizeBudget(spec, `budgets[${i}]`);
      const previous = seen.get(budget.id);
      if (previous !== undefined) {
        throw new BudgetConfigError(
          `budgets[${i}].id`,
          `"${budget.id}" is also the id of budgets[${previous}]; give one of them an explicit, different id`,
        );
      }
      seen.set(budget.id, i);
      this.budgets.set(budget.id, budget);
      this.configBudgets.set(budget.id, budget);
    });
    this.budgetsChanged();
  }

  /** Ledger calls that failed (admissions let through under failMode 'open', failed settles). */
  get errorCount(): number {
    return this.errors;
  }

  /**
   * Loads the budgets stored in the ledger (runtime-added ones, from any process sharing the
   * store); they replace config budgets with the same id. Called again, it refreshes: budgets
   * added or removed elsewhere appear or go. A refresh that raced an add() or remove() of this
   * process is dropped (the next one applies).
   */
  load(): MaybePromise<void> {
    const mutations = this.mutations;
    return chain(this.ledger.listBudgets(), (stored) => {
      if (mutations !== this.mutations) return;
      const next = new Map<string, NormalizedBudget>();
      for (const [id, budget] of this.configBudgets) if (!this.removedConfig.has(id)) next.set(id, budget);
      for (const { id, spec } of stored) {
        try {
          const budget = normalizeBudget({ ...spec, id }, `stored budget "${id}"`);
          const current = this.budgets.get(budget.id);
          // Keep the same object when nothing changed: per-window work cached on it stays valid.
          next.set(budget.id, current !== undefined && JSON.stringify(current) === JSON.stringify(budget) ? current : budget);
        } catch (err: unknown) {
          diag.warn(`tollgate: ignoring an invalid budget stored in the ledger`, err);
        }
      }
      const same = next.size === this.budgets.size && [...next].every(([id, b]) => this.budgets.get(id) === b);
      if (same) return;
      this.budgets.clear();
      for (const [id, budget] of next) this.budgets.set(id, budget);
      this.budgetsChanged();
    });
  }

  /**
   * Decides a call and reserves its worst case. Throws (synchronous ledger) or rejects
   * (asynchronous ledger) with BudgetExceededError on deny, and with LedgerUnavailableError
   * when the ledger fails under failMode 'closed'.
   */
  admit(req: AdmissionRequest): MaybePromise<Admission> {
    const now = this.clock();
    const first = this.plan(req, req.model, req.estimateNanos(req.model), now);
    const outcome = this.tryPlan(first, req.id, now);
    return isPromise(outcome) ? outcome.then((o) => this.decide(req, first, o, now)) : this.decide(req, first, outcome, now);
  }

  /** After the first reservation attempt: admit, deny, or try the fallback model. */
  private decide(req: AdmissionRequest, first: Plan, o1: Outcome, now: number): MaybePromise<Admission> {
    if (o1.kind === undefined) return this.admitted(req, first, o1.states, 'allow', now);
    if (o1.kind === 'down') return this.ledgerDown(req, first, o1.error);
    const blocking = o1.failures.find((f) => f.applied.budget.onExceed !== 'fallback');
    const fallbackFailure = o1.failures[0] as Failure;
    const fallbackModel = fallbackFailure.applied.budget.fallbackModel;
    if (blocking !== undefined || fallbackModel === undefined || fallbackModel === req.model) {
      throw this.deny(blocking ?? fallbackFailure, first, req.id, now);
    }
    const second = this.plan(req, fallbackModel, req.estimateNanos(fallbackModel), now);
    return chain(this.tryPlan(second, req.id, now), (o2): MaybePromise<Admission> => {
      if (o2.kind === 'fail') throw this.deny(o2.failures[0] as Failure, second, req.id, now);
      if (o2.kind === 'down') return this.ledgerDown(req, second, o2.error);
      this.emitExceeded(fallbackFailure, first, req.id, 'fallback', now, fallbackModel);
      return this.admitted(req, second, o2.states, 'fallback', now);
    });
  }

  /**
   * Charges a settled record against the admission's buckets (or, without an admission,
   * the buckets its context maps to at `record.time`), releases the rest of the
   * reservation, and emits threshold events. Rejects/throws when the ledger fails.
   */
  settle(admission: Admission | undefined, record: UsageRecord): MaybePromise<void> {
    let buckets: Bucket[];
    if (admission !== undefined) {
      buckets = admission.buckets;
    } else if (record.costNanos === 0) {
      buckets = [];
    } else {
      const ctx: BucketContext = { id: record.id, provider: record.provider, model: record.model };
      if (record.task !== undefined) ctx.task = record.task;
      if (record.session !== undefined) ctx.session = record.session;
      if (record.agent !== undefined) ctx.agent = record.agent;
      const applied = this.applicable(ctx, record.time);
      this.remember(applied);
      buckets = applied.flatMap((a) => (a.bucket === undefined ? [] : [a.bucket]));
    }
    let settled: MaybePromise<BucketState[]>;
    try {
      settled = this.ledger.settle(record, buckets);
    } catch (err: unknown) {
      this.errors++;
      throw err;
    }
    if (isPromise(settled)) {
      return settled.then(
        (states) => this.checkThresholds(buckets, states),
        (err: unknown) => {
          this.errors++;
          throw err;
        },
      );
    }
    this.checkThresholds(buckets, settled);
  }

  /** Drops the admission's reservation without charging anything. */
  release(admission: Admission): MaybePromise<void> {
    return this.ledger.release(admission.id);
  }

  /**
   * Adds (or replaces, same id) a budget at run time and stores it in the ledger, so it
   * survives restarts. Throws BudgetConfigError naming the invalid field.
   */
  add(spec: BudgetSpec): MaybePromise<NormalizedBudget> {
    const budget = normalizeBudget(spec, 'budget');
    this.mutations += 1;
    this.removedConfig.delete(budget.id);
    const stored: Record<string, unknown> = { ...budget };
    return chain(this.ledger.putBudget({ id: budget.id, spec: stored }), () => {
      this.budgets.set(budget.id, budget);
      this.budgetsChanged();
      return { ...budget, thresholds: [...budget.thresholds] };
    });
  }

  /** Removes a budget (config or runtime). False when no such budget existed. */
  remove(id: string): MaybePromise<boolean> {
    this.mutations += 1;
    if (this.configBudgets.has(id)) this.removedConfig.add(id);
    const existed = this.budgets.delete(id);
    if (existed) this.budgetsChanged();
    this.seenKeys.delete(id);
    return chain(this.ledger.deleteBudget(id), (deleted) => deleted || existed);
  }

  /** Every budget, normalised (ids and defaults filled in). */
  list(): NormalizedBudget[] {
    return [...this.budgets.values()].map((b) => ({ ...b, thresholds: [...b.thresholds] }));
  }

  /**
   * Spend, reservations, limit and remaining of every budget at `now`. Request budgets
   * have no counter and are left out. Per-id budgets (task/session/agent) report the id
   * given in `filter`, their `key`, or the ids this process saw most recently (up to 100).
   */
  status(filter: { task?: string; session?: string; agent?: string } = {}): MaybePromise<BudgetStatus[]> {
    const now = this.clock();
    const applied: AppliedBudget[] = [];
    for (const budget of this.budgets.values()) {
      if (budget.scope === 'request') continue;
      let keys: Iterable<string> = ['global'];
      if (ID_SCOPES.has(budget.scope)) {
        const scope = budget.scope as 'task' | 'session' | 'agent';
        const wanted = filter[scope];
        keys = wanted !== undefined ? [wanted] : budget.key !== undefined ? [budget.key] : (this.seenKeys.get(budget.id) ?? []);
      }
      for (const key of keys) {
        const ctx: BucketContext = { id: 'status', provider: budget.provider ?? '', model: budget.model ?? '' };
        if (ID_SCOPES.has(budget.scope)) ctx[budget.scope as 'task' | 'session' | 'agent'] = key;
        const a = applyBudget(budget, ctx, now);
        if (a?.bucket !== undefined) applied.push(a);
      }
    }
    if (applied.length === 0) return [];
    return chain(this.ledger.bucketStates(applied.map((a) => a.bucket as Bucket), now), (states) =>
      states.map((s, i) => {
        const a = applied[i] as AppliedBudget;
        const status: BudgetStatus = {
          budget: { ...a.budget, thresholds: [...a.budget.thresholds] },
          key: a.key,
          spentUsd: nanosToUsd(s.spentNanos),
          reservedUsd: nanosToUsd(s.reservedNanos),
          limitUsd: nanosToUsd(a.limitNanos),
          remainingUsd: nanosToUsd(Math.max(0, a.limitNanos - s.spentNanos - s.reservedNanos)),
        };
        if (a.windowStart !== undefined) status.windowStart = a.windowStart;
        if (a.windowEnd !== undefined) status.windowEnd = a.windowEnd;
        return status;
      }),
    );
  }

  private applicable(ctx: BucketContext, now: number): AppliedBudget[] {
    const out: AppliedBudget[] = [];
    for (const budget of this.budgets.values()) {
      const a = applyBudget(budget, ctx, now);
      if (a !== undefined) out.push(a);
    }
    return out;
  }

  private plan(ctx: CallContext, model: string, rawEstimate: Nanos, now: number): Plan {
    if (!Number.isFinite(rawEstimate) || rawEstimate < 0) {
      throw new RangeError(`tollgate: estimateNanos(${JSON.stringify(model)}) must return a non-negative number of nanos; got ${String(rawEstimate)}`);
    }
    // Money in the ledger is integer nanos; a fractional estimate is rounded up (worst case).
    const estimate = Math.ceil(rawEstimate);
    const sel = this.selection(ctx.provider, model, now);
    if (!sel.lists.hasPerId) return { model, estimate, lists: sel.lists };
    // Per-id budgets apply per call (their counter is the call's task / session / agent id).
    const bucketCtx: BucketContext = { id: ctx.id, provider: ctx.provider, model };
    if (ctx.task !== undefined) bucketCtx.task = ctx.task;
    if (ctx.session !== undefined) bucketCtx.session = ctx.session;
    if (ctx.agent !== undefined) bucketCtx.agent = ctx.agent;
    const applied: AppliedBudget[] = [];
    sel.budgets.forEach((budget, i) => {
      const a = sel.fixed[i] ?? applyBudget(budget, bucketCtx, now);
      if (a !== undefined) applied.push(a);
    });
    return { model, estimate, lists: listsOf(applied) };
  }

  /** The budgets that apply to calls of this provider and model now (cached; see Selection). */
  private selection(provider: string, model: string, now: number): Selection {
    let byModel = this.selections.get(provider);
    const cached = byModel?.get(model);
    if (cached !== undefined && cached.version === this.version && now >= cached.validFrom && now < cached.validUntil) return cached;
    if (this.selectionCount >= SELECTION_CACHE_LIMIT) {
      this.selections.clear();
      this.selectionCount = 0;
      byModel = undefined;
    }
    const budgets: NormalizedBudget[] = [];
    const fixed: (AppliedBudget | undefined)[] = [];
    let validFrom = Number.NEGATIVE_INFINITY;
    let validUntil = Number.POSITIVE_INFINITY;
    // Provider and model filters only: the id fields matter to per-id budgets alone.
    const probe: BucketContext = { id: '', provider, model };
    for (const budget of this.budgets.values()) {
      if (budget.provider !== undefined && budget.provider !== provider) continue;
      if (budget.model !== undefined && budget.model !== model) continue;
      budgets.push(budget);
      if (ID_SCOPES.has(budget.scope)) {
        fixed.push(undefined);
        continue;
      }
      const a = applyBudget(budget, probe, now) as AppliedBudget;
      fixed.push(a);
      // Calendar windows hold until their end; rolling, total and request budgets do not change with time.
      if (budget.window !== 'rolling' && a.windowStart !== undefined && a.windowEnd !== undefined) {
        validFrom = Math.max(validFrom, a.windowStart);
        validUntil = Math.min(validUntil, a.windowEnd);
      }
    }
    const lists = fixed.includes(undefined) ? { ...listsOf([]), hasPerId: true } : listsOf(fixed as AppliedBudget[]);
    const sel: Selection = { version: this.version, validFrom, validUntil, budgets, fixed, lists };
    if (byModel === undefined) {
      byModel = new Map();
      this.selections.set(provider, byModel);
    }
    if (!byModel.has(model)) this.selectionCount++;
    byModel.set(model, sel);
    return sel;
  }

  /** The set of budgets changed: cached selections are stale, and which budgets have thresholds may differ. */
  private budgetsChanged(): void {
    this.version++;
    this.selections.clear();
    this.selectionCount = 0;
    this.anyThresholds = [...this.budgets.values()].some((b) => b.thresholds.length > 0);
  }

  /** Request budgets first (no ledger needed), then one atomic reservation in every bucket. */
  private tryPlan(plan: Plan, id: string, now: number): MaybePromise<Outcome> {
    if (plan.lists.hasRequest) {
      const requestFailures = plan.lists.applied
        .filter((a) => a.bucket === undefined && a.budget.onExceed !== 'warn' && plan.estimate > a.limitNanos)
        .map((applied) => ({ applied, usedNanos: 0 }));
      if (requestFailures.length > 0) return { kind: 'fail', failures: requestFailures };
    }
    if (plan.lists.buckets.length === 0) return NO_BUCKETS;
    let reserved: MaybePromise<ReserveResult>;
    try {
      reserved = this.ledger.reserve({ id, amountNanos: plan.estimate, buckets: plan.lists.buckets, now, expiresAt: now + this.reservationTtlMs });
    } catch (error: unknown) {
      return { kind: 'down', error };
    }
    if (isPromise(reserved)) {
      return reserved.then(
        (result) => outcomeOf(plan, result),
        (error: unknown): Outcome => ({ kind: 'down', error }),
      );
    }
    return outcomeOf(plan, reserved);
  }

  private admitted(req: AdmissionRequest, plan: Plan, states: BucketState[], decision: 'allow' | 'fallback', now: number): Admission {
    let warned = false;
    if (plan.lists.hasWarn) {
      for (const applied of plan.lists.applied) {
        if (applied.budget.onExceed !== 'warn') continue;
        if (applied.bucket === undefined) {
          if (plan.estimate > applied.limitNanos) {
            this.emitExceeded({ applied, usedNanos: 0 }, plan, req.id, 'warn', now);
            warned = true;
          }
          continue;
        }
        const s = states[plan.lists.bucketed.indexOf(applied)];
        if (s !== undefined && s.spentNanos + s.reservedNanos > s.limitNanos) {
          this.emitExceeded({ applied, usedNanos: s.spentNanos + s.reservedNanos - plan.estimate }, plan, req.id, 'warn', now);
          warned = true;
        }
      }
    }
    if (plan.lists.hasPerId) this.remember(plan.lists.applied);
    const admission: Admission = {
      id: req.id,
      decision: decision === 'fallback' ? 'fallback' : warned ? 'warn' : 'allow',
      model: plan.model,
      requestedModel: req.model,
      reservedNanos: plan.lists.buckets.length > 0 ? plan.estimate : 0,
      buckets: plan.lists.buckets,
    };
    if (plan.lists.hasRequest) {
      const requestLimit = requestLimitOf(plan);
      if (requestLimit !== undefined) admission.requestLimitNanos = requestLimit;
    }
    return admission;
  }

  private ledgerDown(req: AdmissionRequest, plan: Plan, error: unknown): Admission {
    this.errors++;
    if (this.failMode === 'closed') throw new LedgerUnavailableError(error);
    diag.warn(`tollgate: the budget ledger is unavailable; call ${req.id} goes through unbudgeted (failMode 'open')`, error);
    const admission: Admission = {
      id: req.id,
      decision: plan.model === req.model ? 'allow' : 'fallback',
      model: plan.model,
      requestedModel: req.model,
      reservedNanos: 0,
      buckets: plan.lists.buckets,
    };
    const requestLimit = requestLimitOf(plan);
    if (requestLimit !== undefined) admission.requestLimitNanos = requestLimit;
    return admission;
  }

  private deny(failure: Failure, plan: Plan, callId: string, now: number): BudgetExceededError {
    const { budget, limitNanos } = failure.applied;
    this.emitExceeded(failure, plan, callId, 'deny', now);
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

  private emitExceeded(
    failure: Failure,
    plan: Plan,
    callId: string,
    action: 'deny' | 'warn' | 'fallback',
    now: number,
    fallbackModel?: string,
  ): void {
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
      time: now,
    });
  }

  /**
   * Emits each threshold once per budget, key and window (rolling windows re-arm when spend
   * falls back under it), from the bucket states the settlement returned.
   */
  private checkThresholds(buckets: readonly Bucket[], states: readonly BucketState[]): void {
    if (!this.anyThresholds || buckets.length === 0) return;
    try {
      for (let i = 0; i < buckets.length; i++) {
        const bucket = buckets[i] as Bucket;
        const s = states[i];
        const budget = this.budgets.get(bucket.budgetId);
        if (budget === undefined || s === undefined || budget.thresholds.length === 0) continue;
        let entry = this.fired.get(bucket.key);
        if (entry === undefined) {
          entry = {
            expiresAt: bucket.expiresAt,
            rolling: bucket.rollingMs !== undefined,
            thresholds: new Set(),
            nextNanos: 0,
            budget: undefined,
            limitNanos: 0,
          };
          this.fired.set(bucket.key, entry);
        }
        // The common case: spend still under the next threshold of a window that only grows.
        if (!entry.rolling && entry.budget === budget && entry.limitNanos === bucket.limitNanos && s.spentNanos < entry.nextNanos) continue;
        let next = Number.POSITIVE_INFINITY;
        for (const t of budget.thresholds) {
          const crossed = s.spentNanos >= t * bucket.limitNanos;
          if (crossed && !entry.thresholds.has(t)) {
            entry.thresholds.add(t);
            this.events.emit('threshold', {
              budgetId: budget.id,
              scope: budget.scope,
              key: counterKeyOf(bucket.key),
              threshold: t,
              spentUsd: nanosToUsd(s.spentNanos),
              limitUsd: nanosToUsd(bucket.limitNanos),
              time: this.clock(),
            });
          } else if (!crossed && entry.rolling) {
            entry.thresholds.delete(t);
          }
          if (!entry.thresholds.has(t)) next = Math.min(next, t * bucket.limitNanos);
        }
        entry.nextNanos = next;
        entry.budget = budget;
        entry.limitNanos = bucket.limitNanos;
      }
      if (this.fired.size > FIRED_SWEEP_SIZE) {
        const now = this.clock();
        for (const [key, entry] of this.fired) {
          if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.fired.delete(key);
        }
      }
    } catch (err: unknown) {
      // A failing event listener must not fail the settlement that was already stored.
      diag.warn('tollgate: checking budget thresholds failed', err);
    }
  }

  /** Keeps the most recent ids of per-id budgets, for status(). */
  private remember(applied: readonly AppliedBudget[]): void {
    for (const a of applied) {
      if (!ID_SCOPES.has(a.budget.scope)) continue;
      let keys = this.seenKeys.get(a.budget.id);
      if (keys === undefined) {
        keys = new Set();
        this.seenKeys.set(a.budget.id, keys);
      }
      keys.delete(a.key);
      keys.add(a.key);
      if (keys.size > STATUS_KEYS_PER_BUDGET) keys.delete(keys.values().next().value as string);
    }
  }
}

/** A plan's lists for the applied budgets (in budget order). */
function listsOf(applied: readonly AppliedBudget[]): PlanLists {
  const bucketed = applied.filter((a) => a.bucket !== undefined);
  return {
    applied,
    bucketed,
    buckets: bucketed.map((a) => a.bucket as Bucket),
    hasWarn: applied.some((a) => a.budget.onExceed === 'warn'),
    hasRequest: applied.some((a) => a.bucket === undefined),
    hasPerId: applied.some((a) => ID_SCOPES.has(a.budget.scope)),
  };
}

/** The reservation's answer as an outcome: which enforced buckets the estimate did not fit. */
function outcomeOf(plan: Plan, result: ReserveResult): Outcome {
  if (result.ok) return result;
  const failures: Failure[] = [];
  plan.lists.bucketed.forEach((applied, i) => {
    const s = result.states[i];
    if (s === undefined || !(applied.bucket as Bucket).enforce) return;
    if (s.spentNanos + s.reservedNanos + plan.estimate > s.limitNanos) {
      failures.push({ applied, usedNanos: s.spentNanos + s.reservedNanos });
    }
  });
  if (failures.length === 0) {
    const applied = plan.lists.bucketed.find((a) => a.bucket?.key === result.failed.key) ?? (plan.lists.bucketed[0] as AppliedBudget);
    failures.push({ applied, usedNanos: result.failed.spentNanos + result.failed.reservedNanos });
  }
  return { kind: 'fail', failures };
}

/** The counter key a budget decision names: a request budget's counter is the call itself. */
function keyOf(applied: AppliedBudget, callId: string): string {
  return applied.budget.scope === 'request' ? callId : applied.key;
}

function requestLimitOf(plan: Plan): Nanos | undefined {
  let limit: Nanos | undefined;
  for (const a of plan.lists.applied) {
    if (a.bucket === undefined && a.budget.onExceed !== 'warn') limit = Math.min(limit ?? a.limitNanos, a.limitNanos);
  }
  return limit;
}
