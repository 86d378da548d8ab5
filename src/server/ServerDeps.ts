import type { BudgetSpec } from '../core/Budget.js';
import type { EventBus } from '../events/EventBus.js';
import type { UsageGroup, UsageQuery } from '../ledger/Ledger.js';
import type { MaybePromise } from '../core/maybePromise.js';
import type { TollgateMetrics } from '../metrics/TollgateMetrics.js';
import type { TraceRing } from '../traces/TraceRing.js';

/** What the HTTP API needs from the budget engine (structural: `BudgetEngine` has this shape). */
export interface BudgetAdmin {
  /** Every budget (from config and added at run time). Served as JSON. */
  list(): MaybePromise<readonly unknown[]>;
  /**
   * Add a budget. Throws an Error whose message says what is wrong when the spec is
   * invalid (served as 400). The result, if any, is served as the created budget.
   */
  add(spec: BudgetSpec): MaybePromise<unknown>;
  /** Remove a budget by id; false when no such budget exists (served as 404). */
  remove(id: string): MaybePromise<boolean>;
  /** Every budget's current state (spent, reserved, limit, remaining). Served as JSON. */
  status(): MaybePromise<readonly unknown[]>;
  /** Resets of budget counters (`BudgetEngine.resets`). Unset: the reset routes answer 404. */
  resets?: ResetAdmin;
}

/** What the HTTP API needs to reset budget counters (structural: `BudgetEngine.resets` has this shape). */
export interface ResetAdmin {
  /** The session's budget counters start again from zero; resolves to the logged reset. */
  session(id: string, actor?: string): Promise<unknown>;
  /** The reset log, newest first. */
  list(limit?: number): Promise<readonly unknown[]>;
}

/** What the HTTP API needs of the kill switch (structural: `BudgetEngine.killSwitch` has this shape). */
export interface PauseAdmin {
  /** Whether calls are refused, why and since when. */
  current(): { paused: boolean; reason?: string; since?: number };
  /** Refuse every call until resumed. */
  pause(reason?: string): Promise<unknown>;
  /** Admit calls again; false when they were not paused. */
  resume(): Promise<boolean>;
}

/** Result of a health check: `ok` is false when any check failed. */
export interface HealthReport {
  ok: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

/** Everything the request handler serves. */
export interface ServerDeps {
  metrics: TollgateMetrics;
  budgets: BudgetAdmin;
  /** Aggregated usage (usually `ledger.usage`). */
  usage(query: UsageQuery): MaybePromise<UsageGroup[]>;
  traces: TraceRing;
  events: Pick<EventBus, 'on'>;
  /** Pricing loaded, store reachable, ... (served by /healthz: 200 when ok, 503 otherwise). */
  health(): MaybePromise<HealthReport>;
  /** The leases the store holds for this process (served in /v1/budgets and /v1/status). Unset: the store has none. */
  leases?(): readonly unknown[];
  /** Extra fields of /v1/status (session cost, ...); uptime and trace count are added by the server. */
  status(): MaybePromise<Record<string, unknown>>;
  /** The kill switch behind `GET|POST /v1/pause` and `POST /v1/resume`. Unset: those routes answer 404. */
  pause?: PauseAdmin;
  /** Bearer token for the budget-changing routes. Unset: those routes answer 403. Usually from TOLLGATE_ADMIN_TOKEN. */
  adminToken?: string;
  /** Bearer token for the read routes (/v1/*); the admin token is accepted too. Usually from TOLLGATE_READ_TOKEN. */
  readToken?: string;
  /**
   * Whether the read routes need a token. Default: when `readToken` is set; `startServer` also
   * requires it when it binds to anything but loopback.
   */
  requireReadToken?: boolean;
  /**
   * Host header names answered (DNS rebinding protection); '*' or unset: any. `startServer`
   * defaults it to the loopback names and the bound host (any when bound to 0.0.0.0 / ::).
   */
  allowedHosts?: readonly string[];
  /** Most /v1/events clients at once. Default 100. */
  sseMaxClients?: number;
  /** Bytes queued for a /v1/events client that does not read before it is disconnected. Default 262144. */
  sseMaxBufferedBytes?: number;
  /** Folder of the built page served at `/`; false serves no page. Default `dist/web` of this package. */
  webRoot?: string | false;
  /** Largest accepted request body, bytes. Default 65536. */
  maxBodyBytes?: number;
  /** Rate limiter state, served in /v1/status as `rateLimits`. */
  rateLimitStatus?: () => unknown;
  /** Clock (epoch ms) for `since=24h`-style parameters and uptime. Default `Date.now`. */
  now?: () => number;
  /** Interval of the SSE heartbeat comment on /v1/events, ms. Default 15000. */
  sseHeartbeatMs?: number;
}
