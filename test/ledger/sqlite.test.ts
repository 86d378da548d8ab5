import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteLedger } from '../../src/ledger/sqlite.js';
import { runLedgerContract } from './ledgerContract.js';

runLedgerContract('SqliteLedger', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-sqlite-'));
  const ledger = new SqliteLedger({ path: join(dir, 'ledger.db') });
  return {
    ledger,
    cleanup: async () => {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
