import { describe, expect, it } from 'vitest';
import { BudgetIndex } from '../../src/budget/BudgetIndex.js';
import { normalizeBudget } from '../../src/budget/normalizeBudget.js';

const index = new BudgetIndex(
  [
    { id: 'daily', scope: 'daily', maxUsd: 1 },
    { id: 'task-A', scope: 'task', key: 'A', maxUsd: 1 },
    { id: 'every-task', scope: 'task', maxUsd: 1 },
    { id: 'agent-A', scope: 'agent', key: 'A', maxUsd: 1 },
    { id: 'session-A', scope: 'session', key: 'A', maxUsd: 1, model: 'gpt-4o' },
    { id: 'task-A-2', scope: 'task', key: 'A', maxUsd: 1 },
  ].map((spec) => normalizeBudget(spec)),
);
const ids = (slots: readonly { budget: { id: string } }[] | undefined) => slots?.map((s) => s.budget.id);

describe('BudgetIndex', () => {
  it('keeps every budget without a key in the general list, in budget order', () => {
    expect(index.general.map((s) => [s.position, s.budget.id])).toEqual([
      [0, 'daily'],
      [2, 'every-task'],
    ]);
  });

  it('finds keyed budgets by scope and id, in budget order', () => {
    expect(ids(index.keyedFor({ task: 'A' }))).toEqual(['task-A', 'task-A-2']);
    expect(ids(index.keyedFor({ agent: 'A' }))).toEqual(['agent-A']);
    expect(ids(index.keyedFor({ task: 'A', session: 'A', agent: 'A' }))).toEqual(['task-A', 'agent-A', 'session-A', 'task-A-2']);
  });

  it('finds nothing for ids no keyed budget names, or an id of another scope', () => {
    expect(index.keyedFor({})).toBeUndefined();
    expect(index.keyedFor({ task: 'B', session: 'B' })).toBeUndefined();
    expect(ids(index.keyedFor({ task: 'B', agent: 'A' }))).toEqual(['agent-A']);
  });
});
