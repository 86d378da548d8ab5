/** A temp folder with a tollgate.toml pointing at its own SQLite ledger, seeded with known records. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BudgetEngine } from '../../src/budget/BudgetEngine.js';
import type { Pricer } from '../../src/budget/Pricer.js';
import type { BudgetSpec } from '../../src/core/Budget.js';
import type { UsageRecord } from '../../src/core/UsageRecord.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import { usageRecord } from '../helpers/usageRecord.js';

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
  return usageRecord(fields);
}

/** The engine only settles here; pricing a call would be a mistake of the fixture. */
const NO_PRICING: Pricer = {
  cost: () => {
    throw new Error('seedLedger settles priced records; it never prices a call');
  },
  ceilingCost: () => {
    throw new Error('seedLedger settles priced records; it never prices a call');
  },
  isPriced: () => true,
};

/** Settles the records into the SQLite ledger through a BudgetEngine holding `budgets`, so budget counters match. */
export async function seedLedger(dbPath: string, budgets: BudgetSpec[], records: readonly UsageRecord[]): Promise<void> {
  const ledger = new SqliteLedger({ path: dbPath });
  try {
    const engine = new BudgetEngine({ ledger, pricer: NO_PRICING, budgets });
    for (const record of records) {
      await engine.settle({ record, costSource: 'computed', priceSource: 'fixture', shortfallNanos: 0, reservedNanos: 0 });
    }
    expect(engine.errorCount).toBe(0);
  } finally {
    await ledger.close();
  }
}

/** The budgets of `seedStandard`, as config TOML and as specs. */
export const STANDARD_BUDGETS: BudgetSpec[] = [
  { id: 'all-time', scope: 'total', maxUsd: 1 },
  { id: 'per-task', scope: 'task', maxUsd: 0.01, onExceed: 'warn' },
];
export const STANDARD_BUDGETS_TOML = `
[[budgets]]
id = "all-time"
scope = "total"
maxUsd = 1

[[budgets]]
id = "per-task"
scope = "task"
maxUsd = 0.01
onExceed = "warn"
`;

/** 40 days, the age of the standard fixture's old record. */
export const OLD_RECORD_AGE_MS = 40 * 86_400_000;

/**
 * A fixture with STANDARD_BUDGETS and five records: four within `base`..`base + 3000`
 * (gpt-4o $0.0045 warn, claude-sonnet-4 $0.009, gpt-4o-mini $0.00015 error + fallback,
 * a free tool call) and one `OLD_RECORD_AGE_MS` old (gpt-4o, task T-old, $0.001).
 */
export async function standardFixture(base: number): Promise<CliFixture> {
  const fx = makeCliFixture(STANDARD_BUDGETS_TOML);
  await seedLedger(fx.dbPath, STANDARD_BUDGETS, [
    record({ id: 'r1', time: base, task: 'T-1', session: 'S-1', inputTokens: 1000, outputTokens: 200, costNanos: 4_500_000, metadata: { decision: 'warn' } }),
    record({ id: 'r2', time: base + 1000, task: 'T-1', session: 'S-1', provider: 'anthropic', model: 'claude-sonnet-4', inputTokens: 2000, cacheReadTokens: 500, outputTokens: 300, costNanos: 9_000_000 }),
    record({ id: 'r3', time: base + 2000, task: 'T-2', model: 'gpt-4o-mini', inputTokens: 500, outputTokens: 100, costNanos: 150_000, status: 'error', metadata: { decision: 'fallback' } }),
    record({ id: 'r4', time: base + 3000, task: 'T-2', provider: '', model: '', operation: 'execute_tool', metadata: { tool: 'search' } }),
    record({ id: 'old', time: Date.now() - OLD_RECORD_AGE_MS, task: 'T-old', inputTokens: 100, outputTokens: 10, costNanos: 1_000_000 }),
  ]);
  return fx;
}
