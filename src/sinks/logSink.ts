import { nanosToUsd } from '../core/money.js';
import type { SettledCall, SettledCallSink } from '../budget/CallTypes.js';
import type { EventBus } from '../events/EventBus.js';
import { EMBEDDINGS_OPERATION, LLM_OPERATIONS, METADATA_DECISION, METADATA_REQUESTED_MODEL } from '../metrics/UsageKinds.js';
import type { TollgateLogger } from './TollgateLogger.js';

/**
 * A log line per settled call: model calls (chat, completions, embeddings) at `info`, tools,
 * memory operations and contract checks at `debug`. Fields: provider, model, operation, tokens,
 * cost, decision (allow | warn | fallback | deny), status, task / session / agent, duration.
 */
export function logSink(logger: TollgateLogger): SettledCallSink {
  return {
    settled(call: SettledCall): void {
      const r = call.record;
      const modelCall = LLM_OPERATIONS.has(r.operation) || r.operation === EMBEDDINGS_OPERATION;
      const level = modelCall ? 'info' : 'debug';
      if (!logger.enabled(level)) return;
      const decision = r.status === 'denied' ? 'deny' : String(r.metadata?.[METADATA_DECISION] ?? 'allow');
      const requested = r.metadata?.[METADATA_REQUESTED_MODEL];
      logger.log(level, modelCall ? `${r.operation} ${r.model}` : r.operation, {
        provider: r.provider || undefined,
        model: r.model || undefined,
        requestedModel: requested === undefined ? undefined : String(requested),
        operation: r.operation,
        inputTokens: modelCall ? r.inputTokens : undefined,
        outputTokens: modelCall ? r.outputTokens : undefined,
        cacheReadTokens: r.cacheReadTokens > 0 ? r.cacheReadTokens : undefined,
        reasoningTokens: r.reasoningTokens > 0 ? r.reasoningTokens : undefined,
        costUsd: modelCall ? nanosToUsd(r.costNanos) : undefined,
        decision: modelCall ? decision : undefined,
        status: r.status,
        task: r.task,
        session: r.session,
        agent: r.agent,
        durationMs: call.durationSeconds === undefined ? undefined : Math.round(call.durationSeconds * 1000),
        traceId: r.traceId,
      });
    },
  };
}

/**
 * Log lines for every budget warning and limit: threshold crossings and budget_exceeded
 * (deny, warn, fallback), rate limits and calls admitted from a lease at `warn`, failed health
 * checks and a store that lost its data at `error`.
 * Returns a function that unsubscribes.
 */
export function logEvents(events: EventBus, logger: TollgateLogger): () => void {
  const offs = [
    events.on('threshold', (e) =>
      logger.log('warn', `${e.scope} budget "${e.budgetId}" ${Math.round(e.threshold * 100)}% used`, {
        budgetId: e.budgetId,
        scope: e.scope,
        key: e.key,
        threshold: e.threshold,
        spentUsd: e.spentUsd,
        limitUsd: e.limitUsd,
      }),
    ),
    events.on('budget_exceeded', (e) =>
      logger.log('warn', `${e.scope} budget "${e.budgetId}" exceeded: ${e.action === 'deny' ? 'call denied' : e.action === 'fallback' ? `re-routed to ${e.fallbackModel ?? 'the fallback model'}` : 'call allowed with a warning'}`, {
        budgetId: e.budgetId,
        scope: e.scope,
        key: e.key,
        action: e.action,
        model: e.model,
        fallbackModel: e.fallbackModel,
        spentUsd: e.spentUsd,
        limitUsd: e.limitUsd,
        attemptedUsd: e.attemptedUsd,
      }),
    ),
    events.on('rate_limited', (e) =>
      logger.log('warn', `${e.provider} ${e.limit} limit reached (${e.action})`, {
        provider: e.provider,
        limit: e.limit,
        action: e.action,
        used: e.used,
        max: e.max,
        retryAfterMs: Number.isFinite(e.retryAfterMs) ? e.retryAfterMs : undefined,
      }),
    ),
    events.on('store_reset', (e) =>
      logger.log('error', 'the store lost its data: budgets restarted from what the running processes re-added', {
        keyPrefix: e.keyPrefix,
        previousEpoch: e.previousEpoch,
        epoch: e.epoch,
      }),
    ),
    events.on('lease', (e) =>
      logger.log('warn', `the store cannot be reached: budget "${e.budgetId}" admits calls from this process' lease`, {
        budgetId: e.budgetId,
        bucketKey: e.bucketKey,
        leaseUsd: e.leaseUsd,
        remainingUsd: e.remainingUsd,
        usableUntil: new Date(e.usableUntil).toISOString(),
        reason: e.reason,
      }),
    ),
    events.on('health_check_failed', (e) =>
      logger.log('error', `health check failed: ${e.failed.map((f) => f.check).join(', ')}`, {
        failed: e.failed.map((f) => (f.error !== undefined ? `${f.check}: ${f.error}` : f.check)).join('; '),
      }),
    ),
  ];
  return () => {
    for (const off of offs) off();
  };
}
