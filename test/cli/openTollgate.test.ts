import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { openTollgate } from '../../src/cli/openTollgate.js';
import { ConfigError } from '../../src/core/ConfigError.js';
import type { Ledger } from '../../src/ledger/Ledger.js';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import { makeCliFixture } from './cliFixture.js';

/** A root command given `--config <file>`, as main.ts parses it. */
function commandWithConfig(file: string): Command {
  const command = new Command('tollgate').option('--config <file>').exitOverride();
  command.parse(['--config', file], { from: 'user' });
  return command;
}

describe('openTollgate', () => {
  it('opens the store with the [sqlite] options of the config, and closes it after use', async () => {
    const fx = makeCliFixture('[sqlite]\ndurability = "batched"\nflushIntervalMs = 60000\n');
    let opened: Ledger | undefined;
    const answer = await openTollgate(commandWithConfig(fx.configPath), async ({ ledger }) => {
      opened = ledger;
      await ledger.ping();
      return 'used';
    });
    expect(answer).toBe('used');
    expect(opened).toBeInstanceOf(SqliteLedger);
    expect((opened as SqliteLedger).path).toBe(fx.dbPath);
    expect((opened as SqliteLedger).durability).toBe('batched');
    await expect((opened as SqliteLedger).ping()).rejects.toThrow(/closed/);
  });

  it('throws the ConfigError naming the store and the fix when the SQLite file cannot be created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
    const configPath = join(dir, 'tollgate.toml');
    writeFileSync(configPath, 'store = "sqlite:/etc/hosts/ledger.db"\n');
    let used = false;
    const opening = openTollgate(commandWithConfig(configPath), () => {
      used = true;
    });
    await expect(opening).rejects.toThrow(ConfigError);
    await expect(opening).rejects.toThrow(/^store: expected a SQLite file tollgate can create and open; .*Fix: point store/);
    expect(used).toBe(false);
  });
});
