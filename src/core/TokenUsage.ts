/**
 * Token counts of one call, following the GenAI semantic conventions:
 * `input` includes cached tokens (cacheRead and cacheWrite are parts of it);
 * `reasoning` is part of `output`.
 */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}
