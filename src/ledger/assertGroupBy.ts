import { METADATA_KEY_PATTERN } from '../core/attributionInput.js';
import type { UsageGroupBy } from './Ledger.js';

/** Every grouping `Ledger.usage({ by })` accepts, in the order they are listed to users (and `metadata.<key>`). */
export const USAGE_GROUP_BY: readonly UsageGroupBy[] = ['model', 'provider', 'task', 'session', 'agent', 'day', 'month', 'operation', 'status', 'user', 'team', 'apiKey', 'tag'];

/** The message for an unknown grouping: the value given and the accepted ones. */
export function unknownGroupByMessage(by: unknown): string {
  return `unknown usage grouping ${JSON.stringify(by) ?? String(by)}; use one of ${USAGE_GROUP_BY.join(', ')}, metadata.<key>`;
}

/** Whether `by` is `metadata.<key>` with a well-formed key. */
function isMetadataGrouping(by: string): boolean {
  return by.startsWith('metadata.') && METADATA_KEY_PATTERN.test(by.slice('metadata.'.length));
}

/**
 * Checks a `by` value before any store reads: every ledger, the HTTP API and the CLI
 * reject an unknown grouping with the same message. Throws TypeError.
 */
export function assertGroupBy(by: unknown): asserts by is UsageGroupBy {
  if (typeof by !== 'string' || !((USAGE_GROUP_BY as readonly string[]).includes(by) || isMetadataGrouping(by))) {
    throw new TypeError(unknownGroupByMessage(by));
  }
}
