/**
 * The part of the SDKs' `APIPromise` (openai, @anthropic-ai/sdk; both Stainless-generated)
 * that the instrumentations use. The value returned to callers is always a real
 * `APIPromise` built by the SDK itself: the very object the original `create()` returned.
 */
export interface ApiPromiseLike<T> extends PromiseLike<T> {
  /**
   * The instance's parse step (an own property set by the APIPromise constructor): turns the
   * raw response into the value `await` gives. Called once per APIPromise; the result is cached.
   */
  parseResponse(client: unknown, props: unknown): Promise<T> | T;
  /** The raw Response, body unread; rejects when the request failed. */
  asResponse(): Promise<Response>;
}
