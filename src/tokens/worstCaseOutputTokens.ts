/**
 * The most output tokens a call can produce: the request's max tokens when it is a
 * non-negative integer, otherwise the configured default (`estimation.defaultMaxOutputTokens`).
 */
export function worstCaseOutputTokens(maxTokens: number | undefined, defaultMax: number): number {
  if (typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens >= 0) return maxTokens;
  return defaultMax;
}
