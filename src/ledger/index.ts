export type {
  Bucket,
  BucketState,
  Ledger,
  MaybePromise,
  Nanos,
  RecordQuery,
  ReserveRequest,
  ReserveResult,
  ResetRecord,
  StoredBudget,
  UsageGroup,
  AttributionGroupBy,
  UsageGroupBy,
  UsageWhere,
  UsageQuery,
  UsageRecord,
  UsageStatus,
} from './Ledger.js';
export { LazyLedger } from './LazyLedger.js';
export { LedgerClosedError } from './LedgerClosedError.js';
export { MemoryLedger } from './memory.js';
export { openLedger, openLedgerSync, openStore, parseStoreUrl } from './openLedger.js';
export type { OpenLedgerOptions, ParsedStore } from './openLedger.js';
export { DEFAULT_SQLITE_PATH, SQLITE_SCHEMA_VERSION, SqliteLedger } from './sqlite.js';
export type { SqliteLedgerOptions } from './sqlite.js';
export { UsageAccumulator, sortUsageGroups } from './UsageAccumulator.js';
export type { UsageTotals } from './UsageAccumulator.js';
export { withErrorCount } from './withErrorCount.js';
export { assertGroupBy, USAGE_GROUP_BY } from './assertGroupBy.js';
