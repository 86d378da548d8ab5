import { BudgetExceededError } from '../core/BudgetExceededError.js';
import type { EventBus } from '../events/EventBus.js';
import type { Ledger } from '../ledger/Ledger.js';

/**
 * The id under which the pause is stored with the budgets (`Ledger.putBudget`). Reserved: a
 * budget cannot use it, `BudgetSet` never reads it as a budget, and a refused call's
 * `BudgetExceededError.budgetId` is this id.
 */
export const PAUSE_RECORD_ID = 'tollgate:pause';

/** Whether calls are paused, why and since when (epoch ms). */
export interface PauseState {
  paused: boolean;
  reason?: string;
  since?: number;
}

/** The largest reason kept, characters. */
const MAX_REASON_LENGTH = 500;

/**
 * The kill switch: while paused, the engine refuses every admission with a
 * `BudgetExceededError` whose `budgetId` is `PAUSE_RECORD_ID` (scope 'total', key 'global',
 * action 'deny'), so instrumentations and the fetch guard handle it as any other deny.
 *
 * The state is stored in the ledger beside the budgets, so every process sharing the store
 * obeys it once it has re-read the stored budgets (`BudgetEngine.load`, every
 * `budgetRefreshMs` in `createTollgate`); the process that pauses obeys at once.
 */
export class PauseSwitch {
  private state: { reason: string; since: number } | undefined;
  /** Counts pause() / resume() calls, so that a load that raced one of them is not applied. */
  private mutations = 0;

  constructor(
    private readonly ledger: Ledger,
    private readonly clock: () => number,
    private readonly events: EventBus,
  ) {}

  /** True while calls are refused. Read on every admission: no store access. */
  get paused(): boolean {
    return this.state !== undefined;
  }

  /** The current state, as data. */
  current(): PauseState {
    return this.state === undefined ? { paused: false } : { paused: true, ...this.state };
  }

  /** Refuses every call from now on, here and (after their next budget refresh) in every process sharing the store. */
  async pause(reason = 'paused'): Promise<PauseState> {
    const text = String(reason).trim().slice(0, MAX_REASON_LENGTH) || 'paused';
    const state = { reason: text, since: this.clock() };
    this.mutations++;
    await this.ledger.putBudget({ id: PAUSE_RECORD_ID, spec: { paused: true, ...state } });
    this.state = state;
    return this.current();
  }

  /** Admits calls again. Resolves to false when calls were not paused. */
  async resume(): Promise<boolean> {
    this.mutations++;
    const deleted = await this.ledger.deleteBudget(PAUSE_RECORD_ID);
    const was = this.state !== undefined;
    this.state = undefined;
    return deleted || was;
  }

  /** Re-reads the stored state (another process may have paused or resumed). */
  async load(): Promise<void> {
    const mutations = this.mutations;
    const stored = (await this.ledger.listBudgets()).find((b) => b.id === PAUSE_RECORD_ID);
    if (mutations !== this.mutations) return;
    if (stored === undefined || stored.spec.paused !== true) {
      this.state = undefined;
      return;
    }
    const reason = typeof stored.spec.reason === 'string' ? stored.spec.reason : 'paused';
    const since = typeof stored.spec.since === 'number' ? stored.spec.since : this.clock();
    this.state = { reason, since };
  }

  /** The refusal of a call while paused; emits `budget_exceeded` (action deny) like any deny. */
  refusal(callId: string, model?: string): BudgetExceededError {
    const reason = this.state?.reason ?? 'paused';
    const details = { budgetId: PAUSE_RECORD_ID, scope: 'total' as const, key: 'global', spentUsd: 0, limitUsd: 0, attemptedUsd: 0, action: 'deny' as const };
    this.events.emit('budget_exceeded', { ...details, ...(model !== undefined ? { model } : {}), time: this.clock() });
    return new BudgetExceededError(
      { ...details, ...(model !== undefined ? { model } : {}) },
      `tollgate: calls are paused (${reason}); call ${callId} was refused. Resume with POST /v1/resume or tollgate.budgets.killSwitch.resume()`,
    );
  }
}
