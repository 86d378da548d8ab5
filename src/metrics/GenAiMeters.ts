import { diag } from '@opentelemetry/api';
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { StreamTiming } from '../core/StreamTiming.js';
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
  OTEL_METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
  OTEL_METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
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

/**
 * Bucket boundaries of `gen_ai.client.operation.time_to_first_chunk` and `time_per_output_chunk`
 * (seconds): the operation-duration boundaries, as OpenTelemetry's own GenAI helpers use for both.
 */
export const GEN_AI_TIME_PER_OUTPUT_CHUNK_BUCKETS: readonly number[] = GEN_AI_OPERATION_DURATION_BUCKETS;

const NANOS_PER_USD = 1_000_000_000;

/** What else is known about a settled call, for the metrics. */
export interface GenAiCallTiming {
  /** Seconds from the request to the end of the call. */
  durationSeconds?: number | undefined;
  /** When the chunks of a streamed call arrived (time to first chunk, time per output chunk). */
  stream?: StreamTiming | undefined;
  /** Another instrumentation records the call's `gen_ai.client.*` metrics: only `tollgate.cost` is recorded here. */
  clientMetricsElsewhere?: boolean | undefined;
}

/**
 * The OpenTelemetry GenAI client metrics (semconv v1.41: token usage, operation duration, and
 * for streams time to first chunk and time per output chunk) plus a cost counter, made from the
 * host's `Meter` so they leave through its MeterProvider (OTLP or anything else).
 * Attributes are operation, provider, request/response model and error.type: never ids.
 */
export class GenAiMeters {
  private readonly tokenUsage: Histogram;
  private readonly operationDuration: Histogram;
  private readonly timeToFirstChunk: Histogram;
  private readonly timePerOutputChunk: Histogram;
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
    this.timeToFirstChunk = meter.createHistogram(OTEL_METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK, {
      description: 'Time to receive the first chunk of a streamed response.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_OPERATION_DURATION_BUCKETS] },
    });
    this.timePerOutputChunk = meter.createHistogram(OTEL_METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK, {
      description: 'Time per output chunk, for each chunk after the first, from the end of the previous chunk.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_TIME_PER_OUTPUT_CHUNK_BUCKETS] },
    });
    this.cost = meter.createCounter(OTEL_METRIC_TOLLGATE_COST, {
      description: 'Cost of settled GenAI calls.',
      unit: 'USD',
    });
  }

  /**
   * Record one settled call. Token usage and duration are recorded for client operations
   * (chat, text_completion, generate_content, embeddings), the chunk timings for streamed ones,
   * unless another instrumentation records them (`clientMetricsElsewhere`); cost for every
   * record that has one. A number for `timing` is the duration in seconds.
   */
  record(record: UsageRecord, timing: GenAiCallTiming | number = {}): void {
    try {
      this.recordUnsafe(record, typeof timing === 'number' ? { durationSeconds: timing } : timing);
    } catch (err: unknown) {
      diag.error('tollgate: recording GenAI metrics failed', err);
    }
  }

  private recordUnsafe(record: UsageRecord, timing: GenAiCallTiming): void {
    const attributes = genAiAttributes(record, this.fold);
    const isLlm = LLM_OPERATIONS.has(record.operation);
    const isEmbed = record.operation === EMBEDDINGS_OPERATION;
    const durationSeconds = timing.durationSeconds;
    if ((isLlm || isEmbed) && timing.clientMetricsElsewhere !== true) {
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
      if (timing.stream !== undefined) {
        this.timeToFirstChunk.record(timing.stream.firstChunkSeconds, attributes);
        for (const gap of timing.stream.chunkGapsSeconds) this.timePerOutputChunk.record(gap, attributes);
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
