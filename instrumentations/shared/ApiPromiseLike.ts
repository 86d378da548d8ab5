/**
 * The part of the SDKs' `APIPromise` (openai, @anthropic-ai/sdk; both Stainless-generated)
 * that the instrumentations use. The value returned to callers is always a real
 * `APIPromise` built by the SDK itself.
 */
export interface ApiPromiseLike<T> extends PromiseLike<T> {
  /** A new APIPromise over the same request whose parsed value goes through `transform`. */
  _thenUnwrap<U>(transform: (data: T) => U): ApiPromiseLike<U>;
  /** The raw Response, body unread; rejects when the request failed. */
  asResponse(): Promise<Response>;
}
