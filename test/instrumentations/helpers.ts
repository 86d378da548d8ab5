import type { Span, Tracer } from '@opentelemetry/api';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { BudgetEngine } from '../../src/budget/BudgetEngine.js';
import type { BudgetEngineOptions } from '../../src/budget/BudgetEngine.js';
import type { Pricer } from '../../src/budget/Pricer.js';
import type { BudgetSpec } from '../../src/core/Budget.js';
import { Problems } from '../../src/core/Problems.js';
import type { TokenUsage } from '../../src/core/TokenUsage.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import type { Ledger } from '../../src/ledger/Ledger.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { CallDriver } from '../../src/track/CallDriver.js';
import { linearPricer } from '../budget/engineHarness.js';
import type { AdmissionInfo, TollgateHandle } from '../../src/track/TollgateHandle.js';

/** Test prices: 1_000 nano-USD per input token, 2_000 per output token (models named 'unpriced*' have none). */
export const INPUT_NANOS = 1_000;
export const OUTPUT_NANOS = 2_000;

/** The linear test pricer of the engine tests at these prices (the ceiling is ten times the price). */
export const testPricer: Pricer = linearPricer({}, { inputNanos: INPUT_NANOS, outputNanos: OUTPUT_NANOS });

export interface TestTollgateOptions {
  captureContent?: boolean;
  budgets?: BudgetSpec[];
  /** Default a MemoryLedger. */
  ledger?: Ledger;
  engine?: Partial<Omit<BudgetEngineOptions, 'ledger' | 'pricer' | 'budgets'>>;
}

export interface TestTollgate extends TollgateHandle {
  readonly engine: BudgetEngine;
  readonly ledger: Ledger;
  readonly exporter: InMemorySpanExporter;
  readonly problems: Problems;
  /** stderr lines the problems reporter wrote. */
  readonly problemLines: string[];
  /** Finished spans. */
  spans(): ReadableSpan[];
  /** Settled usage records, oldest first (after the settlements in flight). */
  records(): Promise<UsageRecord[]>;
}

/**
 * A real tollgate core for the instrumentation tests: the budget engine on a memory store with
 * the linear test pricer, the call driver, and a tracer provider exporting to memory (no span
 * processor of tollgate's: the driver enforces on its own).
 */
export function createTestTollgate(options: TestTollgateOptions | boolean = {}): TestTollgate {
  const o: TestTollgateOptions = typeof options === 'boolean' ? { captureContent: options } : options;
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: exporter })] });
  const tracer: Tracer = provider.getTracer('tollgate');
  const ledger = o.ledger ?? new MemoryLedger();
  const problemLines: string[] = [];
  const problems = new Problems({ write: (line) => problemLines.push(line) });
  const engine = new BudgetEngine({ ledger, pricer: testPricer, budgets: o.budgets ?? [], problems, ...o.engine });
  const estimateInputTokens = (_model: string, input: unknown): number => JSON.stringify(input ?? '').split(/\s+/).length;
  const captureContent = o.captureContent ?? false;
  const calls = new CallDriver({ engine, tracer: () => tracer, estimateInputTokens, captureContent });
  return {
    engine,
    ledger,
    exporter,
    problems,
    problemLines,
    tracer,
    captureContent,
    calls,
    estimateInputTokens,
    costNanos: (_provider: string, _model: string, usage: TokenUsage) => usage.input * INPUT_NANOS + usage.output * OUTPUT_NANOS,
    admission: async (span: Span): Promise<AdmissionInfo | undefined> => {
      const a = await calls.callOf(span)?.ready;
      return a === undefined ? undefined : { decision: a.decision, model: a.model, requestedModel: a.requestedModel, reservedNanos: a.reservedNanos };
    },
    spans: () => exporter.getFinishedSpans(),
    records: async () => {
      await engine.forceFlush();
      return (await ledger.records({ limit: 10_000 })).reverse();
    },
  };
}
