/** The largest amount of response text kept per call for an output estimate. */
const MAX_TEXT = 1_000_000;

/**
 * Passes a streamed (text/event-stream) response through unchanged while collecting the
 * generated text its events carry (OpenAI chat `choices[].delta.content`, Responses
 * `delta`, Anthropic `delta.text`), for an output-token estimate when the provider reports no
 * usage. Other responses are returned as they are.
 */
export function observeSseText(response: Response, onText: (text: string) => void): Response {
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream') || response.body === null) return response;
  const decoder = new TextDecoder();
  let pending = '';
  let kept = 0;
  const take = (line: string): void => {
    if (!line.startsWith('data:')) return;
    const text = deltaText(line.slice(5).trim());
    if (text === '' || kept >= MAX_TEXT) return;
    kept += text.length;
    onText(text);
  };
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        controller.enqueue(chunk);
        pending += decoder.decode(chunk, { stream: true });
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) take(line);
      },
      flush() {
        take(pending);
      },
    }),
  );
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** The generated text one SSE data payload carries ('' when none). */
export function deltaText(data: string): string {
  if (data === '' || data === '[DONE]') return '';
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return '';
  }
  if (event === null || typeof event !== 'object') return '';
  const e = event as Record<string, unknown>;
  let out = '';
  if (Array.isArray(e['choices'])) {
    for (const choice of e['choices'] as unknown[]) {
      const delta = (choice as { delta?: { content?: unknown } } | null)?.delta;
      if (typeof delta?.content === 'string') out += delta.content;
    }
  }
  if (typeof e['delta'] === 'string') out += e['delta'];
  const text = (e['delta'] as { text?: unknown } | undefined)?.text;
  if (typeof text === 'string') out += text;
  return out;
}
