import type { UsageRecord, UsageStatus } from '../../core/UsageRecord.js';

/** A row of the `records` table. */
export interface RecordRow {
  id: string;
  time: number;
  trace_id: string | null;
  span_id: string | null;
  request_id: string | null;
  task: string | null;
  session: string | null;
  agent: string | null;
  provider: string;
  model: string;
  operation: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_nanos: number;
  status: string;
  metadata: string | null;
  user_id: string | null;
  team: string | null;
  api_key_hash: string | null;
  /** JSON array. */
  tags: string | null;
}

/** The `records` columns, in the order `recordValues` gives them. */
export const RECORD_COLUMNS =
  'id, time, trace_id, span_id, request_id, task, session, agent, provider, model, operation, input_tokens, ' +
  'output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, status, metadata, ' +
  'user_id, team, api_key_hash, tags';

/** `?` for each of RECORD_COLUMNS. */
export const RECORD_PLACEHOLDERS = RECORD_COLUMNS.split(',')
  .map(() => '?')
  .join(', ');

/** The record's values for an INSERT, in RECORD_COLUMNS order (absent fields as NULL). */
export function recordValues(record: UsageRecord): (string | number | null)[] {
  return [
    record.id,
    record.time,
    record.traceId ?? null,
    record.spanId ?? null,
    record.requestId ?? null,
    record.task ?? null,
    record.session ?? null,
    record.agent ?? null,
    record.provider,
    record.model,
    record.operation,
    record.inputTokens,
    record.outputTokens,
    record.cacheReadTokens,
    record.cacheWriteTokens,
    record.reasoningTokens,
    record.costNanos,
    record.status,
    record.metadata === undefined ? null : JSON.stringify(record.metadata),
    record.user ?? null,
    record.team ?? null,
    record.apiKeyHash ?? null,
    record.tags === undefined ? null : JSON.stringify(record.tags),
  ];
}

/** The record a row holds (NULL columns become absent fields). */
export function rowToRecord(row: RecordRow): UsageRecord {
  const record: UsageRecord = {
    id: row.id,
    time: row.time,
    provider: row.provider,
    model: row.model,
    operation: row.operation,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cacheReadTokens: row.cache_read_tokens,
    cacheWriteTokens: row.cache_write_tokens,
    reasoningTokens: row.reasoning_tokens,
    costNanos: row.cost_nanos,
    status: row.status as UsageStatus,
  };
  if (row.trace_id !== null) record.traceId = row.trace_id;
  if (row.span_id !== null) record.spanId = row.span_id;
  if (row.request_id !== null) record.requestId = row.request_id;
  if (row.task !== null) record.task = row.task;
  if (row.session !== null) record.session = row.session;
  if (row.agent !== null) record.agent = row.agent;
  if (row.user_id !== null) record.user = row.user_id;
  if (row.team !== null) record.team = row.team;
  if (row.api_key_hash !== null) record.apiKeyHash = row.api_key_hash;
  if (row.tags !== null) record.tags = JSON.parse(row.tags) as string[];
  if (row.metadata !== null) record.metadata = JSON.parse(row.metadata) as Record<string, string | number | boolean>;
  return record;
}
