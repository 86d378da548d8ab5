import { tapFailure } from '../budget/maybePromise.js';
import type { Ledger } from '../ledger/Ledger.js';

/**
 * The same ledger, calling `onError` whenever one of its operations throws or rejects
 * (the error still propagates). Synchronous stores stay synchronous. Feeds
 * `ledger_errors_total` whatever the caller then does with the error (fail open or closed).
 */
export function withErrorCount(ledger: Ledger, onError: (operation: string) => void): Ledger {
  const wrap =
    <A extends unknown[], R>(operation: string, fn: (...args: A) => R) =>
    (...args: A): R =>
      tapFailure(
        () => fn(...args),
        () => onError(operation),
      );
  return {
    reserve: wrap('reserve', ledger.reserve.bind(ledger)),
    settle: wrap('settle', ledger.settle.bind(ledger)),
    release: wrap('release', ledger.release.bind(ledger)),
    bucketStates: wrap('bucketStates', ledger.bucketStates.bind(ledger)),
    usage: wrap('usage', ledger.usage.bind(ledger)),
    records: wrap('records', ledger.records.bind(ledger)),
    prune: wrap('prune', ledger.prune.bind(ledger)),
    listBudgets: wrap('listBudgets', ledger.listBudgets.bind(ledger)),
    putBudget: wrap('putBudget', ledger.putBudget.bind(ledger)),
    deleteBudget: wrap('deleteBudget', ledger.deleteBudget.bind(ledger)),
    ping: wrap('ping', ledger.ping.bind(ledger)),
    close: ledger.close.bind(ledger),
  };
}
