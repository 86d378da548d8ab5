import { trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { MaybePromise } from '../core/maybePromise.js';
import type { Problems } from '../core/Problems.js';
import { passesThrownErrors } from './passesThrownErrors.js';
import { observeSseText } from './sseText.js';

/** What the guard does with one request sent while a span is active. */
export interface GuardVerdict {
  /** Refuse the request with this error (HTTP 402, nothing leaves the process). */
  refuse?: Error;
  /** Fields to merge into the JSON body (a fallback model, an output limit). */
  patch?: Record<string, unknown>;
  /** Called with the text of a streamed (SSE) response as it passes, to estimate usage the span may lack. */
  observe?: (text: string) => void;
  /**
   * Called when the caller aborts a Vercel AI SDK request the guard let through (its signal
   * fires): ai 6 then leaves its `doStream` span open for good, so the call is settled from here.
   */
  aborted?: () => void;
}

/** Who the guard asks about a request: the processor that admits other instrumentations' calls. */
export interface GuardSource {
  /**
   * `body` is the parsed JSON body, or undefined when it is not JSON; `official` is true for
   * OpenAI's own hosts (they name the output limit `max_completion_tokens`).
   */
  guard(span: Span, body: unknown, official: boolean): MaybePromise<GuardVerdict | undefined>;
}

type Fetch = typeof globalThis.fetch;
const GUARDS = new Set<GuardSource>();
/** Marks a request a guard already admitted, so a guard further down the chain (fetch wrapped twice) passes it on. */
const ADMITTED = Symbol('tollgate.admitted');
/** Every fetch function this module installed, and the one each wraps. */
const wrapped = new WeakMap<Fetch, Fetch>();
let installed: Fetch | undefined;

/**
 * Budgets for spans that other instrumentations create. Such libraries (for example
 * @opentelemetry/instrumentation-openai) catch an exception thrown by startSpan and send the
 * request anyway, so a refusal cannot be thrown at them. The guard sits in `globalThis.fetch`:
 * a request sent while such a span is active is admitted there, with the input estimated from
 * the body; a refused one gets HTTP 402 with `x-should-retry: false` (the OpenAI and Anthropic
 * SDKs then raise their own APIError without retrying) and no byte leaves the process. A request
 * from the Vercel AI SDK, which passes errors thrown by fetch through, gets the refusal thrown
 * instead, so its caller catches BudgetExceededError (see passesThrownErrors).
 *
 * SDKs capture `fetch` when a client is constructed: install the guard (createTollgate does,
 * unless `guardFetch: false`) before creating clients. When something replaces `fetch` after
 * it (nock, msw, another instrumentation), `reassertFetchGuard` wraps the new one too, so
 * clients built later are guarded; see `fetchGuardStatus`. Returns the uninstall function.
 */
export function installFetchGuard(source: GuardSource): () => void {
  if (typeof globalThis.fetch !== 'function') return () => undefined;
  GUARDS.add(source);
  if (installed === undefined || !isGuarded(globalThis.fetch)) wrapCurrent();
  return () => {
    GUARDS.delete(source);
    if (GUARDS.size > 0) return;
    // Only undo our own layer: a fetch installed after ours stays (it may wrap ours; with no
    // guards left ours passes every request through).
    if (installed !== undefined && globalThis.fetch === installed) globalThis.fetch = wrapped.get(installed) as Fetch;
    installed = undefined;
  };
}

/** Where the guard stands: installed at all, and whether `globalThis.fetch` still goes through it. */
export function fetchGuardStatus(): { installed: boolean; displaced: boolean } {
  return { installed: installed !== undefined, displaced: installed !== undefined && !isGuarded(globalThis.fetch) };
}

/**
 * When something replaced `globalThis.fetch` after the guard, wraps the new fetch too (clients
 * created from now on are guarded) and reports the problem once. Returns true when it had to.
 */
export function reassertFetchGuard(problems: Problems): boolean {
  if (installed === undefined || GUARDS.size === 0 || isGuarded(globalThis.fetch)) return false;
  problems.report(
    'fetch_guard',
    'globalThis.fetch was replaced after tollgate installed its guard (nock, msw or another instrumentation?); clients created ' +
      "before that may send other instrumentations' denied calls. tollgate wrapped the new fetch: create clients after it, or use instrumentOpenAI/instrumentAnthropic",
  );
  wrapCurrent();
  return true;
}

function isGuarded(fetch: Fetch): boolean {
  return wrapped.has(fetch);
}

function wrapCurrent(): void {
  const base = globalThis.fetch;
  const guarded = guardedFetch(base);
  wrapped.set(guarded, base);
  installed = guarded;
  globalThis.fetch = guarded;
}

function guardedFetch(base: Fetch): Fetch {
  const guarded = async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]): Promise<Response> => {
    const span = trace.getActiveSpan();
    if (span === undefined || GUARDS.size === 0 || (init as Record<symbol, unknown> | undefined)?.[ADMITTED] === true) return base(input, init);
    const body = typeof init?.body === 'string' ? parseJson(init.body) : undefined;
    const official = isOpenAIHost(input);
    const observers: ((text: string) => void)[] = [];
    const onAbort: (() => void)[] = [];
    for (const source of GUARDS) {
      let verdict: GuardVerdict | undefined;
      try {
        verdict = await source.guard(span, body, official);
      } catch {
        continue; // a source reports its own failures; the request is not held hostage to them
      }
      if (verdict === undefined) continue;
      if (verdict.refuse !== undefined) {
        if (passesThrownErrors(input, init)) throw verdict.refuse; // the caller gets BudgetExceededError itself
        return refusal(verdict.refuse);
      }
      if (verdict.patch !== undefined && body !== null && typeof body === 'object') {
        Object.assign(body as Record<string, unknown>, verdict.patch);
        init = { ...init, body: JSON.stringify(body) };
      }
      if (verdict.observe !== undefined) observers.push(verdict.observe);
      if (verdict.aborted !== undefined) onAbort.push(verdict.aborted);
    }
    if (onAbort.length > 0) watchAbort(input, init, onAbort);
    const response = await base(input, { ...init, [ADMITTED]: true } as Parameters<Fetch>[1]);
    if (observers.length === 0) return response;
    return observeSseText(response, (text) => {
      for (const observe of observers) observe(text);
    });
  };
  return guarded as Fetch;
}

/** Calls `handlers` once if the signal of a Vercel AI SDK request aborts (other SDKs end their spans on an abort themselves). */
function watchAbort(input: Parameters<Fetch>[0], init: RequestInit | undefined, handlers: (() => void)[]): void {
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
  if (signal === undefined || signal === null || signal.aborted || !passesThrownErrors(input, init)) return;
  signal.addEventListener(
    'abort',
    () => {
      for (const handler of handlers) handler();
    },
    { once: true },
  );
}

function isOpenAIHost(input: Parameters<Fetch>[0]): boolean {
  try {
    const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : new URL(input.url);
    return /(^|\.)openai\.com$|\.openai\.azure\.com$/.test(url.hostname);
  } catch {
    return false;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
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
