/**
 * The ledger could not be reached while admitting a call and the budget engine runs
 * with `failMode: 'closed'`: the call is refused rather than sent unbudgeted.
 */
export class LedgerUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      `tollgate: the budget ledger is unavailable (${cause instanceof Error ? cause.message : String(cause)}); ` +
        "the call was refused because failMode is 'closed' (set failMode: 'open' to let calls through unbudgeted)",
      { cause },
    );
    this.name = 'LedgerUnavailableError';
  }
}
