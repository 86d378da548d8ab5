import { LUA_LIBRARY } from './luaLibrary.js';

/**
 * Atomically reserve an amount in every bucket or in none.
 *
 * KEYS: for i = 1..n: [3i-2] bucket hash, [3i-1] reservation zset, [3i] reservation total;
 *       [3n+1] reservation record.
 * ARGV: [1] id, [2] amountNanos, [3] now, [4] expiresAt, [5] n, then per bucket 5 values:
 *       limitNanos, enforce ('1' | '0'), rollingMs (0 = none), slotMs, bucket expiresAt (0 = none).
 * Returns: { ok (1|0), index of the first failed bucket (1-based, 0 = none),
 *            then per bucket: spentNanos, reservedNanos } — after the reservation when ok,
 *            before the attempt when not.
 *
 * A live reservation with the same id is replaced.
 */
export const RESERVE_SCRIPT = `${LUA_LIBRARY}
local id = ARGV[1]
local amount = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local exp = tonumber(ARGV[4])
local n = tonumber(ARGV[5])
local snow = server_now()
local rvk = KEYS[3 * n + 1]
release_reservation(rvk, id)

local out = { 0, 0 }
local failed = 0
for i = 1, n do
  local b = 5 + (i - 1) * 5
  local hk, zk, tk = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local rolling, slot = tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  gc_slots(hk, rolling, slot, now)
  gc_reservations(zk, tk, now)
  local spent = spent_of(hk, rolling, slot, now)
  local reserved = reserved_of(zk, tk, now)
  out[#out + 1] = spent
  out[#out + 1] = reserved
  if failed == 0 and ARGV[b + 2] == '1' and spent + reserved + amount > tonumber(ARGV[b + 1]) then
    failed = i
  end
end
if failed > 0 then
  out[2] = failed
  return out
end

local member = ARGV[2] .. ':' .. id
local keep = math.max(exp, snow) + MARGIN_MS
local zkeys = {}
for i = 1, n do
  local zk, tk = KEYS[3 * i - 1], KEYS[3 * i]
  if redis.call('ZADD', zk, ARGV[4], member) == 1 then
    redis.call('INCRBY', tk, ARGV[2])
    zkeys[#zkeys + 1] = zk
    zkeys[#zkeys + 1] = tk
  end
  extend_ttl(zk, keep, snow)
  extend_ttl(tk, keep, snow)
  if exp > now then
    out[2 + 2 * i] = out[2 + 2 * i] + amount
  end
end
if n > 0 then
  redis.call('HSET', rvk, 'amt', ARGV[2], 'exp', ARGV[4], 'keys', cjson.encode(zkeys))
  redis.call('PEXPIREAT', rvk, fmt(keep))
end
out[1] = 1
return out
`;
