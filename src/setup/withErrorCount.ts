import { isPromise, tapFailure } from '../budget/maybePromise.js';
import type { Ledger, MaybePromise } from '../ledger/Ledger.js';

/**
 * The same ledger, calling `onError` whenever one of its operations throws or rejects
 * (the error still propagates). Synchronous stores stay synchronous. Feeds
 * `ledger_errors_total` whatever the caller then does with the error (fail open or closed).
 */
export function withErrorCount(ledger: Ledger, onError: (operation: string) => void): Ledger {
  /** Counts a rejection of an asynchronous answer; a plain value passes through untouched. */
  const observe = <T>(operation: string, result: MaybePromise<T>): MaybePromise<T> =>
    isPromise(result)
      ? result.then(undefined, (err: unknown) => {
          onError(operation);
          throw err;
        })
      : result;
  const wrap =
    <A extends unknown[], R>(operation: string, fn: (...args: A) => R) =>
    (...args: A): R =>
      tapFailure(
        () => fn(...args),
        () => onError(operation),
      );
  // The per-call operations are spelled out: no closures or argument arrays on the hot path.
  return {
    reserve: (req) => {
      try {
        return observe('reserve', ledger.reserve(req));
      } catch (err: unknown) {
        onError('reserve');
        throw err;
      }
    },
    settle: (record, buckets) => {
      try {
        return observe('settle', ledger.settle(record, buckets));
      } catch (err: unknown) {
        onError('settle');
        throw err;
      }
    },
    release: (id) => {
      try {
        return observe('release', ledger.release(id));
      } catch (err: unknown) {
        onError('release');
        throw err;
      }
    },
    bucketStates: (buckets, now) => {
      try {
        return observe('bucketStates', ledger.bucketStates(buckets, now));
      } catch (err: unknown) {
        onError('bucketStates');
        throw err;
      }
    },
    usage: wrap('usage', ledger.usage.bind(ledger)),
    records: wrap('records', ledger.records.bind(ledger)),
    prune: wrap('prune', ledger.prune.bind(ledger)),
    listBudgets: wrap('listBudgets', ledger.listBudgets.bind(ledger)),
    putBudget: wrap('putBudget', ledger.putBudget.bind(ledger)),
    deleteBudget: wrap('deleteBudget', ledger.deleteBudget.bind(ledger)),
    ping: wrap('ping', ledger.ping.bind(ledger)),
    ...(ledger.flush !== undefined ? { flush: wrap('flush', ledger.flush.bind(ledger)) } : {}),
    close: ledger.close.bind(ledger),
  };
}
