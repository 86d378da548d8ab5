import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/report/renderTable.js';
import { byModel } from './reportData.fixture.js';

describe('renderTable', () => {
  it('renders groups with right-aligned numbers and a total row, without colours', () => {
    const expected = readFileSync(new URL('./fixtures/usage-by-model.txt', import.meta.url), 'utf8');
    expect(renderTable(byModel, 'model')).toBe(expected);
  });

  it('renders a single group without a total row', () => {
    expect(renderTable(byModel.slice(0, 1), 'day').split('\n')).toEqual([
      '┌───────────┬───────┬────────┬──────────────┬───────────────┬────────────┐',
      '│ Day (UTC) │ Calls │ Errors │ Input tokens │ Output tokens │ Cost (USD) │',
      '├───────────┼───────┼────────┼──────────────┼───────────────┼────────────┤',
      '│ gpt-4o    │     6 │      1 │       12,000 │         3,000 │    $0.0600 │',
      '└───────────┴───────┴────────┴──────────────┴───────────────┴────────────┘',
    ]);
  });

  it('says "no usage" when there are no groups', () => {
    expect(renderTable([], 'task').split('\n')).toEqual([
      '┌──────┬───────┬────────┬──────────────┬───────────────┬────────────┐',
      '│ Task │ Calls │ Errors │ Input tokens │ Output tokens │ Cost (USD) │',
      '├──────┴───────┴────────┴──────────────┴───────────────┴────────────┤',
      '│ no usage                                                          │',
      '└───────────────────────────────────────────────────────────────────┘',
    ]);
  });
});
