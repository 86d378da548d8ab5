/**
 * How a UsageRecord is routed to metrics: by `record.operation`, and for tools,
 * memory operations and contract checks by a few `record.metadata` keys.
 * The processor that builds UsageRecords writes these keys.
 */

/** LLM operations (GenAI semconv `gen_ai.operation.name` values) counted in llm_calls_total. */
export const LLM_OPERATIONS: ReadonlySet<string> = new Set(['chat', 'text_completion', 'generate_content']);
/** Counted in embed_requests_total. */
export const EMBEDDINGS_OPERATION = 'embeddings';
/** Counted in tool_calls_total. */
export const TOOL_OPERATION = 'execute_tool';
/** Counted in memory_operations_total. */
export const MEMORY_OPERATION = 'memory';
/** Counted in contract_checks_total. */
export const CONTRACT_OPERATION = 'contract';

/** Tool name: `metadata.tool` (or `metadata['gen_ai.tool.name']`). */
export const METADATA_TOOL = 'tool';
/** Memory operation (read | write | delete | search): `metadata.memoryOperation` (or `metadata['tollgate.memory.operation']`). */
export const METADATA_MEMORY_OPERATION = 'memoryOperation';
/** Contract name: `metadata.contract` (or `metadata['tollgate.contract.name']`). */
export const METADATA_CONTRACT = 'contract';
/** Contract result pass | fail: `metadata.contractResult` (or `metadata['tollgate.contract.result']`); default from status. */
export const METADATA_CONTRACT_RESULT = 'contractResult';
/** Requested model when a fallback replaced it: `metadata.requestedModel` (or `metadata['tollgate.requested_model']`). */
export const METADATA_REQUESTED_MODEL = 'requestedModel';
/** Budget decision of an admitted call when it was not a plain allow: `warn` | `fallback`. */
export const METADATA_DECISION = 'decision';
/** Error class name of a failed call: `metadata.errorType` (or `metadata['error.type']`). */
export const METADATA_ERROR_TYPE = 'errorType';

/** A metadata value as a string, from the first key present; undefined when none is. */
export function readMetadata(
  metadata: Readonly<Record<string, string | number | boolean>> | undefined,
  ...keys: string[]
): string | undefined {
  if (metadata === undefined) return undefined;
  for (const key of keys) {
    const value = metadata[key];
    if (value !== undefined && value !== '') return String(value);
  }
  return undefined;
}
