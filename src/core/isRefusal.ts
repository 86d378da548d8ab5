/**
 * Whether an error is one of tollgate's deliberate refusals (the call must not be sent): a budget
 * deny, an unpriced model refused by policy, a store that is down under failMode 'closed'.
 * Matched by name so that errors from another copy of the package count too.
 */
export function isRefusal(err: unknown): err is Error {
  return err instanceof Error && (err.name === 'BudgetExceededError' || err.name === 'UnknownModelError' || err.name === 'LedgerUnavailableError');
}
