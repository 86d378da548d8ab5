import type { TokenUsage } from '../../src/core/TokenUsage.js';
import { field, numberField } from '../../src/core/fields.js';

/**
 * Normalises an Anthropic usage object. Anthropic reports cache tokens outside
 * `input_tokens`; TokenUsage (like the GenAI conventions) counts them inside:
 * input = input_tokens + cache_creation_input_tokens + cache_read_input_tokens,
 * with cacheWrite and cacheRead as its parts. `cache_creation.ephemeral_1h_input_tokens`
 * is the part of the cache writes billed at the 1-hour rate. With compaction, `iterations`
 * lists every billed step (the summarising one included): the counts are their sum.
 * `server_tool_use.web_search_requests` are billed per request; web fetches are free (only
 * their tokens are billed); `code_execution_requests` are counted (no price in the price data:
 * reported as unpriced). Undefined without `input_tokens`.
 */
export function anthropicUsage(usage: unknown): TokenUsage | undefined {
  const iterations = field(usage, 'iterations');
  const steps = Array.isArray(iterations) ? iterations.map(stepUsage).filter((s): s is TokenUsage => s !== undefined) : [];
  const result = steps.length > 0 ? steps.reduce(addUsage) : stepUsage(usage);
  if (result === undefined) return undefined;
  const webSearches = numberField(field(usage, 'server_tool_use'), 'web_search_requests');
  if (webSearches !== undefined && webSearches > 0) result.webSearches = webSearches;
  const codeExecutions = numberField(field(usage, 'server_tool_use'), 'code_execution_requests');
  if (codeExecutions !== undefined && codeExecutions > 0) result.codeExecutions = codeExecutions;
  return result;
}

/** The token counts of one usage object (one iteration, or the whole call without iterations). */
function stepUsage(usage: unknown): TokenUsage | undefined {
  const input = numberField(usage, 'input_tokens');
  if (input === undefined) return undefined;
  const creation = field(usage, 'cache_creation');
  const write5m = numberField(creation, 'ephemeral_5m_input_tokens');
  const write1h = numberField(creation, 'ephemeral_1h_input_tokens');
  const split = write5m === undefined && write1h === undefined ? undefined : (write5m ?? 0) + (write1h ?? 0);
  const cacheWrite = numberField(usage, 'cache_creation_input_tokens') ?? split;
  const cacheRead = numberField(usage, 'cache_read_input_tokens');
  const result: TokenUsage = {
    input: input + (cacheWrite ?? 0) + (cacheRead ?? 0),
    output: numberField(usage, 'output_tokens') ?? 0,
  };
  if (cacheRead !== undefined) result.cacheRead = cacheRead;
  if (cacheWrite !== undefined) result.cacheWrite = cacheWrite;
  if (write1h !== undefined && write1h > 0 && cacheWrite !== undefined) result.cacheWrite1h = Math.min(write1h, cacheWrite);
  return result;
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const sum: TokenUsage = { input: a.input + b.input, output: a.output + b.output };
  for (const key of ['cacheRead', 'cacheWrite', 'cacheWrite1h'] as const) {
    if (a[key] !== undefined || b[key] !== undefined) sum[key] = (a[key] ?? 0) + (b[key] ?? 0);
  }
  return sum;
}
