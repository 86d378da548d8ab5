import { expect } from 'vitest';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import type { TestTollgate } from './otel.js';

/** The value of `cost_total_per_model_usd{provider, model}` in a Prometheus text exposition, or undefined. */
export function modelCostUsd(metricsText: string, provider: string, model: string): number | undefined {
  const line = metricsText.split('\n').find((l) => l.startsWith(`cost_total_per_model_usd{provider="${provider}",model="${model}"}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * Asserts that the one call a tollgate saw cost exactly `expectedNanos`: on its span
 * (`tollgate.cost.nanos`, `gen_ai.usage.cost`), in the ledger record and in `/metrics`.
 * Returns the span's attributes and the record for further checks.
 */
export async function expectOneCallCost(
  t: TestTollgate,
  provider: string,
  model: string,
  expectedNanos: number,
): Promise<{ attributes: Record<string, unknown>; record: UsageRecord }> {
  await t.tollgate.forceFlush();
  const spans = t.spans();
  expect(spans).toHaveLength(1);
  const attributes = spans[0]?.attributes ?? {};
  expect(attributes['tollgate.cost.nanos']).toBe(expectedNanos);
  expect(attributes['gen_ai.usage.cost']).toBeCloseTo(expectedNanos / 1e9, 12);
  const records = await t.tollgate.ledger.records({ limit: 10 });
  expect(records).toHaveLength(1);
  const record = records[0] as UsageRecord;
  expect(record).toMatchObject({ provider, model, status: 'ok', costNanos: expectedNanos });
  expect(modelCostUsd(await t.tollgate.metrics.metricsText(), provider, model)).toBeCloseTo(expectedNanos / 1e9, 12);
  return { attributes, record };
}
