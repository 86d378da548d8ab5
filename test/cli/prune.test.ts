import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './buildCli.js';
import { OLD_RECORD_AGE_MS, standardFixture } from './cliFixture.js';
import { runCli } from './runCli.js';

const DAY_MS = 86_400_000;
const BASE = Date.now() - 3 * 3_600_000;

beforeAll(async () => {
  await buildCli();
});

/** Everything `usage show` reports over all time, for before/after comparisons. */
async function allUsage(cwd: string, by: string): Promise<unknown> {
  const r = await runCli(['usage', 'show', '--since', '0', '--by', by, '--json'], { cwd });
  expect(r.code).toBe(0);
  const { since: _since, ...rest } = JSON.parse(r.stdout) as Record<string, unknown>;
  return rest;
}

describe('tollgate prune', () => {
  it('deletes records older than the retention (30 days) and keeps daily totals and budget counters', async () => {
    const fx = await standardFixture(BASE);
    const byDay = await allUsage(fx.dir, 'day');
    const byModel = await allUsage(fx.dir, 'model');

    const started = Date.now();
    const r = await runCli(['prune', '--json'], { cwd: fx.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { deleted: number; before: number; store: string };
    expect(result).toEqual({ deleted: 1, before: result.before, store: `sqlite:${fx.dbPath}` });
    expect(result.before).toBeGreaterThanOrEqual(started - 30 * DAY_MS);
    expect(result.before).toBeLessThanOrEqual(Date.now() - 30 * DAY_MS);

    expect(await allUsage(fx.dir, 'day')).toEqual(byDay);
    expect(await allUsage(fx.dir, 'model')).toEqual(byModel);
    const again = await runCli(['prune', '--json'], { cwd: fx.dir });
    expect((JSON.parse(again.stdout) as { deleted: number }).deleted).toBe(0);
  });

  it('--older-than prunes recent records too; totals stay the same', async () => {
    const fx = await standardFixture(BASE);
    const byDay = (await allUsage(fx.dir, 'day')) as { total: { costNanos: number }; budgets: unknown[] };
    expect(byDay.total.costNanos).toBe(14_650_000);

    const r = await runCli(['prune', '--older-than', '1h'], { cwd: fx.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Pruned 5 records older than \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z from sqlite:${fx.dbPath} \\(per-day totals kept\\)\\.\\n$`));
    expect(await allUsage(fx.dir, 'day')).toEqual(byDay);

    // the records are gone: the report counts no budget events any more
    const report = await runCli(['report', '--format', 'json', '--since', '0'], { cwd: fx.dir });
    expect((JSON.parse(report.stdout) as { events: unknown }).events).toEqual({ warned: 0, fallbacks: 0, denied: 0 });
  });

  it('uses the config retentionDays by default', async () => {
    const fx = await standardFixture(BASE);
    writeFileSync(fx.configPath, `retentionDays = ${OLD_RECORD_AGE_MS / DAY_MS + 10}\n${readFileSync(fx.configPath, 'utf8')}`);
    const r = await runCli(['prune'], { cwd: fx.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Pruned 0 records older than /);
  });

  it('exits 2 for a bad --older-than', async () => {
    const fx = await standardFixture(BASE);
    for (const value of ['30', 'forever', '-1d', '0d']) {
      const r = await runCli(['prune', '--older-than', value], { cwd: fx.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`error: --older-than: expected an age such as 30d, 12h, 2w or 90m, got "${value}"\n`);
    }
  });
});
