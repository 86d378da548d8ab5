/** A value now, or later. */
export type MaybePromise<T> = T | Promise<T>;

/** true for promises and other thenables. */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/**
 * Runs `fn` and returns what it returns; when it throws (sync) or its promise rejects
 * (async), `onFailure` runs first and the same error is rethrown. A synchronous `fn` stays
 * synchronous.
 */
export function tapFailure<R>(fn: () => R, onFailure: (err: unknown) => void): R {
  let result: R;
  try {
    result = fn();
  } catch (err: unknown) {
    onFailure(err);
    throw err;
  }
  if (isPromise(result)) {
    return result.then(undefined, (err: unknown) => {
      onFailure(err);
      throw err;
    }) as R;
  }
  return result;
}

/**
 * `fn(value)`, synchronously when `value` is a plain value, after it resolves otherwise.
 * A synchronous ledger therefore keeps every step synchronous.
 */
export function chain<T, U>(value: MaybePromise<T>, fn: (v: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromise(value) ? value.then(fn) : fn(value);
}

/**
 * Runs `fn`; a throw (sync) or rejection (async) goes to `onError`, whose result or
 * throw becomes the outcome. Synchronous when `fn` answers synchronously.
 */
export function attempt<T>(fn: () => MaybePromise<T>, onError: (err: unknown) => MaybePromise<T>): MaybePromise<T> {
  let value: MaybePromise<T>;
  try {
    value = fn();
  } catch (err: unknown) {
    return onError(err);
  }
  return isPromise(value) ? value.then(undefined, onError) : value;
}
