import { diag } from '@opentelemetry/api';
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { UsageRecord } from '../core/UsageRecord.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
} from '../semconv/attributes.js';
import {
  OTEL_METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  OTEL_METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  OTEL_METRIC_TOLLGATE_COST,
} from './MetricNames.js';
import type { LabelFold } from './LabelFold.js';
import { EMBEDDINGS_OPERATION, LLM_OPERATIONS, METADATA_ERROR_TYPE, METADATA_REQUESTED_MODEL, readMetadata } from './UsageKinds.js';

/** `gen_ai.token.type` attribute (GenAI semconv). */
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';

/** Bucket boundaries of `gen_ai.client.token.usage`, from the GenAI semconv spec. */
export const GEN_AI_TOKEN_USAGE_BUCKETS: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
/** Bucket boundaries of `gen_ai.client.operation.duration` (seconds), from the GenAI semconv spec. */
export const GEN_AI_OPERATION_DURATION_BUCKETS: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

const NANOS_PER_USD = 1_000_000_000;

/**
 * The OpenTelemetry GenAI client metrics (semconv v1.41) plus a cost counter, made from
 * the host's `Meter` so they leave through its MeterProvider (OTLP or anything else).
 * Attributes are operation, provider, request/response model and error.type: never ids. With a
 * `fold`, operation, provider and the models are bounded like the Prometheus labels (values past
 * the cap recorded as `_other`, counted in `tollgate_metric_labels_folded_total`).
 */
export class GenAiMeters {
  private readonly tokenUsage: Histogram;
  private readonly operationDuration: Histogram;
  private readonly cost: Counter;

  constructor(
    meter: Meter,
    private readonly fold?: LabelFold,
  ) {
    this.tokenUsage = meter.createHistogram(OTEL_METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: [...GEN_AI_TOKEN_USAGE_BUCKETS] },
    });
    this.operationDuration = meter.createHistogram(OTEL_METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: 'GenAI operation duration.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_OPERATION_DURATION_BUCKETS] },
    });
    this.cost = meter.createCounter(OTEL_METRIC_TOLLGATE_COST, {
      description: 'Cost of settled GenAI calls.',
      unit: 'USD',
    });
  }

  /**
   * Record one settled call. Token usage and duration are recorded for client operations
   * (chat, text_completion, generate_content, embeddings); cost for every record that has one.
   */
  record(record: UsageRecord, durationSeconds?: number): void {
    try {
      this.recordUnsafe(record, durationSeconds);
    } catch (err: unknown) {
      diag.error('tollgate: recording GenAI metrics failed', err);
    }
  }

  private recordUnsafe(record: UsageRecord, durationSeconds: number | undefined): void {
    const attributes = genAiAttributes(record, this.fold);
    const isLlm = LLM_OPERATIONS.has(record.operation);
    const isEmbed = record.operation === EMBEDDINGS_OPERATION;
    if (isLlm || isEmbed) {
      // A call that failed or was denied has token usage only when the provider reported some.
      const ok = record.status === 'ok';
      if (ok || record.inputTokens > 0) {
        this.tokenUsage.record(record.inputTokens, { ...attributes, [ATTR_GEN_AI_TOKEN_TYPE]: 'input' });
      }
      if (isLlm && (ok || record.outputTokens > 0)) {
        this.tokenUsage.record(record.outputTokens, { ...attributes, [ATTR_GEN_AI_TOKEN_TYPE]: 'output' });
      }
      if (durationSeconds !== undefined && Number.isFinite(durationSeconds) && durationSeconds >= 0) {
        this.operationDuration.record(durationSeconds, attributes);
      }
    }
    if (record.costNanos > 0) this.cost.add(record.costNanos / NANOS_PER_USD, attributes);
  }
}

/** Metric attributes of a usage record: low-cardinality only. */
function genAiAttributes(record: UsageRecord, fold: LabelFold | undefined): Attributes {
  const given = {
    operation: record.operation,
    provider: record.provider,
    requestModel: readMetadata(record.metadata, METADATA_REQUESTED_MODEL, 'tollgate.requested_model') ?? record.model,
    responseModel: record.model,
  };
  const v = fold === undefined ? given : fold.values(given);
  const attributes: Attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: v.operation,
    [ATTR_GEN_AI_PROVIDER_NAME]: v.provider,
    [ATTR_GEN_AI_REQUEST_MODEL]: v.requestModel,
    [ATTR_GEN_AI_RESPONSE_MODEL]: v.responseModel,
  };
  if (record.status !== 'ok') {
    attributes[ATTR_ERROR_TYPE] =
      readMetadata(record.metadata, METADATA_ERROR_TYPE, ATTR_ERROR_TYPE) ??
      (record.status === 'error' ? '_OTHER' : record.status === 'denied' ? 'BudgetExceededError' : record.status);
  }
  return attributes;
}
