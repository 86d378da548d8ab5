import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './buildCli.js';
import { makeCliFixture } from './cliFixture.js';
import { runCli } from './runCli.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

beforeAll(async () => {
  await buildCli();
});

describe('tollgate (global flags)', () => {
  it('--version and -V print the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${VERSION}\n`);
    }
  });

  it('takes --json before or after the command', async () => {
    const before = await runCli(['--json', 'estimate', 'gpt-4o-mini', '1000000', '0']);
    const after = await runCli(['estimate', 'gpt-4o-mini', '1000000', '0', '--json']);
    expect(before.stderr).toBe('');
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({ model: 'gpt-4o-mini', costUsd: 0.15 });
    expect(before.stdout).toBe(after.stdout);
  });

  it('takes --config before or after the command', async () => {
    const fx = makeCliFixture('[pricing.overrides."acme/rocket-1"]\ninput_per_m = 1\noutput_per_m = 2\n');
    const elsewhere = makeCliFixture().dir;
    for (const args of [
      ['--config', fx.configPath, '--json', 'estimate', 'acme/rocket-1', '1000', '1000'],
      ['estimate', 'acme/rocket-1', '1000', '1000', '--config', fx.configPath, '--json'],
    ]) {
      const r = await runCli(args, { cwd: elsewhere });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({ costUsd: 0.003 });
    }
  });

  it('--json before `report` prints the JSON report', async () => {
    const fx = makeCliFixture();
    const r = await runCli(['--json', 'report'], { cwd: fx.dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ byModel: [], topTasks: [] });
  });
});
