/**
 * Lua functions shared by the ledger scripts (prepended to each script's body).
 *
 * Key layout per bucket (see redisKeys.ts):
 * - bucket hash: field `s` = settled nanos (calendar / total windows), or for rolling
 *   windows one field per time slot (`floor(t / slotMs)` → nanos);
 * - reservation zset: member `<amountNanos>:<reservationId>`, score = expiresAt.
 * A reservation record hash (`amt`, `exp`, `keys` = JSON list of its zsets) lets
 * `release` find its buckets.
 *
 * Numbers: Lua numbers are doubles, exact for integers up to 2^53 (the same bound as
 * JS). Integers are written back with `%.0f`, never with Lua's default `%.14g`.
 *
 * Time: `now` comes from the caller (injected clock). Redis' own clock is only used to
 * keep key TTLs sane when the caller's clock is far from the server's.
 */
export const LUA_LIBRARY = `
local MARGIN_MS = 86400000
local GRACE_MS = 600000

local function fmt(n)
  return string.format('%.0f', n)
end

local function server_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Sets the key to expire at 'at' unless it already lives longer.
local function extend_ttl(key, at, snow)
  local pttl = redis.call('PTTL', key)
  if pttl == -1 or (pttl >= 0 and snow + pttl < at) then
    redis.call('PEXPIREAT', key, fmt(at))
  end
end

-- A rolling slot counts while any part of it is inside (now - rolling, now]:
-- spend is never forgotten early, at most one slot late.
local function slot_counts(s, slot, rolling, now)
  return (s + 1) * slot - 1 > now - rolling and s * slot <= now
end

local function spent_of(hk, rolling, slot, now)
  if rolling <= 0 then
    return tonumber(redis.call('HGET', hk, 's') or '0')
  end
  local flat = redis.call('HGETALL', hk)
  local sum = 0
  for i = 1, #flat, 2 do
    if slot_counts(tonumber(flat[i]), slot, rolling, now) then
      sum = sum + tonumber(flat[i + 1])
    end
  end
  return sum
end

-- Drops rolling slots that left the window more than GRACE_MS ago.
local function gc_slots(hk, rolling, slot, now)
  if rolling <= 0 then return end
  local fields = redis.call('HKEYS', hk)
  for _, f in ipairs(fields) do
    if (tonumber(f) + 1) * slot - 1 <= now - rolling - GRACE_MS then
      redis.call('HDEL', hk, f)
    end
  end
end

-- Sum of live reservations: expiresAt > now.
local function reserved_of(zk, now)
  local live = redis.call('ZRANGEBYSCORE', zk, '(' .. fmt(now), '+inf')
  local sum = 0
  for _, m in ipairs(live) do
    local c = string.find(m, ':', 1, true)
    sum = sum + tonumber(string.sub(m, 1, c - 1))
  end
  return sum
end

local function gc_reservations(zk, now)
  redis.call('ZREMRANGEBYSCORE', zk, '-inf', '(' .. fmt(now - GRACE_MS))
end

-- Removes a reservation from every bucket it was made in. Returns 1 when it existed.
local function release_reservation(rvk, id)
  local amt = redis.call('HGET', rvk, 'amt')
  if not amt then return 0 end
  local zkeys = cjson.decode(redis.call('HGET', rvk, 'keys'))
  local member = amt .. ':' .. id
  for _, zk in ipairs(zkeys) do
    redis.call('ZREM', zk, member)
  end
  redis.call('DEL', rvk)
  return 1
end
`;
