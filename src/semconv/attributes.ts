/**
 * Attribute names. GenAI semantic conventions (v1.41, Development) where they exist,
 * the names other instrumentations still emit (read only), and tollgate's own.
 */

// --- GenAI semantic conventions -------------------------------------------------
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
/** Time from sending a streamed request to its first chunk, seconds. */
export const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const ATTR_GEN_AI_AGENT_ID = 'gen_ai.agent.id';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';

/** Cost: no released convention. `gen_ai.usage.cost` is what OpenLIT and Langfuse read (USD). */
export const ATTR_GEN_AI_USAGE_COST = 'gen_ai.usage.cost';
/** Proposed cost convention. */
export const ATTR_GEN_AI_USAGE_COST_AMOUNT = 'gen_ai.usage.cost.amount';
export const ATTR_GEN_AI_USAGE_COST_CURRENCY = 'gen_ai.usage.cost.currency';
export const ATTR_GEN_AI_USAGE_COST_SOURCE = 'gen_ai.usage.cost.source';

// --- Legacy names other instrumentations still emit (read only) -----------------
export const ATTR_LEGACY_GEN_AI_SYSTEM = 'gen_ai.system';
export const ATTR_LEGACY_GEN_AI_USAGE_PROMPT_TOKENS = 'gen_ai.usage.prompt_tokens';
export const ATTR_LEGACY_GEN_AI_USAGE_COMPLETION_TOKENS = 'gen_ai.usage.completion_tokens';
export const ATTR_LEGACY_LLM_USAGE_PROMPT_TOKENS = 'llm.usage.prompt_tokens';
export const ATTR_LEGACY_LLM_USAGE_COMPLETION_TOKENS = 'llm.usage.completion_tokens';
export const ATTR_LEGACY_LLM_USAGE_CACHE_READ_INPUT_TOKENS = 'llm.usage.cache_read_input_tokens';
export const ATTR_OPENINFERENCE_TOKEN_COUNT_PROMPT = 'llm.token_count.prompt';
export const ATTR_OPENINFERENCE_TOKEN_COUNT_COMPLETION = 'llm.token_count.completion';
export const ATTR_OPENINFERENCE_MODEL_NAME = 'llm.model_name';
export const ATTR_OPENINFERENCE_PROVIDER = 'llm.provider';
/** The Vercel AI SDK (ai 5 and 6): its provider id (`anthropic.messages`, `openai.chat`), also written as gen_ai.system. */
export const ATTR_AI_SDK_MODEL_PROVIDER = 'ai.model.provider';
/** The Vercel AI SDK 6's usage details: cache reads and writes (parts of gen_ai.usage.input_tokens) and reasoning (part of output). */
export const ATTR_AI_SDK_USAGE_CACHE_READ_TOKENS = 'ai.usage.inputTokenDetails.cacheReadTokens';
export const ATTR_AI_SDK_USAGE_CACHE_WRITE_TOKENS = 'ai.usage.inputTokenDetails.cacheWriteTokens';
export const ATTR_AI_SDK_USAGE_REASONING_TOKENS = 'ai.usage.outputTokenDetails.reasoningTokens';
/** The Vercel AI SDK's provider metadata of a response, as JSON (recorded with the outputs). */
export const ATTR_AI_SDK_RESPONSE_PROVIDER_METADATA = 'ai.response.providerMetadata';

// --- tollgate's own ---------------------------------------------------------------
/** Estimated input tokens put on the span by the wrapper before the call (for admission). */
export const ATTR_TOLLGATE_ESTIMATE_INPUT_TOKENS = 'tollgate.estimate.input_tokens';
/** Worst-case reserved amount (USD). */
export const ATTR_TOLLGATE_RESERVED_USD = 'tollgate.reserved_usd';
/** allow | warn | fallback | deny */
export const ATTR_TOLLGATE_DECISION = 'tollgate.decision';
/** The model the caller asked for, when a fallback replaced it. */
export const ATTR_TOLLGATE_REQUESTED_MODEL = 'tollgate.requested_model';
/** The model a fallback decision switched to. */
export const ATTR_TOLLGATE_FALLBACK_MODEL = 'tollgate.fallback_model';
export const ATTR_TOLLGATE_BUDGET_ID = 'tollgate.budget.id';
export const ATTR_TOLLGATE_BUDGET_SCOPE = 'tollgate.budget.scope';
export const ATTR_TOLLGATE_TASK_ID = 'tollgate.task.id';
export const ATTR_TOLLGATE_SESSION_ID = 'tollgate.session.id';
export const ATTR_TOLLGATE_AGENT_ID = 'tollgate.agent.id';
/** OTel semconv `user.id` (registry, development): the end user a call was made for. */
export const ATTR_USER_ID = 'user.id';
export const ATTR_TOLLGATE_TEAM_ID = 'tollgate.team.id';
/** The hash of the API key (`sha256:` + 16 hex digits); the key itself is never put on a span. */
export const ATTR_TOLLGATE_API_KEY_HASH = 'tollgate.api_key.hash';
/** The call's tags (string array). */
export const ATTR_TOLLGATE_TAGS = 'tollgate.tags';
/** Prefix of one attribute per free metadata key: `tollgate.metadata.<key>`. */
export const ATTR_TOLLGATE_METADATA_PREFIX = 'tollgate.metadata.';
export const ATTR_TOLLGATE_COST_INPUT_USD = 'tollgate.cost.input_usd';
export const ATTR_TOLLGATE_COST_OUTPUT_USD = 'tollgate.cost.output_usd';
export const ATTR_TOLLGATE_COST_CACHE_READ_USD = 'tollgate.cost.cache_read_usd';
export const ATTR_TOLLGATE_COST_CACHE_WRITE_USD = 'tollgate.cost.cache_write_usd';
export const ATTR_TOLLGATE_COST_REASONING_USD = 'tollgate.cost.reasoning_usd';
/** Audio input and output tokens at the audio rates (USD). */
export const ATTR_TOLLGATE_COST_AUDIO_USD = 'tollgate.cost.audio_usd';
/** Server-side tool requests: web and file searches (USD). */
export const ATTR_TOLLGATE_COST_SERVER_TOOL_USD = 'tollgate.cost.server_tool_usd';
/** Billed units the model has no price for (cache_write_1h, input_audio, output_audio, web_search, file_search). */
export const ATTR_TOLLGATE_COST_UNPRICED_UNITS = 'tollgate.cost.unpriced_units';
/** The service tier whose prices applied (priority, flex). */
export const ATTR_TOLLGATE_SERVICE_TIER = 'tollgate.service_tier';
/** Part of the cache-creation input tokens written to a 1-hour cache. */
export const ATTR_TOLLGATE_USAGE_CACHE_WRITE_1H_TOKENS = 'tollgate.usage.cache_creation_1h.input_tokens';
/** Audio input tokens (part of the input tokens). */
export const ATTR_TOLLGATE_USAGE_INPUT_AUDIO_TOKENS = 'tollgate.usage.audio.input_tokens';
/** Audio output tokens (part of the output tokens). */
export const ATTR_TOLLGATE_USAGE_OUTPUT_AUDIO_TOKENS = 'tollgate.usage.audio.output_tokens';
/** Server-side web searches billed. */
export const ATTR_TOLLGATE_USAGE_WEB_SEARCHES = 'tollgate.usage.web_search.requests';
/** Server-side file searches billed. */
export const ATTR_TOLLGATE_USAGE_FILE_SEARCHES = 'tollgate.usage.file_search.requests';
/** Exact cost in integer nano-USD. */
export const ATTR_TOLLGATE_COST_NANOS = 'tollgate.cost.nanos';
/** Where the price came from: genai-prices | bundled | override | local | unknown | provider. */
export const ATTR_TOLLGATE_PRICE_SOURCE = 'tollgate.price.source';
/** Cost reported by the provider itself (USD); wins over the computed one. */
export const ATTR_TOLLGATE_PROVIDER_COST_USD = 'tollgate.provider_cost_usd';
/** Set on a span whose call is charged by another span (no double counting). */
export const ATTR_TOLLGATE_CHARGED_BY = 'tollgate.charged_by';
/** ok | error | denied | cost_exceeded */
export const ATTR_TOLLGATE_STATUS = 'tollgate.status';
/**
 * Time to first chunk of a stream, seconds.
 * @deprecated Use ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK (`gen_ai.response.time_to_first_chunk`); this name is still written beside it for one release.
 */
export const ATTR_TOLLGATE_TIME_TO_FIRST_CHUNK = 'tollgate.time_to_first_chunk_s';
/** `invoke_agent` spans of tollgate.task() / session() / turn(): which of them it is (the id is an attribute, never in the name). */
export const ATTR_TOLLGATE_SPAN_KIND = 'tollgate.span';
/** The turn number of a tollgate.turn() span. */
export const ATTR_TOLLGATE_TURN = 'tollgate.turn';
/** memory operation: read | write | delete | search */
export const ATTR_TOLLGATE_MEMORY_OPERATION = 'tollgate.memory.operation';
export const ATTR_TOLLGATE_MEMORY_STORE = 'tollgate.memory.store';
export const ATTR_TOLLGATE_CONTRACT_NAME = 'tollgate.contract.name';
/** pass | fail */
export const ATTR_TOLLGATE_CONTRACT_RESULT = 'tollgate.contract.result';
export const ATTR_TOLLGATE_TOOL_STATUS = 'tollgate.tool.status';
/** Marks spans made by tollgate's own wrappers. */
export const ATTR_TOLLGATE_WRAPPER = 'tollgate.wrapper';

// --- values ------------------------------------------------------------------------
export const GEN_AI_OPERATION_CHAT = 'chat';
export const GEN_AI_OPERATION_TEXT_COMPLETION = 'text_completion';
export const GEN_AI_OPERATION_GENERATE_CONTENT = 'generate_content';
export const GEN_AI_OPERATION_EMBEDDINGS = 'embeddings';
export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool';
export const GEN_AI_OPERATION_INVOKE_AGENT = 'invoke_agent';
export const GEN_AI_OPERATION_CREATE_AGENT = 'create_agent';

/** The output limit tollgate set on a request whose caller set none (the tokens its reservation covers). */
export const ATTR_TOLLGATE_OUTPUT_LIMIT_SET = 'tollgate.request.output_limit_set';
/** true when a call that the engine denied was sent anyway (another library bypassed the guard) and charged. */
export const ATTR_TOLLGATE_ENFORCEMENT_BYPASSED = 'tollgate.enforcement.bypassed';
/** Cost beyond the call's reservation, USD (present only when there was a shortfall). */
export const ATTR_TOLLGATE_SHORTFALL_USD = 'tollgate.shortfall_usd';
