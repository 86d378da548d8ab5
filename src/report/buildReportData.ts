import type { BudgetStatus } from '../budget/budgetStatus.js';
import type { Ledger, UsageGroup } from '../ledger/Ledger.js';
import { sumUsage } from '../ledger/UsageAccumulator.js';
import { CONTRACT_OPERATION, MEMORY_OPERATION, METADATA_DECISION, TOOL_OPERATION } from '../metrics/UsageKinds.js';
import type { RateLimitStatus } from '../ratelimit/RateLimitStatus.js';
import type { ReportData, ReportTask } from './ReportData.js';

export interface BuildReportOptions {
  ledger: Ledger;
  /** Budget spend per budget and key (BudgetEngine.status). */
  budgetStatus: () => Promise<BudgetStatus[]>;
  /** Epoch ms "now". */
  now: number;
  since?: number;
  until?: number;
  /** The session to report on (its id as recorded), if any. */
  sessionId?: string;
  /** How many tasks (and users, teams, API keys, tags) to list. Default 10. */
  topTasks?: number;
  rateLimits?: RateLimitStatus[];
  /** Cap on records read to count warn / fallback / deny decisions. Default 100,000. */
  maxRecords?: number;
}

const DAY_MS = 86_400_000;
const ACTIVITIES = [TOOL_OPERATION, MEMORY_OPERATION, CONTRACT_OPERATION] as const;

/** Reads everything a spend report shows from the ledger (nothing is computed twice by renderers). */
export async function buildReportData(o: BuildReportOptions): Promise<ReportData> {
  const range = { ...(o.since !== undefined ? { since: o.since } : {}), ...(o.until !== undefined ? { until: o.until } : {}) };
  const taskActivity = (operation: string): Promise<UsageGroup[]> => o.ledger.usage({ by: 'task', ...range, where: { operation } });
  const modelActivity = (operation: string): Promise<UsageGroup[]> => o.ledger.usage({ by: 'model', ...range, where: { operation } });
  const [byProvider, byModel, byTask, last24, statuses, records, users, teams, apiKeys, tags, tools, memory, contracts, ...activityModels] = await Promise.all([
    o.ledger.usage({ by: 'provider', ...range }),
    o.ledger.usage({ by: 'model', ...range }),
    o.ledger.usage({ by: 'task', ...range }),
    o.ledger.usage({ by: 'provider', since: o.now - DAY_MS, until: o.now + 1 }),
    o.budgetStatus(),
    o.ledger.records({ ...range, limit: o.maxRecords ?? 100_000 }),
    o.ledger.usage({ by: 'user', ...range }),
    o.ledger.usage({ by: 'team', ...range }),
    o.ledger.usage({ by: 'apiKey', ...range }),
    o.ledger.usage({ by: 'tag', ...range }),
    taskActivity(TOOL_OPERATION),
    taskActivity(MEMORY_OPERATION),
    taskActivity(CONTRACT_OPERATION),
    ...ACTIVITIES.map(modelActivity),
  ]);
  const top = (groups: UsageGroup[]): UsageGroup[] => topOf(groups, o.topTasks ?? 10);
  const events = { warned: 0, fallbacks: 0, denied: 0 };
  for (const r of records) {
    if (r.status === 'denied') events.denied += 1;
    const decision = r.metadata?.[METADATA_DECISION];
    if (decision === 'warn') events.warned += 1;
    if (decision === 'fallback') events.fallbacks += 1;
  }
  const data: ReportData = {
    generatedAt: o.now,
    ...range,
    // Model calls only: tool, memory and contract records have no provider.
    last24h: totals(last24.filter((g) => g.key !== '')),
    byProvider: byProvider.filter((g) => g.key !== ''),
    // Tool, memory and contract records are not model calls (the ledger files them under model "unknown").
    byModel: byModel.filter((g) => g.key !== '').flatMap((g) => {
      const rest = taskRow(g, ...(activityModels as [UsageGroup[], UsageGroup[], UsageGroup[]]));
      return rest.calls > 0 ? [{ ...g, calls: rest.calls, errors: rest.errors }] : [];
    }),
    topTasks: byTask
      .filter((g) => g.key !== '')
      .map((g) => taskRow(g, tools, memory, contracts))
      .sort((a, b) => b.costNanos - a.costNanos || a.key.localeCompare(b.key))
      .slice(0, o.topTasks ?? 10),
    budgets: statuses.map((s) => ({
      id: s.budget.id,
      scope: s.budget.scope,
      key: s.key,
      spentUsd: s.spentUsd,
      limitUsd: s.limitUsd,
      remainingUsd: s.remainingUsd,
      action: s.budget.onExceed,
      ...(s.budget.provider !== undefined ? { provider: s.budget.provider } : {}),
      ...(s.budget.model !== undefined ? { model: s.budget.model } : {}),
    })),
    rateLimits: o.rateLimits ?? [],
    events,
  };
  const attribution = { users: top(users), teams: top(teams), apiKeys: top(apiKeys), tags: top(tags) };
  if (Object.values(attribution).some((groups) => groups.length > 0)) data.attribution = attribution;
  if (o.sessionId !== undefined) {
    const session = totals((await o.ledger.usage({ by: 'provider', ...range, where: { session: o.sessionId } })).filter((g) => g.key !== ''));
    data.session = { id: o.sessionId, costUsd: session.costUsd, calls: session.calls };
  }
  return data;
}

/** A task's model calls apart from its tool calls, memory operations and contract checks (which cost nothing and carry no tokens). */
function taskRow(all: UsageGroup, tools: UsageGroup[], memory: UsageGroup[], contracts: UsageGroup[]): ReportTask {
  const of = (groups: UsageGroup[]): UsageGroup | undefined => groups.find((g) => g.key === all.key);
  const activities = [of(tools), of(memory), of(contracts)];
  const calls = activities.reduce((n, g) => n - (g?.calls ?? 0), all.calls);
  const errors = activities.reduce((n, g) => n - (g?.errors ?? 0), all.errors);
  return { ...all, calls, errors, toolCalls: of(tools)?.calls ?? 0, memoryOps: of(memory)?.calls ?? 0, contractChecks: of(contracts)?.calls ?? 0 };
}

/** The `n` most expensive groups that have a key. */
function topOf(groups: UsageGroup[], n: number): UsageGroup[] {
  return groups
    .filter((g) => g.key !== '')
    .sort((a, b) => b.costNanos - a.costNanos || a.key.localeCompare(b.key))
    .slice(0, n);
}

function totals(groups: UsageGroup[]): ReportData['last24h'] {
  const t = sumUsage(groups);
  return { costUsd: t.costNanos / 1e9, calls: t.calls, inputTokens: t.inputTokens, outputTokens: t.outputTokens };
}
