import type { BudgetSpec } from '../../src/core/Budget.js';
import { BudgetEngine } from '../../src/budget/BudgetEngine.js';
import type { AdmissionRequest, BudgetEngineOptions } from '../../src/budget/BudgetEngine.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { BudgetExceededEvent, ThresholdEvent } from '../../src/events/TollgateEvents.js';
import type { Ledger } from '../../src/ledger/Ledger.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { MemoryLedger } from '../../src/ledger/memory.js';

export const USD = 1_000_000_000;

/** A clock tests move by hand. */
export class TestClock {
  constructor(public now: number) {}
  readonly read = (): number => this.now;
  set(ms: number): void {
    this.now = ms;
  }
  advance(ms: number): void {
    this.now += ms;
  }
}

/** Wraps a synchronous ledger so every method answers with a promise (as Redis does). */
export function asyncLedger(inner: Ledger): Ledger {
  return {
    reserve: async (req) => inner.reserve(req),
    settle: async (record, buckets) => inner.settle(record, buckets),
    release: async (id) => inner.release(id),
    bucketStates: async (buckets, now) => inner.bucketStates(buckets, now),
    usage: async (q) => inner.usage(q),
    records: async (q) => inner.records(q),
    prune: async (before) => inner.prune(before),
    listBudgets: async () => inner.listBudgets(),
    putBudget: async (b) => inner.putBudget(b),
    deleteBudget: async (id) => inner.deleteBudget(id),
    ping: async () => inner.ping(),
    close: async () => inner.close(),
  };
}

export interface Harness {
  engine: BudgetEngine;
  ledger: Ledger;
  clock: TestClock;
  exceeded: BudgetExceededEvent[];
  thresholds: ThresholdEvent[];
}

export function harness(
  budgets: BudgetSpec[],
  start: number,
  extra: Partial<BudgetEngineOptions> = {},
): Harness {
  const clock = new TestClock(start);
  const events = new EventBus();
  const exceeded: BudgetExceededEvent[] = [];
  const thresholds: ThresholdEvent[] = [];
  events.on('budget_exceeded', (e) => exceeded.push(e));
  events.on('threshold', (e) => thresholds.push(e));
  const ledger = extra.ledger ?? new MemoryLedger();
  const engine = new BudgetEngine({ budgets, clock: clock.read, events, ...extra, ledger });
  return { engine, ledger, clock, exceeded, thresholds };
}

let seq = 0;

/** A call whose worst case costs `prices[model]` nanos (default `nanos` for any model). */
export function call(
  nanos: number,
  fields: Partial<Omit<AdmissionRequest, 'estimateNanos'>> = {},
  prices: Record<string, number> = {},
): AdmissionRequest {
  seq += 1;
  return {
    id: `call-${seq}`,
    provider: 'openai',
    model: 'gpt-4o',
    ...fields,
    estimateNanos: (model: string) => prices[model] ?? nanos,
  };
}

export function usage(id: string, costNanos: number, time: number, fields: Partial<UsageRecord> = {}): UsageRecord {
  return {
    id,
    time,
    provider: 'openai',
    model: 'gpt-4o',
    operation: 'chat',
    inputTokens: 10,
    outputTokens: 5,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos,
    status: 'ok',
    ...fields,
  };
}
