import { MemoryLedger } from '../../src/ledger/memory.js';
import { runLedgerContract } from './ledgerContract.js';

runLedgerContract('MemoryLedger', async () => {
  const ledger = new MemoryLedger();
  return { ledger, cleanup: async () => ledger.close() };
});
