import { LUA_LIBRARY } from './luaLibrary.js';

/**
 * Read the spend and live reservations of buckets (read only, one consistent snapshot).
 *
 * KEYS: for i = 1..n: [2i-1] bucket hash, [2i] reservation zset.
 * ARGV: [1] now, [2] n, then per bucket 2 values: rollingMs (0 = none), slotMs.
 * Returns per bucket: spentNanos, reservedNanos.
 */
export const BUCKET_STATES_SCRIPT = `${LUA_LIBRARY}
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local out = {}
for i = 1, n do
  local b = 2 + (i - 1) * 2
  out[#out + 1] = spent_of(KEYS[2 * i - 1], tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), now)
  out[#out + 1] = reserved_of(KEYS[2 * i], now)
end
return out
`;
