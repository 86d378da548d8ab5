import { LUA_LIBRARY } from './luaLibrary.js';

/**
 * Drop a reservation from every bucket it was made in.
 *
 * KEYS: [1] reservation record. ARGV: [1] id.
 * The bucket zsets and totals are read from the record (keys not declared in KEYS: fine
 * on a standalone Redis, the reason Redis Cluster is not supported).
 * Returns 1 when a reservation was dropped, 0 for an unknown id.
 */
export const RELEASE_SCRIPT = `${LUA_LIBRARY}
return release_reservation(KEYS[1], ARGV[1])
`;
