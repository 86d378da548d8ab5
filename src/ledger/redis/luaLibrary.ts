/**
 * Lua functions shared by the ledger scripts (prepended to each script's body).
 *
 * Key layout per bucket (see redisKeys.ts):
 * - bucket hash: field `s` = settled nanos (calendar / total windows), or for rolling
 *   windows one field per time slot (`floor(t / slotMs)` → nanos);
 * - reservation zset: member `<amountNanos>:<reservationId>`, score = expiresAt;
 * - reservation total: the sum of the zset's amounts (string), so that a reserve costs
 *   O(expired reservations), not O(live ones).
 * A reservation record hash (`amt`, `exp`, `keys` = JSON list of its zset and total
 * keys, in pairs) lets `release` find its buckets.
 *
 * Numbers: Lua numbers are doubles, exact for integers up to 2^53 (the same bound as
 * JS). Integers are written back with `%.0f`, never with Lua's default `%.14g`.
 *
 * Time: `now` comes from the caller (injected clock). Redis' own clock is only used to
 * keep key TTLs sane when the caller's clock is far from the server's.
 */
export const LUA_LIBRARY = `
-- Redis < 5 replicates scripts verbatim, which forbids writes after TIME / XADD *.
if redis.replicate_commands then redis.replicate_commands() end

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

local function amount_of(member)
  local c = string.find(member, ':', 1, true)
  return tonumber(string.sub(member, 1, c - 1))
end

-- Sum of live reservations (expiresAt > now): the running total of the zset minus the
-- members already expired at 'now' (normally few: only calls that never settled).
local function reserved_of(zk, tk, now)
  local total = tonumber(redis.call('GET', tk) or '0')
  local expired = redis.call('ZRANGEBYSCORE', zk, '-inf', fmt(now))
  for _, m in ipairs(expired) do
    total = total - amount_of(m)
  end
  return total
end

-- Forgets reservations that expired more than GRACE_MS before 'now'.
local function gc_reservations(zk, tk, now)
  local cutoff = '(' .. fmt(now - GRACE_MS)
  local old = redis.call('ZRANGEBYSCORE', zk, '-inf', cutoff)
  if #old == 0 then return end
  local sum = 0
  for _, m in ipairs(old) do
    sum = sum + amount_of(m)
  end
  redis.call('ZREMRANGEBYSCORE', zk, '-inf', cutoff)
  redis.call('DECRBY', tk, fmt(sum))
end

-- Removes a reservation from every bucket it was made in. Returns 1 when it existed.
local function release_reservation(rvk, id)
  local amt = redis.call('HGET', rvk, 'amt')
  if not amt then return 0 end
  local keys = cjson.decode(redis.call('HGET', rvk, 'keys'))
  local member = amt .. ':' .. id
  for i = 1, #keys, 2 do
    if redis.call('ZREM', keys[i], member) == 1 then
      redis.call('DECRBY', keys[i + 1], amt)
    end
  end
  redis.call('DEL', rvk)
  return 1
end
`;
