import { createHash } from 'node:crypto';

/** Prefix of a hashed API key, so that a stored value is recognisably a hash and never a key. */
export const API_KEY_HASH_PREFIX = 'sha256:';
const HASHED = /^sha256:[0-9a-f]{16}$/;

/**
 * The form an API key is stored, exported and compared in: `sha256:` and the first 16 hex digits
 * of the key's SHA-256 (64 bits: no collision among any realistic number of keys, and the key
 * cannot be read back). A value already in that form is returned as it is, so a budget or a
 * query may name a key by its hash as well as by the key itself.
 */
export function apiKeyHash(key: string): string {
  if (HASHED.test(key)) return key;
  return API_KEY_HASH_PREFIX + createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 16);
}
