import { Counter } from 'prom-client';
import type { UsageRecord } from '../core/UsageRecord.js';
import type { LabelFold } from './LabelFold.js';
import { METRIC_CONTRACT_CHECKS_TOTAL, METRIC_MEMORY_OPERATIONS_TOTAL, METRIC_TOOL_CALLS_TOTAL } from './MetricNames.js';
import type { MetricsSetup } from './TollgateMetricsOptions.js';
import {
  CONTRACT_OPERATION,
  MEMORY_OPERATION,
  METADATA_CONTRACT,
  METADATA_CONTRACT_RESULT,
  METADATA_MEMORY_OPERATION,
  METADATA_TOOL,
  TOOL_OPERATION,
  readMetadata,
} from './UsageKinds.js';

/**
 * `tool_calls_total`, `memory_operations_total` and `contract_checks_total`: low-volume
 * counters of the records that are not model calls, kept as plain prom-client counters, their
 * labels bounded by a LabelFold each.
 */
export class ActivityCounters {
  private readonly toolCalls: Counter<'tool' | 'status'>;
  private readonly memoryOperations: Counter<'operation' | 'status'>;
  private readonly contractChecks: Counter<'contract' | 'result'>;
  private readonly toolFold: LabelFold;
  private readonly memoryFold: LabelFold;
  private readonly contractFold: LabelFold;

  constructor(setup: MetricsSetup) {
    const { name, registers } = setup;
    this.toolFold = setup.folds.fold(METRIC_TOOL_CALLS_TOTAL);
    this.memoryFold = setup.folds.fold(METRIC_MEMORY_OPERATIONS_TOTAL);
    this.contractFold = setup.folds.fold(METRIC_CONTRACT_CHECKS_TOTAL);
    this.toolCalls = new Counter({
      name: name(METRIC_TOOL_CALLS_TOTAL),
      help: 'Tool executions by status.',
      labelNames: ['tool', 'status'],
      registers,
    });
    this.memoryOperations = new Counter({
      name: name(METRIC_MEMORY_OPERATIONS_TOTAL),
      help: 'Memory operations (read, write, delete, search) by status.',
      labelNames: ['operation', 'status'],
      registers,
    });
    this.contractChecks = new Counter({
      name: name(METRIC_CONTRACT_CHECKS_TOTAL),
      help: 'Contract checks by result (pass, fail).',
      labelNames: ['contract', 'result'],
      registers,
    });
  }

  /** Counts a tool, memory or contract record; other operations are ignored. */
  record(record: UsageRecord): void {
    const status = record.status;
    switch (record.operation) {
      case TOOL_OPERATION: {
        const tool = readMetadata(record.metadata, METADATA_TOOL, 'gen_ai.tool.name') ?? 'unknown';
        this.toolCalls.inc(this.toolFold.values({ tool, status }));
        return;
      }
      case MEMORY_OPERATION: {
        const operation = readMetadata(record.metadata, METADATA_MEMORY_OPERATION, 'tollgate.memory.operation') ?? 'unknown';
        this.memoryOperations.inc(this.memoryFold.values({ operation, status }));
        return;
      }
      case CONTRACT_OPERATION: {
        const contract = readMetadata(record.metadata, METADATA_CONTRACT, 'tollgate.contract.name') ?? 'unknown';
        const result =
          readMetadata(record.metadata, METADATA_CONTRACT_RESULT, 'tollgate.contract.result') ?? (status === 'ok' ? 'pass' : 'fail');
        this.contractChecks.inc(this.contractFold.values({ contract, result }));
        return;
      }
    }
  }
}
