import type { UsageGroup } from '../../src/ledger/Ledger.js';
import type { ReportData, ReportTask } from '../../src/report/ReportData.js';

/** 2026-11-23T12:00:00.000Z */
export const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const HOUR = 3_600_000;

function group(key: string, calls: number, inputTokens: number, outputTokens: number, costNanos: number, extra: Partial<UsageGroup> = {}): UsageGroup {
  return {
    key,
    calls,
    errors: 0,
    inputTokens,
    outputTokens,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanos,
    ...extra,
  };
}

function task(g: UsageGroup, toolCalls: number, memoryOps: number, contractChecks: number): ReportTask {
  return { ...g, toolCalls, memoryOps, contractChecks };
}

export const byModel: UsageGroup[] = [
  group('gpt-4o', 6, 12_000, 3_000, 60_000_000, { cacheReadTokens: 2_000, errors: 1 }), // $0.06
  group('claude-sonnet-4-5', 3, 4_500, 1_500, 36_000_000, { cacheWriteTokens: 500 }), // $0.036
  group('gpt-4o-mini', 4, 2_000, 800, 780_000), // $0.00078
  group('text-embedding-3-small', 2, 1_000, 0, 20_000), // $0.00002
  group('o3-mini', 1, 100, 2_000, 8_910_123, { reasoningTokens: 1_500 }), // $0.008910123
];

export const reportData: ReportData = {
  generatedAt: NOW,
  since: NOW - 24 * HOUR,
  until: NOW,
  session: { id: 'demo-session', costUsd: 0.105710123, calls: 16 },
  last24h: { costUsd: 0.105710123, calls: 16, inputTokens: 19_600, outputTokens: 7_300 },
  byProvider: [
    group('openai', 13, 15_100, 5_800, 69_710_123, { errors: 1 }),
    group('anthropic', 3, 4_500, 1_500, 36_000_000),
  ],
  byModel,
  topTasks: [
    task(group('T-checkout', 7, 10_000, 4_000, 70_000_000), 3, 2, 1),
    task(group('T-search|v2', 5, 6_000, 2_000, 30_000_000), 0, 1, 0),
    task(group('', 4, 3_600, 1_300, 5_710_123), 0, 0, 0),
  ],
  budgets: [
    { id: 'daily', scope: 'daily', key: 'global', spentUsd: 16, limitUsd: 20, remainingUsd: 4, action: 'deny' },
    { id: 'task-cap', scope: 'task', key: 'T-checkout', spentUsd: 0.07, limitUsd: 0.075, remainingUsd: 0.005, action: 'fallback', provider: 'openai' },
    { id: 'gpt4o-daily', scope: 'daily', key: 'global', spentUsd: 0.06, limitUsd: 1, remainingUsd: 0.94, action: 'warn', provider: 'openai', model: 'gpt-4o' },
  ],
  rateLimits: [
    { provider: 'openai', rpm: { used: 3, limit: 60 }, tpm: { used: 12_500, limit: 40_000 }, resetAt: NOW + 30_000, waiting: 1 },
    { provider: 'anthropic', rpm: { used: 0, limit: null }, tpm: { used: 0, limit: 100_000 }, resetAt: null, waiting: 0 },
  ],
  events: { warned: 1, fallbacks: 2, denied: 1 },
};
