import { LUA_LIBRARY } from './luaLibrary.js';

/**
 * Read the spend and live reservations of buckets (read only, one consistent snapshot).
 *
 * KEYS: for i = 1..n: [3i-2] bucket hash, [3i-1] reservation zset, [3i] reservation total.
 * ARGV: [1] now, [2] n, then per bucket 2 values: rollingMs (0 = none), slotMs.
 * Returns per bucket: spentNanos, reservedNanos.
 */
export const BUCKET_STATES_SCRIPT = `${LUA_LIBRARY}
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local out = {}
for i = 1, n do
  local b = 2 + (i - 1) * 2
  out[#out + 1] = spent_of(KEYS[3 * i - 2], tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), now)
  out[#out + 1] = reserved_of(KEYS[3 * i - 1], KEYS[3 * i], now)
end
return out
`;
