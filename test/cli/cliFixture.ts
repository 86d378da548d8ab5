/** A temp folder with a tollgate.toml pointing at its own SQLite ledger, seeded with known records. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BudgetEngine } from '../../src/budget/BudgetEngine.js';
import type { BudgetSpec } from '../../src/budget/Budget.js';
import type { UsageRecord } from '../../src/ledger/Ledger.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';

export interface CliFixture {
  dir: string;
  dbPath: string;
  configPath: string;
}

/** Creates the folder and writes `tollgate.toml` (store = that folder's ledger.db, plus `extraToml`). */
export function makeCliFixture(extraToml = ''): CliFixture {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
  const dbPath = join(dir, 'ledger.db');
  const configPath = join(dir, 'tollgate.toml');
  writeFileSync(configPath, `store = "sqlite:${dbPath}"\n${extraToml}`);
  return { dir, dbPath, configPath };
}

/** A record with every token field zero unless given. */
export function record(fields: Partial<UsageRecord> & Pick<UsageRecord, 'id' | 'time'>): UsageRecord {
  return {
    provider: 'openai',
    model: 'gpt-4o',
    operation: 'chat',
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos: 0,
    status: 'ok',
    ...fields,
  };
}

/** Settles the records into the SQLite ledger through a BudgetEngine holding `budgets`, so budget counters match. */
export function seedLedger(dbPath: string, budgets: BudgetSpec[], records: readonly UsageRecord[]): void {
  const ledger = new SqliteLedger({ path: dbPath });
  try {
    const engine = new BudgetEngine({ ledger, budgets });
    for (const r of records) void engine.settle(undefined, r);
  } finally {
    ledger.close();
  }
}
