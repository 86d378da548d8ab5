/** Thrown by every Ledger method (except close) after `close()`. */
export class LedgerClosedError extends Error {
  constructor(store: string) {
    super(`tollgate: the ${store} ledger is closed; open a new one with openStore()`);
    this.name = 'LedgerClosedError';
  }
}
