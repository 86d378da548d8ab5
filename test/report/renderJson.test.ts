import { describe, expect, it } from 'vitest';
import { renderJson, reportJson } from '../../src/report/renderJson.js';
import { reportData } from './reportData.fixture.js';

describe('renderJson', () => {
  it('adds an exact decimal-string costUsd to every group and keeps everything else', () => {
    const json = reportJson(reportData);
    expect(json.byProvider.map((g) => [g.key, g.costNanos, g.costUsd])).toEqual([
      ['openai', 69_710_123, '0.069710123'],
      ['anthropic', 36_000_000, '0.036000000'],
    ]);
    expect(json.byModel.map((g) => g.costUsd)).toEqual(['0.060000000', '0.036000000', '0.000780000', '0.000020000', '0.008910123']);
    expect(json.topTasks.map((g) => [g.key, g.costUsd])).toEqual([
      ['T-checkout', '0.070000000'],
      ['T-search|v2', '0.030000000'],
      ['', '0.005710123'],
    ]);
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
