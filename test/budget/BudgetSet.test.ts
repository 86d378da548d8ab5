import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BudgetPer, BudgetSpec, BudgetWhere } from '../../src/core/Budget.js';
import { applyBudget } from '../../src/budget/budgetBucket.js';
import type { AppliedBudget, BucketContext } from '../../src/budget/budgetBucket.js';
import { BudgetSet, listsOf } from '../../src/budget/BudgetSet.js';
import type { PlanLists } from '../../src/budget/BudgetSet.js';
import { MemoryLedger } from '../../src/ledger/memory.js';

// The budget set finds the budgets that apply to a call through an index (general budgets per
// provider/model pair, keyed per-id budgets by id, where-budgets by the call's attribution values). Whatever the budgets, the answer must be
// the one a plain walk over every budget, in budget order, gives.

const NOON = Date.UTC(2026, 2, 10, 12);
const DAY = 86_400_000;
const IDS = ['A', 'B', 'C'];
const PROVIDERS = ['openai', 'anthropic'];
const MODELS = ['gpt-4o', 'claude'];

function budgetSet(specs: readonly BudgetSpec[]): BudgetSet {
  return new BudgetSet(new MemoryLedger(), specs, () => {
    throw new Error('no stored budgets in these tests');
  });
}

/** What a plan decides with: which counters, limits and windows, in which order. */
function shape(a: AppliedBudget): unknown {
  const rolling = a.budget.window === 'rolling';
  return {
    budget: a.budget.id,
    // Request budgets are checked against the call's own estimate; their key is not used.
    key: a.budget.scope === 'request' ? 'request' : a.key,
    limitNanos: a.limitNanos,
    bucket: a.bucket,
    // A rolling window's bounds are informational (its bucket carries rollingMs).
    window: rolling ? 'rolling' : [a.windowStart, a.windowEnd],
  };
}

function listsShape(lists: PlanLists): unknown {
  return { ...lists, applied: lists.applied.map(shape), bucketed: lists.bucketed.map(shape) };
}

/** The reference: every budget, in order, applied to the call. */
function reference(set: BudgetSet, ctx: BucketContext, now: number): AppliedBudget[] {
  const out: AppliedBudget[] = [];
  for (const budget of set.values()) {
    const a = applyBudget(budget, ctx, now);
    if (a !== undefined) out.push(a);
  }
  return out;
}

const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });

const specArb: fc.Arbitrary<BudgetSpec> = fc
  .record({
    scope: fc.constantFrom('request', 'task', 'session', 'agent', 'daily', 'weekly', 'monthly', 'total' as const),
    maxUsd: fc.integer({ min: 1, max: 100 }),
    onExceed: fc.constantFrom('deny', 'warn' as const),
    rolling: fc.boolean(),
    provider: optional(fc.constantFrom(...PROVIDERS)),
    model: optional(fc.constantFrom(...MODELS)),
    key: optional(fc.constantFrom(...IDS)),
    where: optional(fc.constantFrom<BudgetWhere>({ team: 'search' }, { user: 'alice' }, { tag: 'batch' }, { 'metadata.env': 'prod' }, { team: 'ads', tag: 'batch' })),
    per: optional(fc.constantFrom<BudgetPer>('user', 'team', 'metadata.env')),
  })
  .map(({ rolling, key, where, per, ...rest }) => {
    const spec: BudgetSpec = { ...rest };
    if (where !== undefined) spec.where = where;
    if (per !== undefined && ['daily', 'weekly', 'monthly', 'total'].includes(spec.scope)) spec.per = per;
    if (rolling && (spec.scope === 'daily' || spec.scope === 'weekly' || spec.scope === 'monthly')) spec.window = 'rolling';
    if (key !== undefined && (spec.scope === 'task' || spec.scope === 'session' || spec.scope === 'agent')) spec.key = key;
    return spec;
  });

const ctxArb: fc.Arbitrary<BucketContext> = fc
  .record({
    provider: fc.constantFrom(...PROVIDERS),
    model: fc.constantFrom(...MODELS),
    task: optional(fc.constantFrom(...IDS)),
    session: optional(fc.constantFrom(...IDS)),
    agent: optional(fc.constantFrom(...IDS)),
    user: optional(fc.constantFrom('alice', 'bob')),
    team: optional(fc.constantFrom('search', 'ads')),
    tags: optional(fc.subarray(['batch', 'eval'], { minLength: 1 })),
    env: optional(fc.constantFrom('prod', 'dev')),
  })
  .map(({ task, session, agent, user, team, tags, env, ...rest }) => {
    const ctx: BucketContext = { id: 'call-1', ...rest };
    if (user !== undefined) ctx.user = user;
    if (team !== undefined) ctx.team = team;
    if (tags !== undefined) ctx.tags = tags;
    if (env !== undefined) ctx.meta = { env };
    if (task !== undefined) ctx.task = task;
    if (session !== undefined) ctx.session = session;
    if (agent !== undefined) ctx.agent = agent;
    return ctx;
  });

type Step = { op: 'call'; ctx: BucketContext; days: number } | { op: 'add'; spec: BudgetSpec } | { op: 'remove'; index: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('call' as const), ctx: ctxArb, days: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('add' as const), spec: specArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), index: fc.nat(30) }) },
);

/** Gives each spec its own id, so that budgets with equal fields are still distinct budgets. */
const withIds = (specs: readonly BudgetSpec[], prefix: string): BudgetSpec[] => specs.map((s, i) => ({ ...s, id: `${prefix}${i}` }));

describe('BudgetSet', () => {
  it('plans the same budgets, in the same order, as a walk over every budget', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArb, { maxLength: 25 }), fc.array(stepArb, { minLength: 1, maxLength: 30 }), async (specs, steps) => {
        const set = budgetSet(withIds(specs, 'b'));
        let added = 0;
        for (const step of steps) {
          if (step.op === 'add') await set.add({ ...step.spec, id: `added${added++}` });
          else if (step.op === 'remove') await set.remove([...set.values()][step.index]?.id ?? 'none');
          else {
            const now = NOON + step.days * DAY;
            expect(listsShape(set.plan(step.ctx, now))).toEqual(listsShape(listsOf(reference(set, step.ctx, now))));
            expect(set.applicable(step.ctx, now)).toEqual(reference(set, step.ctx, now));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('applies a keyed per-id budget only to its own id, and unkeyed ones to every id', () => {
    const set = budgetSet([
      { id: 'daily', scope: 'daily', maxUsd: 10 },
      { id: 'task-A', scope: 'task', key: 'A', maxUsd: 1 },
      { id: 'every-task', scope: 'task', maxUsd: 2 },
      { id: 'agent-A', scope: 'agent', key: 'A', maxUsd: 3 },
      { id: 'task-B', scope: 'task', key: 'B', maxUsd: 4 },
    ]);
    const ids = (ctx: Omit<BucketContext, 'id' | 'provider' | 'model'>) => set.plan({ id: 'c', provider: 'openai', model: 'gpt-4o', ...ctx }, NOON).applied.map((a) => `${a.budget.id}:${a.key}`);
    expect(ids({})).toEqual(['daily:global']);
    expect(ids({ task: 'A' })).toEqual(['daily:global', 'task-A:A', 'every-task:A']);
    expect(ids({ task: 'B', agent: 'A' })).toEqual(['daily:global', 'every-task:B', 'agent-A:A', 'task-B:B']);
    expect(ids({ task: 'C', agent: 'B' })).toEqual(['daily:global', 'every-task:C']);
  });

  it('with 10,000 where-budgets (one per team) and a per-user budget, a call touches only its own team\'s and its user\'s counter', () => {
    const specs: BudgetSpec[] = Array.from({ length: 10_000 }, (_, i) => ({ scope: 'daily', where: { team: `team-${i}` }, maxUsd: 1 }));
    specs.push({ scope: 'daily', per: 'user', maxUsd: 1 });
    const set = budgetSet(specs);
    const plan = (ctx: Omit<BucketContext, 'id' | 'provider' | 'model'>) => set.plan({ id: 'c', provider: 'openai', model: 'gpt-4o', ...ctx }, NOON).applied.map((a) => `${a.budget.id}:${a.key}`);
    expect(plan({ team: 'team-4242', user: 'alice' })).toEqual(['daily:team=team-4242:team=team-4242', 'daily:per=user:user=alice']);
    expect(plan({ team: 'nobody' })).toEqual([]);
  });

  it('keeps budget order when keyed budgets of several scopes match one call', () => {
    const set = budgetSet([
      { id: 'session-S', scope: 'session', key: 'S', maxUsd: 1 },
      { id: 'task-T', scope: 'task', key: 'T', maxUsd: 1 },
      { id: 'daily', scope: 'daily', maxUsd: 1 },
      { id: 'agent-G', scope: 'agent', key: 'G', maxUsd: 1 },
      { id: 'task-T-2', scope: 'task', key: 'T', maxUsd: 1 },
    ]);
    const lists = set.plan({ id: 'c', provider: 'openai', model: 'gpt-4o', task: 'T', session: 'S', agent: 'G' }, NOON);
    expect(lists.applied.map((a) => a.budget.id)).toEqual(['session-S', 'task-T', 'daily', 'agent-G', 'task-T-2']);
  });

  it('finds a keyed budget added or removed at run time', async () => {
    const set = budgetSet([{ id: 'daily', scope: 'daily', maxUsd: 10 }]);
    const ctx: BucketContext = { id: 'c', provider: 'openai', model: 'gpt-4o', task: 'T-1' };
    expect(set.plan(ctx, NOON).applied.map((a) => a.budget.id)).toEqual(['daily']);
    await set.add({ id: 'task-T-1', scope: 'task', key: 'T-1', maxUsd: 1 });
    expect(set.plan(ctx, NOON).applied.map((a) => a.budget.id)).toEqual(['daily', 'task-T-1']);
    // A keyed budget has one counter (status reports its key): its ids are not tracked.
    expect([...set.seen('task-T-1')]).toEqual([]);
    await set.remove('task-T-1');
    expect(set.plan(ctx, NOON).applied.map((a) => a.budget.id)).toEqual(['daily']);
  });

  it('applies a keyed budget only under its filters, with one counter for every call carrying its key', () => {
    const set = budgetSet([
      { id: 'daily', scope: 'daily', maxUsd: 10 },
      { id: 'task-T', scope: 'task', key: 'T', model: 'gpt-4o', maxUsd: 1 },
    ]);
    const call = (id: string, model: string, task: string): BucketContext => ({ id, provider: 'openai', model, task });
    const first = set.plan(call('c1', 'gpt-4o', 'T'), NOON);
    const second = set.plan(call('c2', 'gpt-4o', 'T'), NOON + 1);
    expect(first.buckets.map((b) => b.key)).toEqual(['daily|global|2026-03-10', 'task-T|T|all']);
    expect(second.buckets[1]).toBe(first.buckets[1]);
    expect(set.plan(call('c3', 'gpt-4o-mini', 'T'), NOON).buckets.map((b) => b.key)).toEqual(['daily|global|2026-03-10']);
    expect(set.plan(call('c4', 'gpt-4o', 'U'), NOON).buckets.map((b) => b.key)).toEqual(['daily|global|2026-03-10']);
    expect(set.applicable(call('c5', 'gpt-4o', 'T'), NOON).map((a) => a.budget.id)).toEqual(['daily', 'task-T']);
  });

  it('moves a calendar budget to the next day when the window ends', () => {
    const set = budgetSet([
      { id: 'daily', scope: 'daily', maxUsd: 10 },
      { id: 'task-T', scope: 'task', key: 'T', maxUsd: 1 },
    ]);
    const ctx: BucketContext = { id: 'c', provider: 'openai', model: 'gpt-4o', task: 'T' };
    expect(set.plan(ctx, NOON).buckets.map((b) => b.key)).toEqual(['daily|global|2026-03-10', 'task-T|T|all']);
    expect(set.plan(ctx, NOON + DAY).buckets.map((b) => b.key)).toEqual(['daily|global|2026-03-11', 'task-T|T|all']);
  });
});
