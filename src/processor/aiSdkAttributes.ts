import type { Attributes } from '@opentelemetry/api';
import { field } from '../core/fields.js';
import type { TokenUsage } from '../core/TokenUsage.js';
import { ATTR_AI_SDK_MODEL_PROVIDER, ATTR_AI_SDK_RESPONSE_PROVIDER_METADATA } from '../semconv/attributes.js';

/**
 * Vercel AI SDK provider ids by prefix, and the GenAI semantic-convention provider names they
 * stand for: the table the AI SDK's own OpenTelemetry integration (@ai-sdk/otel, ai 7) maps
 * `gen_ai.provider.name` with, longest prefixes first.
 */
const PROVIDER_PREFIXES: readonly (readonly [string, string])[] = [
  ['google.vertex', 'gcp.vertex_ai'],
  ['google.generative-ai', 'gcp.gemini'],
  ['google-vertex', 'gcp.vertex_ai'],
  ['amazon-bedrock', 'aws.bedrock'],
  ['azure-openai', 'azure.ai.openai'],
  ['anthropic', 'anthropic'],
  ['openai', 'openai'],
  ['azure', 'azure.ai.inference'],
  ['google', 'gcp.gemini'],
  ['mistral', 'mistral_ai'],
  ['cohere', 'cohere'],
  ['bedrock', 'aws.bedrock'],
  ['groq', 'groq'],
  ['deepseek', 'deepseek'],
  ['perplexity', 'perplexity'],
  ['xai', 'x_ai'],
];

/**
 * The GenAI semantic-convention provider name of a Vercel AI SDK provider id:
 * `anthropic.messages` → anthropic, `openai.chat` / `openai.responses` → openai,
 * `google.vertex.chat` → gcp.vertex_ai, `amazon-bedrock` → aws.bedrock. An id the table does
 * not know (a custom OpenAI-compatible provider, say) is returned as it is.
 */
export function aiSdkProviderName(id: string): string {
  const lower = id.toLowerCase();
  for (const [prefix, name] of PROVIDER_PREFIXES) {
    if (lower === prefix || lower.startsWith(`${prefix}.`) || lower.startsWith(`${prefix}-`)) return name;
  }
  return id;
}

/**
 * The provider of a span the Vercel AI SDK 5 or 6 made (it carries `ai.model.provider`, and
 * writes the same provider id as `gen_ai.system`), as a semantic-convention name; undefined
 * for other spans.
 */
export function aiSdkProvider(attrs: Attributes): string | undefined {
  const id = attrs[ATTR_AI_SDK_MODEL_PROVIDER];
  return typeof id === 'string' && id !== '' ? aiSdkProviderName(id) : undefined;
}

/** The billed units beyond the token counts that an AI SDK span's provider metadata reports. */
export type AiSdkBilledUnits = Pick<TokenUsage, 'cacheWrite1h' | 'webSearches' | 'codeExecutions'>;

/**
 * What the Anthropic provider's metadata on an AI SDK span (`ai.response.providerMetadata`,
 * `anthropic.usage` is Anthropic's own usage object) adds to the token counts: the cache
 * writes made with a 1-hour TTL (`cache_creation.ephemeral_1h_input_tokens`, dearer than
 * 5-minute writes) and the server-side tool requests billed per request
 * (`server_tool_use.web_search_requests`, `code_execution_requests`). The AI SDK records the
 * metadata with the outputs: with `recordOutputs: false` it is absent and these units are not
 * seen. Empty when there is nothing to add; never throws.
 */
export function readAiSdkBilledUnits(attrs: Attributes): AiSdkBilledUnits {
  const metadata = attrs[ATTR_AI_SDK_RESPONSE_PROVIDER_METADATA];
  if (typeof metadata !== 'string' || !metadata.includes('"anthropic"')) return {};
  let usage: unknown;
  try {
    usage = field(field(JSON.parse(metadata) as unknown, 'anthropic'), 'usage');
  } catch {
    return {};
  }
  const units: AiSdkBilledUnits = {};
  const cacheWrite1h = count(field(field(usage, 'cache_creation'), 'ephemeral_1h_input_tokens'));
  if (cacheWrite1h !== undefined) units.cacheWrite1h = cacheWrite1h;
  const tools = field(usage, 'server_tool_use');
  const webSearches = count(field(tools, 'web_search_requests'));
  if (webSearches !== undefined) units.webSearches = webSearches;
  const codeExecutions = count(field(tools, 'code_execution_requests'));
  if (codeExecutions !== undefined) units.codeExecutions = codeExecutions;
  return units;
}

/** A positive whole count, or undefined. */
function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}
