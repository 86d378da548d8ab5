import { LUA_LIBRARY } from './luaLibrary.js';

/**
 * Settle a call once: mark the id, release its reservation, add the cost to every
 * bucket, append the record to the stream and add it to its day's rollup; then read
 * every bucket's state at the record's time (for threshold alerts, in the same round trip).
 *
 * KEYS: for i = 1..n: [3i-2] bucket hash, [3i-1] reservation zset, [3i] reservation total;
 *       then [3n+1] reservation record, [3n+2] settled marker, [3n+3] records stream,
 *       [3n+4] day rollup hash, [3n+5] day index zset.
 * ARGV: [1] id, [2] costNanos, [3] record time, [4] marker TTL ms, [5] stream max length,
 *       [6] record JSON, [7] day start ms, [8] day key (YYYY-MM-DD), [9] rollup field,
 *       [10] is error (1|0), [11] input tokens, [12] output tokens, [13] cache read,
 *       [14] cache write, [15] reasoning, [16] n, then per bucket 4 values:
 *       rollingMs (0 = none), slotMs, slot of the record time, bucket expiresAt (0 = none).
 * Buckets must be distinct. Returns { 1 when settled now | 0 when the id was already
 * settled, then per bucket: spentNanos, reservedNanos at the record time }.
 */
export const SETTLE_SCRIPT = `${LUA_LIBRARY}
local n = tonumber(ARGV[16])
local time = tonumber(ARGV[3])

local function states(settled)
  local out = { settled }
  for i = 1, n do
    local b = 16 + (i - 1) * 4
    local rolling, slot = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
    out[#out + 1] = spent_of(KEYS[3 * i - 2], rolling, slot, time)
    out[#out + 1] = reserved_of(KEYS[3 * i - 1], KEYS[3 * i], time)
  end
  return out
end

if not redis.call('SET', KEYS[3 * n + 2], '1', 'NX', 'PX', ARGV[4]) then
  return states(0)
end
local snow = server_now()
release_reservation(KEYS[3 * n + 1], ARGV[1])

local cost = ARGV[2]
for i = 1, n do
  local b = 16 + (i - 1) * 4
  local hk = KEYS[3 * i - 2]
  local rolling, slot, bexp = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]), tonumber(ARGV[b + 4])
  if rolling > 0 then
    if cost ~= '0' then
      redis.call('HINCRBY', hk, ARGV[b + 3], cost)
      extend_ttl(hk, math.max(time, snow) + rolling + slot + MARGIN_MS, snow)
    end
    gc_slots(hk, rolling, slot, time)
  elseif cost ~= '0' then
    redis.call('HINCRBY', hk, 's', cost)
    if bexp > 0 then
      extend_ttl(hk, math.max(bexp, snow) + MARGIN_MS, snow)
    end
  end
end

redis.call('XADD', KEYS[3 * n + 3], 'MAXLEN', '~', ARGV[5], '*', 'r', ARGV[6])

local day = KEYS[3 * n + 4]
local add = { 1, tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13]),
  tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(cost) }
local cur = redis.call('HGET', day, ARGV[9])
local sums = {}
local i = 1
if cur then
  for v in string.gmatch(cur, '[^,]+') do
    sums[i] = tonumber(v)
    i = i + 1
  end
end
local parts = {}
for j = 1, 8 do
  parts[j] = fmt((sums[j] or 0) + add[j])
end
redis.call('HSET', day, ARGV[9], table.concat(parts, ','))
redis.call('ZADD', KEYS[3 * n + 5], ARGV[7], ARGV[8])
return states(1)
`;
