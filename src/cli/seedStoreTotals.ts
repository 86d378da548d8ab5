import type { UsageRecord } from '../core/UsageRecord.js';
import type { Ledger } from '../ledger/Ledger.js';
import type { TollgateMetrics } from '../metrics/TollgateMetrics.js';

/**
 * The operation of the records that carry the store's totals into the metrics. Not an LLM,
 * embeddings, tool, memory or contract operation, so only the token and cost series count it
 * (no call counter, no duration).
 */
const STORE_TOTALS_OPERATION = 'store_totals';

/**
 * Adds the totals of everything the store holds, per provider and model, to the token and
 * cost series of `metrics` (`cost_total_usd`, `cost_total_per_model_usd`, `tokens_*_total`),
 * so that a `tollgate serve` over a store with spend shows that spend in /metrics.
 *
 * Call it once, before the process settles any call of its own: later calls are counted by
 * `recordUsage` as usual, on top of this snapshot, and never twice. Call counters
 * (`llm_calls_total`, ...) are not seeded: they count the calls this process saw.
 */
export async function seedStoreTotals(ledger: Ledger, metrics: TollgateMetrics, now = Date.now()): Promise<void> {
  for (const provider of await ledger.usage({ by: 'provider' })) {
    for (const g of await ledger.usage({ by: 'model', where: { provider: provider.key } })) {
      if (g.costNanos === 0 && g.inputTokens === 0 && g.outputTokens === 0) continue;
      const totals: UsageRecord = {
        id: `store-totals:${provider.key}/${g.key}`,
        time: now,
        provider: provider.key,
        model: g.key,
        operation: STORE_TOTALS_OPERATION,
        inputTokens: g.inputTokens,
        outputTokens: g.outputTokens,
        cacheReadTokens: g.cacheReadTokens,
        cacheWriteTokens: g.cacheWriteTokens,
        reasoningTokens: g.reasoningTokens,
        costNanos: g.costNanos,
        status: 'ok',
      };
      metrics.recordUsage(totals);
    }
  }
}
