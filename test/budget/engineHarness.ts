import type { BudgetSpec } from '../../src/core/Budget.js';
import { BudgetEngine } from '../../src/budget/BudgetEngine.js';
import type { BudgetEngineOptions } from '../../src/budget/BudgetEngine.js';
import type { Admission, CallRequest, FinishedCall } from '../../src/budget/CallTypes.js';
import type { Pricer } from '../../src/budget/Pricer.js';
import { NANOS_PER_USD } from '../../src/core/money.js';
import { Problems } from '../../src/core/Problems.js';
import type { TokenUsage } from '../../src/core/TokenUsage.js';
import { EventBus } from '../../src/events/EventBus.js';
import type { BudgetExceededEvent, ReservationShortfallEvent, ThresholdEvent } from '../../src/events/TollgateEvents.js';
import type { Ledger } from '../../src/ledger/Ledger.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import type { CostBreakdown } from '../../src/pricing/types.js';

export const USD = NANOS_PER_USD;

/** Test prices, nano-USD per token: 1 per input token, 2 per output token (times the model's multiplier). */
export const INPUT_NANOS = 1;
export const OUTPUT_NANOS = 2;
/** The ceiling price (for unpriced models under a cap) is ten times the base price. */
export const CEILING_FACTOR = 10;

function breakdown(usage: TokenUsage, prices: { inputNanos: number; outputNanos: number }, factor: number, model: string, source: 'override' | 'ceiling' | 'unknown'): CostBreakdown {
  const inputNanos = usage.input * prices.inputNanos * factor;
  const outputNanos = usage.output * prices.outputNanos * factor;
  return {
    totalNanos: inputNanos + outputNanos,
    inputNanos,
    outputNanos,
    cacheReadNanos: 0,
    cacheWriteNanos: 0,
    reasoningNanos: 0,
    model: { provider: 'test', model, source, known: source === 'override' },
  };
}

/**
 * A linear test Pricer: `prices.inputNanos` (default INPUT_NANOS) per input token and
 * `prices.outputNanos` (default OUTPUT_NANOS) per output token, times `multipliers[model]`
 * (default 1). Models named 'unpriced…' have no price (they cost 0); the ceiling is
 * `CEILING_FACTOR` times the base price.
 */
export function linearPricer(multipliers: Record<string, number> = {}, prices = { inputNanos: INPUT_NANOS, outputNanos: OUTPUT_NANOS }): Pricer {
  return {
    cost: (usage, model) =>
      model.startsWith('unpriced') ? breakdown(usage, prices, 0, model, 'unknown') : breakdown(usage, prices, multipliers[model] ?? 1, model, 'override'),
    ceilingCost: (usage) => breakdown(usage, prices, CEILING_FACTOR, 'ceiling', 'ceiling'),
    isPriced: (model) => !model.startsWith('unpriced'),
  };
}

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

/** Wraps a ledger so that `reserve` answers with a promise too (as Redis does). */
export function asyncLedger(inner: Ledger): Ledger {
  const ledger: Ledger = {
    reserve: async (req) => inner.reserve(req),
    settle: (record, buckets) => inner.settle(record, buckets),
    release: (id) => inner.release(id),
    bucketStates: (buckets, now) => inner.bucketStates(buckets, now),
    usage: (q) => inner.usage(q),
    records: (q) => inner.records(q),
    prune: (before) => inner.prune(before),
    listBudgets: () => inner.listBudgets(),
    putBudget: (b) => inner.putBudget(b),
    deleteBudget: (id) => inner.deleteBudget(id),
    resetBuckets: (reset, keys) => inner.resetBuckets(reset, keys),
    resets: (limit) => inner.resets(limit),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
  if (inner.flush !== undefined) ledger.flush = () => (inner.flush as () => Promise<void>)();
  return ledger;
}

export interface Harness {
  engine: BudgetEngine;
  ledger: Ledger;
  clock: TestClock;
  exceeded: BudgetExceededEvent[];
  thresholds: ThresholdEvent[];
  shortfalls: ReservationShortfallEvent[];
  /** The lines the engine's problems reporter wrote (what stderr would show). */
  problemLines: string[];
}

/** An engine on a memory store (unless `extra.ledger`), the linear test pricer and a hand-moved clock, recording its events. */
export function harness(budgets: BudgetSpec[], start: number, extra: Partial<BudgetEngineOptions> = {}): Harness {
  const clock = new TestClock(start);
  const events = new EventBus();
  const exceeded: BudgetExceededEvent[] = [];
  const thresholds: ThresholdEvent[] = [];
  const shortfalls: ReservationShortfallEvent[] = [];
  events.on('budget_exceeded', (e) => exceeded.push(e));
  events.on('threshold', (e) => thresholds.push(e));
  events.on('reservation_shortfall', (e) => shortfalls.push(e));
  const problemLines: string[] = [];
  const problems = new Problems({ write: (line) => problemLines.push(line), clock: clock.read });
  const ledger = extra.ledger ?? new MemoryLedger();
  const engine = new BudgetEngine({ budgets, clock: clock.read, events, problems, pricer: linearPricer(), ...extra, ledger });
  return { engine, ledger, clock, exceeded, thresholds, shortfalls, problemLines };
}

let seq = 0;

/**
 * A call with an exact worst case: `inputTokens` input tokens and an output limit of 0, so with
 * the linear pricer it is estimated at `inputTokens` × the model's multiplier nano-USD.
 */
export function call(inputTokens: number, fields: Partial<CallRequest> = {}): CallRequest {
  return openCall(inputTokens, { maxOutputTokens: 0, ...fields });
}

/** A call whose caller set no output limit (the engine chooses one). */
export function openCall(inputTokens: number, fields: Partial<CallRequest> = {}): CallRequest {
  seq += 1;
  return { id: `call-${seq}`, provider: 'openai', model: 'gpt-4o', inputTokens, ...fields };
}

/**
 * A call that ended with reported usage costing `costNanos` under the linear pricer (all of it
 * input tokens of a model with multiplier 1).
 */
export function finished(id: string, costNanos: number, fields: Partial<FinishedCall> = {}): FinishedCall {
  return {
    id,
    provider: 'openai',
    model: 'gpt-4o',
    usage: { input: costNanos / INPUT_NANOS, output: 0 },
    usageSource: 'reported',
    status: 'ok',
    ...fields,
  };
}

/** Admits a call of `nanos` synchronously (memory ledger) and settles it at that cost; await `engine.forceFlush()` before reading. */
export function spend(h: Harness, nanos: number, fields: Partial<CallRequest> = {}): Admission {
  const a = h.engine.admit(call(nanos, fields)) as Admission;
  h.engine.finish(a, finished(a.id, nanos, fields));
  return a;
}

/** An admission of gpt-4o reserving 1,000 input and 4,096 output tokens (9,192 nanos at the linear test prices). */
export function testAdmission(fields: Partial<Admission> = {}): Admission {
  return {
    id: 'c1',
    provider: 'openai',
    decision: 'allow',
    model: 'gpt-4o',
    requestedModel: 'gpt-4o',
    reservedNanos: 9_192,
    estimateNanos: 9_192,
    buckets: [],
    inputTokens: 1_000,
    estimatedInputTokens: 1_000,
    outputTokens: 4_096,
    price: 'known',
    enforced: true,
    ...fields,
  };
}
