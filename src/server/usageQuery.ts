import type { UsageQuery } from '../ledger/Ledger.js';
import { assertGroupBy } from '../ledger/assertGroupBy.js';
import { METADATA_KEY_PATTERN } from '../core/attributionInput.js';
import type { UsageStatus } from '../core/UsageRecord.js';
import { HttpError } from './HttpError.js';
import { parseTimeParam } from './parseTimeParam.js';

const USAGE_STATUSES: readonly UsageStatus[] = ['ok', 'error', 'denied', 'cost_exceeded'];
const USAGE_FILTERS = ['provider', 'model', 'task', 'session', 'agent', 'operation', 'user', 'team', 'apiKey', 'tag'] as const;

/**
 * The ledger query of `GET /v1/usage`: `by` (default model; also user, team, apiKey, tag,
 * metadata.<key>), `since` / `until` (ISO date, epoch ms or a duration ago, relative to `now`) and
 * the equality filters (apiKey takes the key or its hash; `metadata.<key>=value`). Throws a 400 HttpError naming
 * the bad parameter.
 */
export function usageQuery(params: URLSearchParams, now: number): UsageQuery {
  const by = params.get('by') ?? 'model';
  try {
    assertGroupBy(by);
  } catch (err: unknown) {
    throw new HttpError(400, `parameter "by": ${(err as Error).message}`);
  }
  const query: UsageQuery = { by };
  for (const name of ['since', 'until'] as const) {
    const raw = params.get(name);
    if (raw === null) continue;
    const ms = parseTimeParam(raw, now);
    if (ms === undefined) {
      throw new HttpError(
        400,
        `parameter "${name}" is "${raw}"; use an ISO date (2026-11-23T00:00:00Z), epoch milliseconds, or a duration ago (30m, 24h, 7d)`,
      );
    }
    query[name] = ms;
  }
  if (query.since !== undefined && query.until !== undefined && query.since > query.until) {
    throw new HttpError(400, 'parameter "since" is after "until"');
  }
  const where: NonNullable<UsageQuery['where']> = {};
  for (const name of USAGE_FILTERS) {
    const value = params.get(name);
    if (value !== null) where[name] = value;
  }
  for (const [name, value] of params) {
    if (!name.startsWith('metadata.')) continue;
    if (!METADATA_KEY_PATTERN.test(name.slice('metadata.'.length))) {
      throw new HttpError(400, `parameter "${name}": a metadata key is 1-64 characters of A-Z a-z 0-9 _ . : -`);
    }
    where[name as `metadata.${string}`] = value;
  }
  const status = params.get('status');
  if (status !== null) {
    if (!(USAGE_STATUSES as readonly string[]).includes(status)) {
      throw new HttpError(400, `parameter "status" is "${status}"; use one of ${USAGE_STATUSES.join(', ')}`);
    }
    where.status = status as UsageStatus;
  }
  if (Object.keys(where).length > 0) query.where = where;
  return query;
}

/** A positive integer query parameter, or undefined when absent; throws a 400 HttpError otherwise. */
export function positiveInt(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new HttpError(400, `parameter "${name}" is "${raw}"; use a positive integer`);
  }
  return Number(raw);
}
