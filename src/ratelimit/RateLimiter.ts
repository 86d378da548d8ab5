import { diag } from '@opentelemetry/api';
import { RateLimitError } from './RateLimitError.js';
import type { RateLimitKind } from './RateLimitError.js';
import type { RateLimitStatus } from './RateLimitStatus.js';
import type { RateLimitCheck, RateLimitedInfo } from './RateLimitCheck.js';

/** The sliding window: an entry recorded at t counts until t + 60000 (exclusive). */
export const RATE_LIMIT_WINDOW_MS = 60_000;

const MAX_TIMER_MS = 2_147_483_647;

/** Limits of one provider. */
export interface ProviderRateLimit {
  /** Requests per sliding minute. Default: unlimited. */
  rpm?: number;
  /** Tokens per sliding minute (input + output, as the caller counts them). Default: unlimited. */
  tpm?: number;
  /** Over the limit: `wait` queues the call (FIFO per provider) until the window has room; `reject` throws `RateLimitError` at once. Default 'wait'. */
  onLimit?: 'wait' | 'reject';
  /** With `wait`: a call that would wait longer than this throws `RateLimitError` instead. Default 30000. */
  maxWaitMs?: number;
}

/** Options of `RateLimiter`. */
export interface RateLimiterOptions {
  /** Limits per provider name (`gen_ai.provider.name` values, e.g. 'openai'). Providers not listed are unlimited. */
  limits: Record<string, ProviderRateLimit>;
  /** Epoch-ms clock. Default `Date.now`. */
  clock?: () => number;
  /**
   * How to wait for the window to free up. Default: an unref'd `setTimeout`
   * (a queued call never keeps the host process alive on its own).
   */
  sleep?: (ms: number) => Promise<void>;
  /** Called each time a limit holds a call back (queued, refused, or answered no by tryAcquire); must not throw. Default none. */
  onLimited?: (info: RateLimitedInfo) => void;
}

interface Entry {
  time: number;
  /** 1 for an admitted call, 0 for tokens recorded afterwards. */
  requests: 0 | 1;
  tokens: number;
}

interface Waiter {
  tokens: number;
  deadline: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface ProviderState {
  provider: string;
  rpm: number | undefined;
  tpm: number | undefined;
  onLimit: 'wait' | 'reject';
  maxWaitMs: number;
  entries: Entry[];
  requests: number;
  tokens: number;
  queue: Waiter[];
  /** Bumped whenever a new wake-up is scheduled; stale wake-ups do nothing. */
  generation: number;
  timer: NodeJS.Timeout | undefined;
}

type Check =
  | { ok: true }
  | { ok: false; kind: RateLimitKind; used: number; limit: number; retryAt: number; tooLarge: boolean };

/**
 * Per-provider requests-per-minute and tokens-per-minute limits over a sliding
 * 60 s window.
 *
 * Typical use around one call: `await limiter.acquire('openai', estimatedTokens)`
 * before the request, then `limiter.settle('openai', estimatedTokens, actualTokens)`
 * after it (or `acquire(provider, 0)` then `record(provider, actualTokens)`).
 */
export class RateLimiter {
  private readonly states = new Map<string, ProviderState>();
  private readonly clock: () => number;
  private readonly customSleep: ((ms: number) => Promise<void>) | undefined;
  private readonly onLimited: ((info: RateLimitedInfo) => void) | undefined;
  private closed = false;

  /** @throws Error naming the field (e.g. `limits.openai.rpm`) when a limit is invalid. */
  constructor(options: RateLimiterOptions) {
    this.clock = options.clock ?? Date.now;
    this.customSleep = options.sleep;
    this.onLimited = options.onLimited;
    for (const [provider, limit] of Object.entries(options.limits)) {
      const where = `limits.${provider}`;
      checkLimit(`${where}.rpm`, limit.rpm);
      checkLimit(`${where}.tpm`, limit.tpm);
      const onLimit = limit.onLimit ?? 'wait';
      if (onLimit !== 'wait' && onLimit !== 'reject') {
        throw new Error(`tollgate: rate limit "${where}.onLimit" must be "wait" or "reject", got ${JSON.stringify(onLimit)}`);
      }
      const maxWaitMs = limit.maxWaitMs ?? 30_000;
      if (typeof maxWaitMs !== 'number' || !Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
        throw new Error(
          `tollgate: rate limit "${where}.maxWaitMs" must be a number of milliseconds >= 0, got ${JSON.stringify(maxWaitMs)}; e.g. 30000`,
        );
      }
      if (limit.rpm === undefined && limit.tpm === undefined) {
        diag.warn(`tollgate: rate limit "${where}" sets neither rpm nor tpm; ${provider} is unlimited`);
      }
      this.states.set(provider, {
        provider,
        rpm: limit.rpm,
        tpm: limit.tpm,
        onLimit,
        maxWaitMs,
        entries: [],
        requests: 0,
        tokens: 0,
        queue: [],
        generation: 0,
        timer: undefined,
      });
    }
  }

  /**
   * Admit one call that will use about `tokens` tokens. Resolves once the call
   * is recorded in the window (at once when there is room). Over the limit:
   * with `onLimit: 'reject'` rejects with `RateLimitError`; with `'wait'` queues
   * behind earlier waiters and resolves when the window has room, or rejects with
   * `RateLimitError` (reason `max_wait`) when that would take more than `maxWaitMs`.
   * Unknown providers resolve at once.
   */
  acquire(provider: string, tokens: number): Promise<void> {
    if (this.closed) return Promise.reject(shutdownError());
    const state = this.states.get(provider);
    if (state === undefined) return Promise.resolve();
    const amount = sanitize(tokens, 'acquire');
    const now = this.clock();
    this.prune(state, now);
    if (state.queue.length === 0) {
      const check = this.check(state, amount, now);
      if (check.ok) {
        this.add(state, { time: now, requests: 1, tokens: amount });
        return Promise.resolve();
      }
      const wait = check.retryAt - now;
      const refused = check.tooLarge || state.onLimit === 'reject' || wait > state.maxWaitMs;
      this.report(state, check, refused ? 'reject' : 'wait', now);
      if (refused) return Promise.reject(this.error(state, check, amount, now));
    }
    return new Promise<void>((resolve, reject) => {
      state.queue.push({ tokens: amount, deadline: now + state.maxWaitMs, resolve, reject });
      if (state.queue.length === 1) this.pump(state);
    });
  }

  /**
   * Admit one call only if it fits now, without waiting: when it does, it is counted in the window
   * (as `acquire` would) and the answer is `allowed: true`; when it does not (or earlier calls are
   * queued), nothing is counted and the answer says which limit and when there will be room.
   * Unknown providers are always allowed. Never throws; after `shutdown()` nothing is allowed.
   */
  tryAcquire(provider: string, tokens = 0): RateLimitCheck {
    const state = this.states.get(provider);
    if (state === undefined) return { allowed: !this.closed, provider, retryAfterMs: this.closed ? Number.POSITIVE_INFINITY : 0 };
    if (this.closed) return { allowed: false, provider, retryAfterMs: Number.POSITIVE_INFINITY };
    const amount = sanitize(tokens, 'tryAcquire');
    const now = this.clock();
    this.prune(state, now);
    const check = this.check(state, amount, now);
    if (check.ok && state.queue.length === 0) {
      this.add(state, { time: now, requests: 1, tokens: amount });
      return { allowed: true, provider, retryAfterMs: 0 };
    }
    // Calls already queued go first: a check never overtakes them.
    const held: Exclude<Check, { ok: true }> = check.ok
      ? { ok: false, kind: state.rpm !== undefined ? 'rpm' : 'tpm', used: state.rpm !== undefined ? state.requests : state.tokens, limit: (state.rpm ?? state.tpm) as number, retryAt: now, tooLarge: false }
      : check;
    this.report(state, held, 'check', now);
    return { allowed: false, provider, limit: held.kind, used: held.used, max: held.limit, retryAfterMs: Math.max(0, held.retryAt - now) };
  }

  /** Add tokens used by a call after the fact (no request is counted). Unknown providers are ignored. */
  record(provider: string, tokens: number): void {
    const state = this.states.get(provider);
    if (state === undefined || this.closed) return;
    const amount = sanitize(tokens, 'record');
    if (amount === 0) return;
    this.add(state, { time: this.clock(), requests: 0, tokens: amount });
    if (state.queue.length > 0) this.pump(state);
  }

  /**
   * Correct an estimate given to `acquire` with the real token count: more
   * tokens are added now; fewer are taken back from the newest entries (and
   * queued calls may then proceed).
   */
  settle(provider: string, estimated: number, actual: number): void {
    const state = this.states.get(provider);
    if (state === undefined || this.closed) return;
    const delta = sanitize(actual, 'settle') - sanitize(estimated, 'settle');
    if (delta > 0) {
      this.add(state, { time: this.clock(), requests: 0, tokens: delta });
    } else if (delta < 0) {
      let give = -delta;
      for (let i = state.entries.length - 1; i >= 0 && give > 0; i--) {
        const entry = state.entries[i] as Entry;
        const take = Math.min(entry.tokens, give);
        entry.tokens -= take;
        state.tokens -= take;
        give -= take;
      }
    }
    if (state.queue.length > 0) this.pump(state);
  }

  /** Use, limit and reset time of every configured provider, in configuration order. */
  status(): RateLimitStatus[] {
    const now = this.clock();
    return [...this.states.values()].map((state) => {
      this.prune(state, now);
      const oldest = state.entries[0];
      return {
        provider: state.provider,
        rpm: { used: state.requests, limit: state.rpm ?? null },
        tpm: { used: state.tokens, limit: state.tpm ?? null },
        resetAt: oldest !== undefined ? oldest.time + RATE_LIMIT_WINDOW_MS : null,
        waiting: state.queue.length,
      };
    });
  }

  /** Reject every queued call and every later `acquire`. Idempotent. */
  shutdown(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const state of this.states.values()) {
      state.generation++;
      if (state.timer !== undefined) clearTimeout(state.timer);
      state.timer = undefined;
      const waiters = state.queue.splice(0);
      for (const waiter of waiters) waiter.reject(shutdownError());
    }
    return Promise.resolve();
  }

  /** Admit queued calls in order while they fit; then sleep until the head fits. */
  private pump(state: ProviderState): void {
    if (this.closed) return;
    const now = this.clock();
    this.prune(state, now);
    for (;;) {
      const head = state.queue[0];
      if (head === undefined) return;
      const check = this.check(state, head.tokens, now);
      if (check.ok) {
        state.queue.shift();
        this.add(state, { time: now, requests: 1, tokens: head.tokens });
        head.resolve();
        continue;
      }
      if (check.tooLarge || check.retryAt > head.deadline) {
        state.queue.shift();
        this.report(state, check, 'reject', now);
        head.reject(this.error(state, check, head.tokens, now, 'max_wait'));
        continue;
      }
      this.wakeAt(state, check.retryAt - now);
      return;
    }
  }

  private wakeAt(state: ProviderState, ms: number): void {
    const generation = ++state.generation;
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timer = undefined;
    const wake = (): void => {
      if (generation === state.generation) this.pump(state);
    };
    if (this.customSleep !== undefined) {
      this.customSleep(ms).then(wake, (err: unknown) => {
        diag.error('tollgate: RateLimiter sleep failed', err);
        wake();
      });
      return;
    }
    // Longer delays overflow setTimeout; waking early just re-checks and sleeps again.
    state.timer = setTimeout(() => {
      state.timer = undefined;
      wake();
    }, Math.min(ms, MAX_TIMER_MS));
    state.timer.unref();
  }

  private check(state: ProviderState, tokens: number, now: number): Check {
    let result: Check = { ok: true };
    if (state.rpm !== undefined && state.requests + 1 > state.rpm) {
      // Room comes when enough admitted calls have left the window.
      let need = state.requests + 1 - state.rpm;
      let retryAt = now;
      for (const entry of state.entries) {
        need -= entry.requests;
        if (need <= 0) {
          retryAt = entry.time + RATE_LIMIT_WINDOW_MS;
          break;
        }
      }
      result = { ok: false, kind: 'rpm', used: state.requests, limit: state.rpm, retryAt, tooLarge: false };
    }
    if (state.tpm !== undefined && state.tokens + tokens > state.tpm) {
      let retryAt = Number.POSITIVE_INFINITY;
      const tooLarge = tokens > state.tpm;
      if (!tooLarge) {
        let need = state.tokens + tokens - state.tpm;
        for (const entry of state.entries) {
          need -= entry.tokens;
          if (need <= 0) {
            retryAt = entry.time + RATE_LIMIT_WINDOW_MS;
            break;
          }
        }
      }
      if (result.ok || retryAt > result.retryAt) {
        result = { ok: false, kind: 'tpm', used: state.tokens, limit: state.tpm, retryAt, tooLarge };
      }
    }
    return result;
  }

  private error(
    state: ProviderState,
    check: Exclude<Check, { ok: true }>,
    tokens: number,
    now: number,
    waitReason: 'max_wait' | undefined = undefined,
  ): RateLimitError {
    const reason = check.tooLarge ? 'too_large' : waitReason ?? (state.onLimit === 'reject' ? 'limit' : 'max_wait');
    return new RateLimitError({
      provider: state.provider,
      kind: check.kind,
      reason,
      used: check.used,
      limit: check.limit,
      requestedTokens: tokens,
      retryAfterMs: check.retryAt - now,
      ...(reason === 'max_wait' ? { maxWaitMs: state.maxWaitMs } : {}),
    });
  }

  private report(state: ProviderState, check: Exclude<Check, { ok: true }>, action: RateLimitedInfo['action'], now: number): void {
    if (this.onLimited === undefined) return;
    try {
      this.onLimited({ provider: state.provider, limit: check.kind, action, used: check.used, max: check.limit, retryAfterMs: check.retryAt - now });
    } catch (err: unknown) {
      diag.error('tollgate: a RateLimiter onLimited listener threw', err);
    }
  }

  private add(state: ProviderState, entry: Entry): void {
    state.entries.push(entry);
    state.requests += entry.requests;
    state.tokens += entry.tokens;
  }

  private prune(state: ProviderState, now: number): void {
    const cutoff = now - RATE_LIMIT_WINDOW_MS;
    let drop = 0;
    for (const entry of state.entries) {
      if (entry.time > cutoff) break;
      state.requests -= entry.requests;
      state.tokens -= entry.tokens;
      drop++;
    }
    if (drop > 0) state.entries.splice(0, drop);
  }
}

function checkLimit(field: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(
      `tollgate: rate limit "${field}" must be a whole number >= 1, got ${JSON.stringify(value)}; leave it out for no limit`,
    );
  }
}

function sanitize(tokens: number, method: string): number {
  if (typeof tokens === 'number' && Number.isFinite(tokens) && tokens >= 0) return Math.ceil(tokens);
  diag.warn(`tollgate: RateLimiter.${method} got an invalid token count ${String(tokens)}; counting 0`);
  return 0;
}

function shutdownError(): Error {
  return new Error('tollgate: the rate limiter was shut down');
}
