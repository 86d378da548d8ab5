import type { UsageRecord } from '../../core/UsageRecord.js';
import type { UsageTotals } from '../UsageAccumulator.js';
import { dimensionsOf } from '../usageDimensions.js';
import type { UsageDimensions } from '../usageDimensions.js';

/**
 * Per-day usage rollups: one hash per UTC day, one field per combination of
 * dimensions (JSON `[provider, model, operation, status, task, session, agent, user, team,
 * apiKey, tags, metadata]`; fields written before the attribution dimensions hold the first
 * seven), value `calls,errors,input,output,cacheRead,cacheWrite,reasoning,costNanos`
 * (integers, summed by the settle script).
 */
export function rollupField(dims: UsageDimensions): string {
  return JSON.stringify([
    dims.provider,
    dims.model,
    dims.operation,
    dims.status,
    dims.task,
    dims.session,
    dims.agent,
    dims.user,
    dims.team,
    dims.apiKey,
    dims.tags,
    dims.metadata,
  ]);
}

/** The dimensions of the record before, their number of metadata keys, and their field: most records of a process repeat them. */
let lastDims: UsageDimensions | undefined;
let lastMetadataKeys = 0;
let lastField = '';
const NO_TAGS: readonly string[] = [];

/** `rollupField(dimensionsOf(record))`, kept from the record before when its dimensions are the same. */
export function rollupFieldOf(record: UsageRecord): string {
  if (lastDims === undefined || !sameDimensions(lastDims, record)) {
    const dims = dimensionsOf(record);
    lastField = rollupField(dims);
    // Its own copy of the tags: the record's array may change after this call.
    lastDims = { ...dims, tags: [...dims.tags] };
    lastMetadataKeys = Object.keys(dims.metadata).length;
  }
  return lastField;
}

function sameDimensions(d: UsageDimensions, r: UsageRecord): boolean {
  if (
    d.provider !== r.provider ||
    d.model !== r.model ||
    d.operation !== r.operation ||
    d.status !== r.status ||
    d.task !== (r.task ?? '') ||
    d.session !== (r.session ?? '') ||
    d.agent !== (r.agent ?? '') ||
    d.user !== (r.user ?? '') ||
    d.team !== (r.team ?? '') ||
    d.apiKey !== (r.apiKeyHash ?? '')
  ) {
    return false;
  }
  const tags = r.tags ?? NO_TAGS;
  if (d.tags.length !== tags.length) return false;
  for (let i = 0; i < tags.length; i++) if (d.tags[i] !== tags[i]) return false;
  let keys = 0;
  if (r.metadata !== undefined) {
    for (const k of Object.keys(r.metadata)) {
      if (d.metadata[k] !== String(r.metadata[k])) return false;
      keys++;
    }
  }
  return keys === lastMetadataKeys;
}

/** The dimensions of a rollup field of the given day; undefined when the field is not one. */
export function rollupDims(day: string, field: string): UsageDimensions | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(field);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || (parsed.length !== 7 && parsed.length !== 12)) return undefined;
  const strings = parsed.slice(0, parsed.length === 7 ? 7 : 10);
  if (!strings.every((v) => typeof v === 'string')) return undefined;
  const [provider, model, operation, status, task, session, agent, user = '', team = '', apiKey = ''] = strings as string[];
  const tags: unknown = parsed[10] ?? [];
  const metadata: unknown = parsed[11] ?? {};
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) return undefined;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return undefined;
  return {
    day,
    provider: provider as string,
    model: model as string,
    operation: operation as string,
    status: status as string,
    task: task as string,
    session: session as string,
    agent: agent as string,
    user,
    team,
    apiKey,
    tags: tags as string[],
    metadata: metadata as Record<string, string>,
  };
}

export function rollupTotals(value: string): UsageTotals {
  const n = value.split(',').map(Number);
  const at = (i: number): number => n[i] ?? 0;
  return {
    calls: at(0),
    errors: at(1),
    inputTokens: at(2),
    outputTokens: at(3),
    cacheReadTokens: at(4),
    cacheWriteTokens: at(5),
    reasoningTokens: at(6),
    costNanos: at(7),
  };
}
