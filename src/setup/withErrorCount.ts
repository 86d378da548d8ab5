import { isPromise, tapFailure } from '../core/maybePromise.js';
import type { Ledger } from '../ledger/Ledger.js';
import type { MaybePromise } from '../core/maybePromise.js';

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
  /** Runs a per-call operation (a method bound once) on up to two arguments: no closure or argument array per call. */
  const guarded = <A, B, R>(operation: string, fn: (a: A, b: B) => MaybePromise<R>, a: A, b: B): MaybePromise<R> => {
    try {
      return observe(operation, fn(a, b));
    } catch (err: unknown) {
      onError(operation);
      throw err;
    }
  };
  const reserve = ledger.reserve.bind(ledger);
  const settle = ledger.settle.bind(ledger);
  const release = ledger.release.bind(ledger);
  const bucketStates = ledger.bucketStates.bind(ledger);
  return {
    reserve: (req) => guarded('reserve', reserve, req, undefined),
    settle: (record, buckets) => guarded('settle', settle, record, buckets),
    release: (id) => guarded('release', release, id, undefined),
    bucketStates: (buckets, now) => guarded('bucketStates', bucketStates, buckets, now),
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
