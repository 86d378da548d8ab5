import { diag } from '@opentelemetry/api';
import { Counter } from 'prom-client';
import type { ProblemKind } from '../core/Problems.js';
import { METRIC_TOLLGATE_PROBLEMS_TOTAL } from './MetricNames.js';
import type { MetricsSetup } from './TollgateMetricsOptions.js';

/** How many problems of each kind were reported so far (usually `() => problems.counts()`); read at scrape time. */
export type ProblemCountSource = () => ReadonlyMap<string, number>;

/** Every problem kind, so each has a series (at 0) from the first scrape; the compiler keeps it in step with ProblemKind. */
const KINDS = {
  store: true,
  unpriced_model: true,
  reservation_shortfall: true,
  fetch_guard: true,
  enforcement_bypassed: true,
  unbudgeted_span: true,
  usage_estimated: true,
  telemetry: true,
  internal: true,
} satisfies Record<ProblemKind, true>;

/** The problem kinds shown at 0 before they first occur. */
const PROBLEM_KINDS: readonly ProblemKind[] = Object.keys(KINDS) as ProblemKind[];

/**
 * `tollgate_problems_total{kind}`: run-time problems by kind, read from the source at scrape
 * time (the counts live in `Problems`, which only grow). Absent until a source is set; a
 * source that throws is logged and counted through `onError`, and the counter is left out of
 * that scrape.
 */
export class ProblemsCounter {
  private source: ProblemCountSource | undefined;

  /** `onError` is called once per failed read of the source. */
  constructor(setup: MetricsSetup, onError: () => void) {
    const counter: Counter<'kind'> = new Counter({
      name: setup.name(METRIC_TOLLGATE_PROBLEMS_TOTAL),
      help: 'Run-time problems by kind: store, unpriced_model, reservation_shortfall, fetch_guard, enforcement_bypassed, unbudgeted_span, usage_estimated, telemetry, internal.',
      labelNames: ['kind'],
      registers: setup.registers,
      collect: () => {
        counter.reset();
        const source = this.source;
        if (source === undefined) return;
        let counts: ReadonlyMap<string, number>;
        try {
          counts = source();
        } catch (err: unknown) {
          diag.warn('tollgate: reading problem counts for /metrics failed; tollgate_problems_total is left out of this scrape', err);
          onError();
          return;
        }
        for (const kind of PROBLEM_KINDS) counter.inc({ kind }, 0);
        for (const [kind, count] of counts) {
          if (Number.isFinite(count) && count > 0) counter.inc({ kind }, count);
        }
      },
    });
  }

  /** Where the counts come from; undefined removes the counter's series. */
  setSource(source: ProblemCountSource | undefined): void {
    this.source = source;
  }
}
