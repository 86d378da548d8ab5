/** The embedded SQLite ledger (the default store); its parts live in ./sqlite/. */
export { DEFAULT_SQLITE_PATH } from './sqlite/SqliteLedgerOptions.js';
export type { SqliteLedgerOptions } from './sqlite/SqliteLedgerOptions.js';
export { SQLITE_SCHEMA_VERSION } from './sqlite/migrateSchema.js';
export { SqliteLedger } from './sqlite/SqliteLedger.js';
