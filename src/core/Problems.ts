import { diag } from '@opentelemetry/api';
import { setBounded } from './setBounded.js';

/**
 * The kinds of run-time problem tollgate reports. Each is a reason a cap could be weaker
 * than configured, or a number could be wrong, so none of them may pass unseen.
 */
export type ProblemKind =
  /** The store failed a read or write (a reservation, a settlement, a budget load). */
  | 'store'
  /** A model has no price: it was charged at the ceiling price, refused, or (warn-only setups) at $0. */
  | 'unpriced_model'
  /** A call cost more than its reservation (the input was under-estimated, or usage was missing). */
  | 'reservation_shortfall'
  /** Something replaced `globalThis.fetch` after tollgate's guard, so other instrumentations' denied calls may be sent. */
  | 'fetch_guard'
  /** A call that the engine denied reached the provider anyway and was charged with its real usage. */
  | 'enforcement_bypassed'
  /** A GenAI span was started that no BudgetSpanProcessor saw (no processor registered, or the sampler dropped it). */
  | 'unbudgeted_span'
  /** A call's usage was missing or unreadable: it was charged from tollgate's estimate. */
  | 'usage_estimated'
  /** Metrics, events, alerts or traces failed (the accounting itself went on). */
  | 'telemetry'
  /** An unexpected error inside tollgate (a bug): the call went on. */
  | 'internal';

export interface ProblemsOptions {
  /** true: no stderr lines (problems still go to OTel diag and the counter). Default false. */
  quiet?: boolean;
  /** Where a problem line is written. Default process.stderr. */
  write?: (line: string) => void;
  /** Epoch ms. Default Date.now. */
  clock?: () => number;
  /** At most this many stderr lines per minute in all (a storm prints the first few). Default 10. */
  linesPerMinute?: number;
}

/** One distinct problem as it was last reported. */
export interface ProblemReport {
  kind: ProblemKind;
  /** What went wrong and what to do about it. */
  message: string;
  /** How many times it happened. */
  count: number;
  firstAt: number;
  lastAt: number;
}

/** Distinct problems remembered for `list()`; the oldest go first. */
const MAX_DISTINCT = 200;

/**
 * Makes tollgate's run-time problems visible by default. Every problem goes to OTel `diag`
 * and is counted per kind (the `tollgate_problems_total{kind}` metric reads `counts()`); the
 * first time a distinct problem (kind + message) occurs it is also written to stderr, one line,
 * unless `quiet` is set. Repeats only count, and a storm of new ones is cut to
 * `linesPerMinute`, so the host's logs are never flooded. Never throws.
 */
export class Problems {
  private readonly quiet: boolean;
  private readonly write: (line: string) => void;
  private readonly clock: () => number;
  private readonly linesPerMinute: number;
  private readonly byKind = new Map<ProblemKind, number>();
  private readonly distinct = new Map<string, ProblemReport>();
  private minuteStart = 0;
  private linesThisMinute = 0;
  private suppressed = 0;
  private readonly listeners = new Set<(report: ProblemReport, err: unknown) => void>();

  constructor(options: ProblemsOptions = {}) {
    this.quiet = options.quiet ?? false;
    this.write = options.write ?? ((line) => process.stderr.write(line));
    this.clock = options.clock ?? Date.now;
    this.linesPerMinute = options.linesPerMinute ?? 10;
  }

  /** Reports a problem. `message` should say what happened and the fix; keep ids out of it so repeats collapse. */
  report(kind: ProblemKind, message: string, err?: unknown): void {
    try {
      const now = this.clock();
      this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
      const key = `${kind}\u0000${message}`;
      let entry = this.distinct.get(key);
      const first = entry === undefined;
      if (entry === undefined) {
        entry = { kind, message, count: 0, firstAt: now, lastAt: now };
        setBounded(this.distinct, key, entry, MAX_DISTINCT);
      }
      entry.count += 1;
      entry.lastAt = now;
      if (err !== undefined) diag.warn(`tollgate: ${message}`, err);
      else diag.warn(`tollgate: ${message}`);
      if (first && !this.quiet) this.print(kind, message, err, now);
      for (const listener of this.listeners) listener(entry, err);
    } catch {
      // Reporting a problem must never become one for the host.
    }
  }

  /** How many problems of each kind were reported. */
  counts(): ReadonlyMap<ProblemKind, number> {
    return this.byKind;
  }

  /** The distinct problems seen (at most 200, newest last). */
  list(): ProblemReport[] {
    return [...this.distinct.values()].map((r) => ({ ...r }));
  }

  /** Calls `listener` for every report; returns the unsubscribe function. */
  onReport(listener: (report: ProblemReport, err: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private print(kind: ProblemKind, message: string, err: unknown, now: number): void {
    if (now - this.minuteStart >= 60_000) {
      if (this.suppressed > 0) this.write(`tollgate: ${this.suppressed} more problem(s) in the last minute not printed (see tollgate_problems_total)\n`);
      this.minuteStart = now;
      this.linesThisMinute = 0;
      this.suppressed = 0;
    }
    if (this.linesThisMinute >= this.linesPerMinute) {
      this.suppressed += 1;
      return;
    }
    this.linesThisMinute += 1;
    const cause = err instanceof Error ? ` (${err.name}: ${err.message})` : err !== undefined ? ` (${String(err)})` : '';
    this.write(`tollgate [${kind}]: ${message}${cause}\n`);
  }
}
