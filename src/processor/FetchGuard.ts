import { diag, trace } from '@opentelemetry/api';
import type { MaybePromise } from '../core/maybePromise.js';

/** What the guard asks about the span active when a request is sent. */
export interface GuardSource {
  guardDecision(span: NonNullable<ReturnType<typeof trace.getActiveSpan>>): MaybePromise<{ deny?: Error; model?: string; requestedModel?: string } | undefined>;
}

type Fetch = typeof globalThis.fetch;
const GUARDS = new Set<GuardSource>();
let original: Fetch | undefined;

/**
 * Budgets for spans that other instrumentations create. Such libraries (for example
 * @opentelemetry/instrumentation-openai) catch an exception thrown by startSpan and send
 * the request anyway, so a deny cannot be thrown at them. Instead, while the refused span is
 * active, `fetch` answers with HTTP 402 and `x-should-retry: false` (the OpenAI and Anthropic
 * SDKs then raise their own APIError without retrying) and no byte leaves the process.
 * A fallback decision rewrites the JSON body's `model`.
 *
 * SDKs capture `fetch` when a client is constructed: install the guard (createTollgate does,
 * unless `guardFetch: false`) before creating clients. Returns a function that uninstalls it.
 */
export function installFetchGuard(source: GuardSource): () => void {
  if (typeof globalThis.fetch !== 'function') return () => undefined;
  GUARDS.add(source);
  if (original === undefined) {
    const base = globalThis.fetch;
    original = base;
    globalThis.fetch = guardedFetch(base);
  }
  return () => {
    GUARDS.delete(source);
    if (GUARDS.size === 0 && original !== undefined) {
      globalThis.fetch = original;
      original = undefined;
    }
  };
}

function guardedFetch(base: Fetch): Fetch {
  const guarded = async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]): Promise<Response> => {
    const span = trace.getActiveSpan();
    if (span === undefined || GUARDS.size === 0) return base(input, init);
    for (const source of GUARDS) {
      let decision: Awaited<ReturnType<GuardSource['guardDecision']>>;
      try {
        decision = await source.guardDecision(span);
      } catch (err: unknown) {
        diag.error('tollgate: fetch guard failed; sending the request', err);
        continue;
      }
      if (decision?.deny !== undefined) return refusal(decision.deny);
      if (decision?.model !== undefined && typeof init?.body === 'string') {
        init = { ...init, body: swapModel(init.body, decision.model) };
      }
    }
    return base(input, init);
  };
  return guarded as Fetch;
}

function refusal(err: Error): Response {
  const body = {
    error: {
      type: 'budget_exceeded',
      code: 'budget_exceeded',
      message: err.message,
      tollgate: typeof (err as { toJSON?: unknown }).toJSON === 'function' ? (err as unknown as { toJSON(): unknown }).toJSON() : { name: err.name },
    },
  };
  return new Response(JSON.stringify(body), {
    status: 402,
    headers: { 'content-type': 'application/json', 'x-should-retry': 'false', 'x-tollgate-denied': 'true' },
  });
}

function swapModel(body: string, model: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object' && 'model' in parsed) {
      return JSON.stringify({ ...(parsed as Record<string, unknown>), model });
    }
  } catch {
    // Not JSON: leave the body as it is.
  }
  return body;
}
