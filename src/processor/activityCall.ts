import { SpanStatusCode } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { SdkReadableSpan as ReadableSpan } from '../core/SdkSpan.js';
import type { Attribution } from '../core/attribution.js';
import type { FinishedCall } from '../budget/CallTypes.js';
import {
  CONTRACT_OPERATION,
  MEMORY_OPERATION,
  METADATA_CONTRACT,
  METADATA_CONTRACT_RESULT,
  METADATA_MEMORY_OPERATION,
  METADATA_TOOL,
} from '../metrics/UsageKinds.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_TOLLGATE_CONTRACT_NAME,
  ATTR_TOLLGATE_CONTRACT_RESULT,
  ATTR_TOLLGATE_MEMORY_OPERATION,
  GEN_AI_OPERATION_EXECUTE_TOOL,
} from '../semconv/attributes.js';

/** Tool executions, memory operations and contract checks: spans that are recorded (cost 0), not budgeted. */
export function isActivity(attrs: Attributes): boolean {
  return (
    attrs[ATTR_GEN_AI_OPERATION_NAME] === GEN_AI_OPERATION_EXECUTE_TOOL ||
    attrs[ATTR_TOLLGATE_MEMORY_OPERATION] !== undefined ||
    attrs[ATTR_TOLLGATE_CONTRACT_NAME] !== undefined
  );
}

/** The outcome of an activity span of another instrumentation, as a record (tool name, memory operation, contract result). */
export function activityOf(span: ReadableSpan, attribution: Readonly<Attribution>): FinishedCall {
  const attrs = span.attributes;
  const sc = span.spanContext();
  const errored = span.status.code === SpanStatusCode.ERROR;
  let operation: string;
  const metadata: Record<string, string> = {};
  if (attrs[ATTR_GEN_AI_OPERATION_NAME] === GEN_AI_OPERATION_EXECUTE_TOOL) {
    operation = GEN_AI_OPERATION_EXECUTE_TOOL;
    metadata[METADATA_TOOL] = String(attrs[ATTR_GEN_AI_TOOL_NAME] ?? 'unknown');
  } else if (attrs[ATTR_TOLLGATE_MEMORY_OPERATION] !== undefined) {
    operation = MEMORY_OPERATION;
    metadata[METADATA_MEMORY_OPERATION] = String(attrs[ATTR_TOLLGATE_MEMORY_OPERATION]);
  } else {
    operation = CONTRACT_OPERATION;
    metadata[METADATA_CONTRACT] = String(attrs[ATTR_TOLLGATE_CONTRACT_NAME] ?? 'unknown');
    metadata[METADATA_CONTRACT_RESULT] = String(attrs[ATTR_TOLLGATE_CONTRACT_RESULT] ?? (errored ? 'fail' : 'pass'));
  }
  const call: FinishedCall = {
    id: sc.spanId,
    traceId: sc.traceId,
    spanId: sc.spanId,
    provider: '',
    model: '',
    operation,
    usageSource: 'none',
    status: errored ? 'error' : 'ok',
    metadata,
    ...attribution,
  };
  const errorType = attrs[ATTR_ERROR_TYPE];
  if (typeof errorType === 'string') call.errorType = errorType;
  return call;
}
