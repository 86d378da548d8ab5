/** What the Vercel AI SDK's HTTP layer adds to the user-agent of every request: `ai-sdk/provider-utils/4.x` (ai 6), `ai-sdk-provider-utils/5.x` (ai 7). */
const AI_SDK_USER_AGENT = /\bai-sdk[/-]provider-utils\//;

function userAgentOf(headers: RequestInit['headers']): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  if (headers instanceof Headers) return headers.get('user-agent') ?? undefined;
  const pairs: Iterable<readonly unknown[]> = Array.isArray(headers) ? (headers as readonly unknown[][]) : Object.entries(headers);
  for (const [name, value] of pairs) if (typeof name === 'string' && name.toLowerCase() === 'user-agent') return typeof value === 'string' ? value : undefined;
  return undefined;
}

/**
 * Whether the code that sent a request passes an error thrown by `fetch` on to its caller
 * unchanged, so the fetch guard may throw a refusal (`BudgetExceededError` itself) rather than
 * answer HTTP 402. True for the Vercel AI SDK: its HTTP layer rethrows what `fetch` throws
 * (only network errors become a retried `APICallError`). The OpenAI and Anthropic SDKs would
 * turn a thrown error into a retried connection error: their requests keep the 402.
 */
export function passesThrownErrors(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): boolean {
  const agent = userAgentOf(init?.headers) ?? (input instanceof Request ? (input.headers.get('user-agent') ?? undefined) : undefined);
  return agent !== undefined && AI_SDK_USER_AGENT.test(agent);
}
