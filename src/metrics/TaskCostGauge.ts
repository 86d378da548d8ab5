import type { Nanos } from '../core/money.js';
import { NANOS_PER_USD } from '../core/money.js';
import { CellGauge } from './CellMetrics.js';
import type { ValueCell } from './CellMetrics.js';
import { METRIC_TASK_COST_TOTAL_USD } from './MetricNames.js';
import type { MetricsSetup } from './TollgateMetricsOptions.js';

/**
 * `task_cost_total_usd{task_id}`: cost per task, with at most `taskSeriesCap` series. When a
 * new task would go over, the task updated least recently is dropped.
 */
export class TaskCostGauge {
  private readonly gauge: CellGauge<'task_id'>;
  private readonly cap: number;
  /** task id → cost (exact) and its gauge cell, least recently updated first. */
  private readonly tasks = new Map<string, { nanos: Nanos; cell: ValueCell<'task_id'> }>();

  constructor(setup: MetricsSetup) {
    this.cap = setup.taskSeriesCap;
    this.gauge = new CellGauge({
      name: setup.name(METRIC_TASK_COST_TOTAL_USD),
      help: `Cost per task, USD (at most ${setup.taskSeriesCap} tasks; the least recently updated is dropped first).`,
      labelNames: ['task_id'],
      registers: setup.registers,
    });
  }

  /** Adds `nanos` to the task's cost (0 still marks the task as recently updated). */
  add(task: string, nanos: Nanos): void {
    const entry = this.tasks.get(task);
    if (entry !== undefined) {
      entry.nanos += nanos;
      entry.cell.value = entry.nanos / NANOS_PER_USD;
      // Re-insert so the Map stays ordered by last update: the first entry is the one to evict.
      this.tasks.delete(task);
      this.tasks.set(task, entry);
      return;
    }
    const cell = this.gauge.cell(task, { task_id: task });
    cell.value = nanos / NANOS_PER_USD;
    this.tasks.set(task, { nanos, cell });
    while (this.tasks.size > this.cap) {
      const oldest = this.tasks.keys().next();
      if (oldest.done === true) break;
      this.tasks.delete(oldest.value);
      this.gauge.delete(oldest.value);
    }
  }
}
