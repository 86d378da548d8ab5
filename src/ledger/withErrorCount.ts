import { tapFailure } from '../core/maybePromise.js';
import { assertGroupBy } from './assertGroupBy.js';
import type { Ledger } from './Ledger.js';

/**
 * The same ledger, calling `onError(operation)` whenever one of its operations throws or
 * rejects (the error still reaches the caller). Feeds `ledger_errors_total` whatever the
 * caller then does with the error (fail open or closed). `reserve` stays synchronous when
 * the ledger's is; every other method returns a promise (a synchronous throw becomes a
 * rejection). `close` is not counted, nor is a usage query with an unknown grouping (a
 * caller's mistake, not a store failure).
 */
export function withErrorCount(ledger: Ledger, onError: (operation: string) => void): Ledger {
  /** Runs `fn` (at once, so a store that works synchronously has done so on return) and counts its failure. */
  function counted<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    let result: Promise<T>;
    try {
      result = fn();
    } catch (err: unknown) {
      onError(operation);
      return Promise.reject(err as Error);
    }
    return result.then(undefined, (err: unknown) => {
      onError(operation);
      throw err;
    });
  }
  const flush = ledger.flush?.bind(ledger);
  const leases = ledger.leases?.bind(ledger);
  const seed = ledger.seed?.bind(ledger);
  return {
    reserve: (req) =>
      tapFailure(
        () => ledger.reserve(req),
        () => onError('reserve'),
      ),
    settle: (record, buckets) => counted('settle', () => ledger.settle(record, buckets)),
    release: (id) => counted('release', () => ledger.release(id)),
    bucketStates: (buckets, now) => counted('bucketStates', () => ledger.bucketStates(buckets, now)),
    usage: async (query) => {
      assertGroupBy(query.by);
      return counted('usage', () => ledger.usage(query));
    },
    records: (query) => counted('records', () => ledger.records(query)),
    prune: (before) => counted('prune', () => ledger.prune(before)),
    listBudgets: () => counted('listBudgets', () => ledger.listBudgets()),
    putBudget: (budget) => counted('putBudget', () => ledger.putBudget(budget)),
    deleteBudget: (id) => counted('deleteBudget', () => ledger.deleteBudget(id)),
    resetBuckets: (reset, bucketKeys) => counted('resetBuckets', () => ledger.resetBuckets(reset, bucketKeys)),
    resets: (limit) => counted('resets', () => ledger.resets(limit)),
    ping: () => counted('ping', () => ledger.ping()),
    ...(flush !== undefined ? { flush: () => counted('flush', flush) } : {}),
    ...(seed !== undefined ? { seed: (seeds) => counted('seed', () => seed(seeds)) } : {}),
    ...(leases !== undefined ? { leases } : {}),
    close: () => ledger.close(),
  };
}
