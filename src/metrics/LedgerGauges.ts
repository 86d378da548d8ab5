import { diag } from '@opentelemetry/api';
import { Gauge } from 'prom-client';
import { METRIC_BUDGET_REMAINING_USD, METRIC_DAILY_COST_REMAINING_USD, METRIC_DAILY_COST_USD } from './MetricNames.js';
import type { BudgetStatusSource, BudgetStatusView, DailySpendSource } from './MetricSources.js';
import type { MetricsSetup } from './TollgateMetricsOptions.js';

/**
 * The gauges that describe the ledger: `daily_cost_remaining_usd`, `budget_remaining_usd`
 * and `daily_cost_usd`. They are read from their sources at scrape time (so they are right
 * after a restart and across replicas), each source once per scrape. A source that fails is
 * logged and counted through `onError`, and its gauges are left out of that scrape.
 */
export class LedgerGauges {
  private budgetSource: BudgetStatusSource | undefined;
  private dailySpendSource: DailySpendSource | undefined;
  /** One read of each source per scrape, shared by the gauges that need it. */
  private budgetRead: Promise<readonly BudgetStatusView[] | undefined> | undefined;
  private dailySpendRead: Promise<number | undefined> | undefined;

  /** `onError` is called once per failed read of a source. */
  constructor(
    setup: MetricsSetup,
    private readonly onError: () => void,
  ) {
    const { name, registers } = setup;
    const dailyRemaining: Gauge = new Gauge({
      name: name(METRIC_DAILY_COST_REMAINING_USD),
      help: 'USD left today under the tightest daily budget (absent when no daily budget is configured).',
      registers,
      collect: async () => {
        const statuses = await this.readBudgets();
        dailyRemaining.reset();
        const daily = (statuses ?? []).filter((s) => s.budget.scope === 'daily');
        if (daily.length === 0) {
          dailyRemaining.remove({});
          return;
        }
        dailyRemaining.set(Math.min(...daily.map((s) => s.remainingUsd)));
      },
    });
    const keyFold = setup.folds.fold(METRIC_BUDGET_REMAINING_USD);
    const budgetRemaining: Gauge<'budget' | 'scope' | 'key'> = new Gauge({
      name: name(METRIC_BUDGET_REMAINING_USD),
      help: 'USD left under each budget and key in its current window (keys past the label cap share "_other", the least left among them).',
      labelNames: ['budget', 'scope', 'key'],
      registers,
      collect: async () => {
        const statuses = await this.readBudgets();
        budgetRemaining.reset();
        // Keys past the cap share the `_other` series, which shows the least USD left among them.
        const values = new Map<string, { labels: { budget: string; scope: string; key: string }; usd: number }>();
        for (const s of statuses ?? []) {
          const { key } = keyFold.values({ key: s.key });
          const id = `${s.budget.id}\u0000${s.budget.scope}\u0000${key}`;
          const seen = values.get(id);
          if (seen === undefined) values.set(id, { labels: { budget: s.budget.id, scope: s.budget.scope, key }, usd: s.remainingUsd });
          else seen.usd = Math.min(seen.usd, s.remainingUsd);
        }
        for (const v of values.values()) budgetRemaining.set(v.labels, v.usd);
      },
    });
    const dailyCost: Gauge = new Gauge({
      name: name(METRIC_DAILY_COST_USD),
      help: "Today's (UTC) settled spend, USD.",
      registers,
      collect: async () => {
        const spent = await this.readDailySpend();
        dailyCost.reset();
        if (spent === undefined) dailyCost.remove({});
        else dailyCost.set(spent);
      },
    });
  }

  /** Where budget gauges come from (usually `BudgetEngine.status`); undefined removes them. */
  setBudgetSource(source: BudgetStatusSource | undefined): void {
    this.budgetSource = source;
  }

  /** Where `daily_cost_usd` comes from (today's settled spend, USD); undefined removes it. */
  setDailySpendSource(source: DailySpendSource | undefined): void {
    this.dailySpendSource = source;
  }

  private readBudgets(): Promise<readonly BudgetStatusView[] | undefined> {
    const source = this.budgetSource;
    if (source === undefined) return Promise.resolve(undefined);
    if (this.budgetRead !== undefined) return this.budgetRead;
    const read = this.readSource(source, 'budget status');
    this.budgetRead = read;
    void read.then(() => {
      if (this.budgetRead === read) this.budgetRead = undefined;
    });
    return read;
  }

  private readDailySpend(): Promise<number | undefined> {
    const source = this.dailySpendSource;
    if (source === undefined) return Promise.resolve(undefined);
    if (this.dailySpendRead !== undefined) return this.dailySpendRead;
    const read = this.readSource(source, 'daily spend');
    this.dailySpendRead = read;
    void read.then(() => {
      if (this.dailySpendRead === read) this.dailySpendRead = undefined;
    });
    return read;
  }

  /** Reads a scrape-time source; a failure is logged and counted, and its gauges are left out of this scrape. */
  private async readSource<T>(source: () => T | Promise<T>, what: string): Promise<T | undefined> {
    try {
      return await source();
    } catch (err: unknown) {
      diag.warn(`tollgate: reading ${what} for /metrics failed; its gauges are left out of this scrape`, err);
      this.onError();
      return undefined;
    }
  }
}
