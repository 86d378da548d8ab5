/**
 * The `error.type` of a failed call: the error's class name (`RateLimitError`,
 * `InternalServerError`, `APIConnectionError`...), or its HTTP status when the class is
 * a bare `Error`/`APIError`, or `_OTHER` when nothing better is known.
 */
export function errorType(err: unknown): string {
  if (err instanceof Error) {
    const name = err.constructor.name;
    const status = (err as { status?: unknown }).status;
    if ((name === 'Error' || name === 'APIError') && typeof status === 'number') return String(status);
    return name !== '' ? name : err.name;
  }
  return '_OTHER';
}
