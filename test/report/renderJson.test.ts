import { describe, expect, it } from 'vitest';
import { renderJson, reportJson } from '../../src/report/renderJson.js';
import { reportData } from './reportData.fixture.js';

describe('renderJson', () => {
  it('adds costUsd to every group as a USD number beside the exact costNanos, and keeps everything else', () => {
    const json = reportJson(reportData);
    expect(json.byProvider.map((g) => [g.key, g.costNanos, g.costUsd])).toEqual([
      ['openai', 69_710_123, 0.069710123],
      ['anthropic', 36_000_000, 0.036],
    ]);
    expect(json.byModel.map((g) => g.costUsd)).toEqual([0.06, 0.036, 0.00078, 0.00002, 0.008910123]);
    expect(json.topTasks.map((g) => [g.key, g.costUsd])).toEqual([
      ['T-checkout', 0.07],
      ['T-search|v2', 0.03],
      ['', 0.005710123],
    ]);
    // One JSON type for money: every costUsd in the output, at any depth, is a number.
    const costs: unknown[] = [];
    JSON.parse(renderJson(reportData), (key: string, value: unknown) => {
      if (key === 'costUsd') costs.push(value);
      return value;
    });
    expect(costs.length).toBeGreaterThan(5);
    expect(costs.every((c) => typeof c === 'number')).toBe(true);
    const { byProvider: _p, byModel: _m, topTasks: _t, ...rest } = json;
    const { byProvider: _p2, byModel: _m2, topTasks: _t2, ...input } = reportData;
    expect(rest).toEqual(input);
  });

  it('prints two-space indented JSON with a final newline that parses back to reportJson()', () => {
    const text = renderJson(reportData);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.startsWith('{\n  "generatedAt": 1795435200000,\n  "since": 1795348800000,\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(reportJson(reportData));
  });
});
