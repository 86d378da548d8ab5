import { mergeDimensions } from '../../src/core/attribution.js';
import type { Dimensions } from '../../src/core/attribution.js';
import { MAX_DIMENSION_LENGTH } from '../../src/core/attributionInput.js';

/**
 * The dimensions of one instrumented call: the client's (the `attribution` option), with the end
 * user the request body names (OpenAI's `user`, Anthropic's `metadata.user_id`) as `user` when
 * the client's own attribution sets none. Undefined when there are none.
 */
export function callDimensions(client: Dimensions | undefined, bodyUser: unknown): Dimensions | undefined {
  const user = typeof bodyUser === 'string' && bodyUser !== '' && bodyUser.length <= MAX_DIMENSION_LENGTH ? bodyUser : undefined;
  if (user === undefined || client?.user !== undefined) return client;
  return mergeDimensions(client ?? {}, { user });
}
