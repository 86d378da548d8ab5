import type { CallSpec } from '../../src/track/requestAttributes.js';

/** What an instrumentation reads from a request body before it is sent. */
export interface RequestDescription extends CallSpec {
  stream: boolean;
  /**
   * The body field an output limit goes in (`max_tokens`, `max_completion_tokens`,
   * `max_output_tokens`), when the caller set none and a cap applies; undefined for
   * requests that have no output (embeddings).
   */
  outputLimitField: string | undefined;
}
