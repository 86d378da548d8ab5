import type { BudgetSpec } from '../core/Budget.js';
import type { Nanos } from '../core/money.js';
import { BudgetConfigError } from '../core/BudgetConfigError.js';
import type { Bucket, Ledger } from '../ledger/Ledger.js';
import { applyBudget, matchesFilters } from './budgetBucket.js';
import type { AppliedBudget, BucketContext } from './budgetBucket.js';
import { BudgetIndex } from './BudgetIndex.js';
import type { BudgetSlot } from './BudgetIndex.js';
import { ID_SCOPES, normalizeBudget } from './normalizeBudget.js';
import { PAUSE_RECORD_ID } from './PauseSwitch.js';
import type { NormalizedBudget } from './normalizeBudget.js';

/** Which budgets apply to a call, as the lists admission walks. */
export interface PlanLists {
  applied: readonly AppliedBudget[];
  /** The applied budgets that have a ledger bucket, in `buckets` order. */
  bucketed: readonly AppliedBudget[];
  buckets: Bucket[];
  hasWarn: boolean;
  /** Whether any applied budget is a request budget (checked without the ledger). */
  hasRequest: boolean;
  /** Whether any applied budget is per id (task / session / agent). */
  hasPerId: boolean;
  /** Whether any deny/fallback budget applies (bucketed or request). */
  enforced: boolean;
}

/**
 * The general budgets (all but keyed per-id ones, see BudgetIndex) matching one provider/model
 * pair, cached while the budgets and calendar windows stay the same.
 */
interface Selection {
  version: number;
  validFrom: number;
  validUntil: number;
  slots: readonly BudgetSlot[];
  /** The applied form of each slot that is not per id (undefined for per-id ones). */
  fixed: readonly (AppliedBudget | undefined)[];
  /** Whether any slot is a per-id budget (then every call works out its own lists). */
  perId: boolean;
  /** The lists of a call that no per-id budget applies to. */
  lists: PlanLists;
}

/** Per-id budgets (task/session/agent) report at most this many recently seen ids. */
const KEYS_PER_BUDGET = 100;

/**
 * The budgets in force: those from config, replaced or joined by those stored in the ledger
 * (added at run time by any process sharing the store). Works out which apply to a call.
 */
export class BudgetSet {
  private readonly budgets = new Map<string, NormalizedBudget>();
  private readonly configBudgets = new Map<string, NormalizedBudget>();
  private readonly removedConfig = new Set<string>();
  /** Counts add() / remove() calls, so that a load that raced one of them is not applied. */
  private mutations = 0;
  private version = 0;
  private readonly selections = new Map<string, Selection>();
  /** Built on first use after each change of the budgets. */
  private indexed: BudgetIndex | undefined;
  private readonly seenKeys = new Map<string, Set<string>>();

  constructor(
    private readonly ledger: Ledger,
    specs: readonly BudgetSpec[],
    private readonly onInvalidStored: (id: string, err: unknown) => void,
  ) {
    const seen = new Map<string, number>();
    specs.forEach((spec, i) => {
      const budget = normalizeBudget(spec, `budgets[${i}]`);
      const previous = seen.get(budget.id);
      if (previous !== undefined) {
        throw new BudgetConfigError(`budgets[${i}].id`, `"${budget.id}" is also the id of budgets[${previous}]; give one of them an explicit, different id`);
      }
      seen.set(budget.id, i);
      this.budgets.set(budget.id, budget);
      this.configBudgets.set(budget.id, budget);
    });
  }

  get(id: string): NormalizedBudget | undefined {
    return this.budgets.get(id);
  }

  values(): IterableIterator<NormalizedBudget> {
    return this.budgets.values();
  }

  /** Whether any budget has thresholds. */
  anyThresholds(): boolean {
    for (const b of this.budgets.values()) if (b.thresholds.length > 0) return true;
    return false;
  }

  /** Re-reads the stored budgets; they replace config budgets with the same id. */
  async load(): Promise<void> {
    const mutations = this.mutations;
    const stored = await this.ledger.listBudgets();
    if (mutations !== this.mutations) return;
    const next = new Map<string, NormalizedBudget>();
    for (const [id, budget] of this.configBudgets) if (!this.removedConfig.has(id)) next.set(id, budget);
    for (const { id, spec } of stored) {
      if (id === PAUSE_RECORD_ID) continue;
      try {
        const budget = normalizeBudget({ ...spec, id }, `stored budget "${id}"`);
        const current = this.budgets.get(budget.id);
        // Keep the same object when nothing changed: per-window work cached on it stays valid.
        next.set(budget.id, current !== undefined && JSON.stringify(current) === JSON.stringify(budget) ? current : budget);
      } catch (err: unknown) {
        this.onInvalidStored(id, err);
      }
    }
    const same = next.size === this.budgets.size && [...next].every(([id, b]) => this.budgets.get(id) === b);
    if (same) return;
    this.budgets.clear();
    for (const [id, budget] of next) this.budgets.set(id, budget);
    this.changed();
  }

  /**
   * Adds or replaces a budget and stores it in the ledger. `whenNew` runs first when no budget
   * has the id yet: before any call can charge the budget's counters, and before other
   * processes can load it (the engine seeds its counters there).
   */
  async add(spec: BudgetSpec, whenNew?: (budget: NormalizedBudget) => Promise<void>): Promise<NormalizedBudget> {
    const budget = normalizeBudget(spec, 'budget');
    if (budget.id === PAUSE_RECORD_ID) throw new BudgetConfigError('budget.id', `"${PAUSE_RECORD_ID}" is reserved for the pause switch; choose another id`);
    if (whenNew !== undefined && !this.budgets.has(budget.id)) await whenNew(budget);
    this.mutations += 1;
    this.removedConfig.delete(budget.id);
    await this.ledger.putBudget({ id: budget.id, spec: { ...budget } });
    this.budgets.set(budget.id, budget);
    this.changed();
    return { ...budget, thresholds: [...budget.thresholds] };
  }

  /** Removes a budget (stored or from config, for this process). Returns false when there was none. */
  async remove(id: string): Promise<boolean> {
    if (id === PAUSE_RECORD_ID) return false;
    this.mutations += 1;
    if (this.configBudgets.has(id)) this.removedConfig.add(id);
    const existed = this.budgets.delete(id);
    if (existed) this.changed();
    this.seenKeys.delete(id);
    const deleted = await this.ledger.deleteBudget(id);
    return deleted || existed;
  }

  /** Every budget, normalised (ids and defaults filled in). */
  list(): NormalizedBudget[] {
    return [...this.budgets.values()].map((b) => ({ ...b, thresholds: [...b.thresholds] }));
  }

  /**
   * The budgets that apply to a call of `ctx.model` now, as plan lists: the general budgets of
   * the provider/model pair, and the keyed per-id budgets looked up by the call's ids.
   */
  plan(ctx: BucketContext, now: number): PlanLists {
    const sel = this.selection(ctx.provider, ctx.model, now);
    const keyed = this.index().keyedFor(ctx);
    if (!sel.perId && keyed === undefined) return sel.lists;
    const applied = applyInOrder(sel.slots, sel.fixed, keyed, ctx, now);
    this.remember(applied);
    return listsOf(applied);
  }

  /** Every budget that applies to a record's context at its time (settling without an admission). */
  applicable(ctx: BucketContext, now: number): AppliedBudget[] {
    const cached = this.selections.get(pairKey(ctx.provider, ctx.model));
    // Which general budgets match the pair does not depend on the time: a cached selection of another window will do.
    const slots = cached !== undefined && cached.version === this.version ? cached.slots : this.selection(ctx.provider, ctx.model, now).slots;
    const out = applyInOrder(slots, undefined, this.index().keyedFor(ctx), ctx, now);
    this.remember(out);
    return out;
  }

  /** Recently seen ids of a per-id budget without a `key`, or counters (`user=alice`...) of a per-value budget (for status). */
  seen(budgetId: string): Iterable<string> {
    return this.seenKeys.get(budgetId) ?? [];
  }

  private index(): BudgetIndex {
    this.indexed ??= new BudgetIndex(this.budgets.values());
    return this.indexed;
  }

  private selection(provider: string, model: string, now: number): Selection {
    const key = pairKey(provider, model);
    const cached = this.selections.get(key);
    if (cached !== undefined && cached.version === this.version && now >= cached.validFrom && now < cached.validUntil) return cached;
    if (this.selections.size >= 1_000) this.selections.clear();
    const slots: BudgetSlot[] = [];
    const fixed: (AppliedBudget | undefined)[] = [];
    const applied: AppliedBudget[] = [];
    let validFrom = Number.NEGATIVE_INFINITY;
    let validUntil = Number.POSITIVE_INFINITY;
    const probe: BucketContext = { id: '', provider, model };
    for (const slot of this.index().general) {
      const budget = slot.budget;
      if (budget.provider !== undefined && budget.provider !== provider) continue;
      if (budget.model !== undefined && budget.model !== model) continue;
      slots.push(slot);
      if (ID_SCOPES.has(budget.scope) || budget.per !== undefined) {
        fixed.push(undefined);
        continue;
      }
      const a = applyBudget(budget, probe, now) as AppliedBudget;
      fixed.push(a);
      applied.push(a);
      // Calendar windows hold until their end; rolling, total and request budgets do not change with time.
      if (budget.window !== 'rolling' && a.windowStart !== undefined && a.windowEnd !== undefined) {
        validFrom = Math.max(validFrom, a.windowStart);
        validUntil = Math.min(validUntil, a.windowEnd);
      }
    }
    const sel: Selection = { version: this.version, validFrom, validUntil, slots, fixed, perId: applied.length < slots.length, lists: listsOf(applied) };
    this.selections.set(key, sel);
    return sel;
  }

  private changed(): void {
    this.version++;
    this.selections.clear();
    this.indexed = undefined;
  }

  private remember(applied: readonly AppliedBudget[]): void {
    for (const a of applied) {
      // A per-id budget with a `key` has one counter, which status reports without this list.
      if (a.budget.key !== undefined || (!ID_SCOPES.has(a.budget.scope) && a.budget.per === undefined)) continue;
      let keys = this.seenKeys.get(a.budget.id);
      if (keys === undefined) {
        keys = new Set();
        this.seenKeys.set(a.budget.id, keys);
      }
      keys.delete(a.key);
      keys.add(a.key);
      if (keys.size > KEYS_PER_BUDGET) keys.delete(keys.values().next().value as string);
    }
  }
}

function pairKey(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}

/**
 * The budgets of `slots` (general, in budget order; `fixed` holds the applied form of those that
 * do not depend on the call) and `keyed` (in budget order) that apply to the call, merged in
 * budget order.
 */
function applyInOrder(
  slots: readonly BudgetSlot[],
  fixed: readonly (AppliedBudget | undefined)[] | undefined,
  keyed: readonly BudgetSlot[] | undefined,
  ctx: BucketContext,
  now: number,
): AppliedBudget[] {
  const out: AppliedBudget[] = [];
  const push = (a: AppliedBudget | undefined): void => {
    if (a !== undefined) out.push(a);
  };
  let k = 0;
  const keyedCount = keyed?.length ?? 0;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i] as BudgetSlot;
    for (; k < keyedCount && (keyed?.[k] as BudgetSlot).position < slot.position; k++) push(applyLookedUp(keyed?.[k] as BudgetSlot, ctx, now));
    push(fixed?.[i] ?? applyBudget(slot.budget, ctx, now));
  }
  for (; k < keyedCount; k++) push(applyLookedUp(keyed?.[k] as BudgetSlot, ctx, now));
  return out;
}

/**
 * A budget the index looked up for the call. One with a `key` was found by that key (the call
 * carries it), so only its filters can still rule it out, and its counter is built once.
 */
function applyLookedUp(slot: BudgetSlot, ctx: BucketContext, now: number): AppliedBudget | undefined {
  if (slot.budget.key === undefined) return applyBudget(slot.budget, ctx, now);
  if (!matchesFilters(slot.budget, ctx)) return undefined;
  slot.applied ??= applyBudget(slot.budget, ctx, now);
  return slot.applied;
}

/** A plan's lists for the applied budgets (in budget order). */
export function listsOf(applied: readonly AppliedBudget[]): PlanLists {
  const bucketed = applied.filter((a) => a.bucket !== undefined);
  return {
    applied,
    bucketed,
    buckets: bucketed.map((a) => a.bucket as Bucket),
    hasWarn: applied.some((a) => a.budget.onExceed === 'warn'),
    hasRequest: applied.some((a) => a.bucket === undefined),
    hasPerId: applied.some((a) => ID_SCOPES.has(a.budget.scope)),
    enforced: applied.some((a) => a.budget.onExceed !== 'warn'),
  };
}

/** The tightest enforced request-scope limit among the applied budgets. */
export function requestLimitOf(lists: PlanLists, include: (budget: NormalizedBudget) => boolean = () => true): Nanos | undefined {
  let limit: Nanos | undefined;
  for (const a of lists.applied) {
    if (a.bucket === undefined && a.budget.onExceed !== 'warn' && include(a.budget)) limit = Math.min(limit ?? a.limitNanos, a.limitNanos);
  }
  return limit;
}
