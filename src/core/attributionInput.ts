import type { BaggageEntry } from '@opentelemetry/api';
import { apiKeyHash } from './apiKeyHash.js';
import type { Dimensions } from './attribution.js';

/** The attribution dimensions as a caller gives them (per call, per task, per client). */
export interface AttributionInput {
  /** The end user the call is made for (`user.id` on spans). At most 256 characters. */
  user?: string;
  /** The team (or department, tenant...) the call is charged to. At most 256 characters. */
  team?: string;
  /**
   * The API key the call was made with, or on behalf of (e.g. your own customers' keys). Only its
   * hash (`sha256:` + 16 hex digits) is kept, put on spans, stored and exported; a value already
   * in that form is taken as it is.
   */
  apiKey?: string;
  /** Tags (at most 16, each 1–64 characters without commas). Joined with the tags of enclosing scopes. */
  tags?: readonly string[];
  /**
   * Free metadata keys (at most 16; keys 1–64 of `A-Z a-z 0-9 _ . : -`, values at most 256
   * characters). Inner scopes' keys win. Names tollgate uses in record metadata are refused.
   */
  metadata?: Readonly<Record<string, string>>;
}

export const MAX_TAGS = 16;
export const MAX_TAG_LENGTH = 64;
export const MAX_METADATA_KEYS = 16;
export const MAX_DIMENSION_LENGTH = 256;
/** Metadata keys may be used in `metadata.<key>` groupings and filters, in SQL paths and in label values. */
export const METADATA_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Record metadata keys tollgate writes itself (tool name, decision...): a caller's metadata may not use them. */
export const RESERVED_METADATA_KEYS: ReadonlySet<string> = new Set([
  'tool',
  'memoryOperation',
  'contract',
  'contractResult',
  'requestedModel',
  'decision',
  'errorType',
  'costSource',
  'bypassed',
]);

/** A mistake in attribution input: names the field, what is wrong and the fix. */
export class AttributionError extends TypeError {
  override readonly name = 'AttributionError';
}

/**
 * Checks attribution input and returns it as dimensions (the API key hashed). Throws
 * AttributionError naming `where` and the field (e.g. `tollgate.task() options.tags[3]`).
 */
export function resolveDimensions(input: AttributionInput | undefined, where: string): Dimensions {
  const dims: Dimensions = {};
  if (input === undefined) return dims;
  if (typeof input !== 'object' || input === null) throw new AttributionError(`tollgate: ${where} must be an object like { user: 'alice', team: 'search' }`);
  const text = (field: 'user' | 'team' | 'apiKey'): string | undefined => {
    const value = input[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '' || value.length > MAX_DIMENSION_LENGTH) {
      throw new AttributionError(`tollgate: ${where}.${field} must be a non-empty string of at most ${MAX_DIMENSION_LENGTH} characters`);
    }
    return value;
  };
  const user = text('user');
  const team = text('team');
  const key = text('apiKey');
  if (user !== undefined) dims.user = user;
  if (team !== undefined) dims.team = team;
  if (key !== undefined) dims.apiKeyHash = apiKeyHash(key);
  if (input.tags !== undefined) {
    if (!Array.isArray(input.tags)) throw new AttributionError(`tollgate: ${where}.tags must be an array of strings, e.g. ['batch', 'eval']`);
    const tags = [...new Set(input.tags as unknown[])];
    if (tags.length > MAX_TAGS) throw new AttributionError(`tollgate: ${where}.tags has ${tags.length} tags; at most ${MAX_TAGS} are kept per call (use metadata for more detail)`);
    tags.forEach((tag, i) => {
      if (!isTag(tag)) throw new AttributionError(`tollgate: ${where}.tags[${i}] must be a string of 1-${MAX_TAG_LENGTH} characters without commas; got ${JSON.stringify(tag)}`);
    });
    if (tags.length > 0) dims.tags = Object.freeze(tags as string[]);
  }
  if (input.metadata !== undefined) {
    if (typeof input.metadata !== 'object' || input.metadata === null || Array.isArray(input.metadata)) {
      throw new AttributionError(`tollgate: ${where}.metadata must be an object of string values, e.g. { env: 'prod' }`);
    }
    const entries = Object.entries(input.metadata as Record<string, unknown>);
    if (entries.length > MAX_METADATA_KEYS) throw new AttributionError(`tollgate: ${where}.metadata has ${entries.length} keys; at most ${MAX_METADATA_KEYS} are kept per call`);
    const meta: Record<string, string> = {};
    for (const [k, v] of entries) {
      if (!METADATA_KEY_PATTERN.test(k)) throw new AttributionError(`tollgate: ${where}.metadata key ${JSON.stringify(k)} must be 1-64 characters of A-Z a-z 0-9 _ . : -`);
      if (RESERVED_METADATA_KEYS.has(k)) throw new AttributionError(`tollgate: ${where}.metadata key "${k}" is one tollgate writes itself (${[...RESERVED_METADATA_KEYS].join(', ')}); choose another name`);
      if (typeof v !== 'string' || v.length > MAX_DIMENSION_LENGTH) throw new AttributionError(`tollgate: ${where}.metadata.${k} must be a string of at most ${MAX_DIMENSION_LENGTH} characters`);
      meta[k] = v;
    }
    if (entries.length > 0) dims.meta = Object.freeze(meta);
  }
  return dims;
}

function isTag(tag: unknown): tag is string {
  return typeof tag === 'string' && tag.length > 0 && tag.length <= MAX_TAG_LENGTH && !tag.includes(',');
}

/**
 * The API key hash, tags and metadata carried in baggage (set by another service, so never
 * trusted to be in bounds): a key value that is not a hash is hashed; tags and metadata past
 * the bounds, reserved or malformed keys and over-long values are left out.
 */
export function clampBaggageAttribution(
  entries: readonly [string, BaggageEntry][],
  names: { apiKey: string; tags: string; metadataPrefix: string },
): Dimensions {
  const dims: Dimensions = {};
  let meta: Record<string, string> | undefined;
  let metaCount = 0;
  for (const [name, entry] of entries) {
    const value = entry.value;
    if (name === names.apiKey) {
      if (value !== '') dims.apiKeyHash = apiKeyHash(value);
    } else if (name === names.tags) {
      const tags = [...new Set(value.split(',').map((t) => t.trim()))].filter(isTag).slice(0, MAX_TAGS);
      if (tags.length > 0) dims.tags = Object.freeze(tags);
    } else if (name.startsWith(names.metadataPrefix)) {
      const key = name.slice(names.metadataPrefix.length);
      if (metaCount >= MAX_METADATA_KEYS || !METADATA_KEY_PATTERN.test(key) || RESERVED_METADATA_KEYS.has(key) || value.length > MAX_DIMENSION_LENGTH) continue;
      meta ??= {};
      meta[key] = value;
      metaCount++;
    }
  }
  if (meta !== undefined) dims.meta = Object.freeze(meta);
  return dims;
}
