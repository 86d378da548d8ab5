/**
 * Estimates token counts before a call is sent, so a budget can reserve its worst
 * case. Estimates must never throw: an odd request shape gets a rough count, not an error.
 */
export interface TokenEstimator {
  /**
   * Estimated input tokens of one request for `model`. `input` may be a chat
   * messages array (OpenAI `{ role, content }` with string or parts content), an
   * Anthropic request (`{ system, messages }`), a prompt string, an embedding input
   * (`string | string[] | number[] | number[][]`), an OpenAI Responses `input`
   * (string or items) or a request object holding one of those (`messages`,
   * `input`, `prompt`). Never throws; returns a non-negative integer.
   */
  estimateInput(model: string, input: unknown): number;
}
