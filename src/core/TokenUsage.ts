/**
 * Token counts of one call, following the GenAI semantic conventions:
 * `input` includes cached tokens (cacheRead and cacheWrite are parts of it);
 * `reasoning` is part of `output`. The billed units beyond tokens (server-side tool
 * requests) and the service tier the provider billed at ride along, so every priced
 * unit reaches the pricing in one value.
 */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  /** Part of cacheWrite: tokens written to a 1-hour cache (Anthropic `ephemeral_1h_input_tokens`), priced at the 1-hour rate. */
  cacheWrite1h?: number;
  reasoning?: number;
  /** Part of input (not of its cached parts): audio input tokens, priced at the model's audio input rate. */
  inputAudio?: number;
  /**
   * Part of input (not of its cached or audio parts): image input tokens, priced at the model's
   * image input rate where the price data has one, otherwise as text (as OpenAI bills images to text models).
   */
  inputImage?: number;
  /** Part of output (not of reasoning): audio output tokens, priced at the model's audio output rate. */
  outputAudio?: number;
  /** Server-side web search requests (Anthropic `server_tool_use.web_search_requests`, OpenAI `web_search_call` items). */
  webSearches?: number;
  /** Server-side file search calls (OpenAI Responses `file_search_call` items). */
  fileSearches?: number;
  /** Server-side code interpreter calls (OpenAI Responses `code_interpreter_call` items); the price data has no price: priced by an override (`*PerCall`), else reported unpriced. */
  codeInterpreterCalls?: number;
  /** Server-side image generation calls (OpenAI Responses `image_generation_call` items); the price data has no price: priced by an override (`*PerCall`), else reported unpriced. */
  imageGenerations?: number;
  /** Server-side code executions (Anthropic `server_tool_use.code_execution_requests`); the price data has no price: priced by an override (`*PerCall`), else reported unpriced. */
  codeExecutions?: number;
  /**
   * The service tier the provider says it billed at (OpenAI `service_tier`): 'priority' and
   * 'flex' change the token prices; 'default', 'auto', 'scale' and absent do not.
   */
  serviceTier?: string;
}
