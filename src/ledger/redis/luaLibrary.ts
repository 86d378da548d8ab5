import { KEY_LAYOUT, KEY_LAYOUT_ERROR } from './keyLayout.js';

/**
 * Lua functions shared by the ledger scripts (prepended to each script's body).
 *
 * Key layout per bucket (see redisKeys.ts):
 * - bucket hash: field `s` = settled nanos (calendar / total windows), or for rolling
 *   windows one field per time slot (`floor(t / slotMs)` → nanos);
 * - reservation zset: member `<amountNanos>:<reservationId>`, score = expiresAt;
 * - reservation total: the sum of the zset's amounts (string), so that a reserve costs
 *   O(expired reservations), not O(live ones).
 * A reservation record (a field of the records hash, see redisKeys.ts: amount, keep time and
 * the JSON list of its zset and total keys, in pairs) lets `release` find its buckets.
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
local LAYOUT = '${KEY_LAYOUT}/'
-- Reservation records looked at per sweep, and the least time between two sweeps (server ms).
local SWEEP_COUNT, SWEEP_EVERY_MS = 200, 1000

-- Refuses data written in another key layout (its epoch, see StoreEpoch, has no layout tag).
local function check_layout(ek)
  local e = redis.call('GET', ek)
  if e and string.sub(e, 1, #LAYOUT) ~= LAYOUT then
    error({ err = '${KEY_LAYOUT_ERROR} the data under ' .. ek .. ' was written by an earlier tollgate (key layout 1: '
      .. 'a key per reservation and per settled id); this version reads key layout 2. Stop the processes of the '
      .. 'earlier version, then give this version a new keyPrefix, or delete the keys under the old prefix '
      .. '(their spend starts again from zero)' })
  end
end

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

-- A reservation record: amount (string), keep time (number), JSON list of its zset and total keys.
local function parse_record(v)
  local a = string.find(v, '|', 1, true)
  local b = string.find(v, '|', a + 1, true)
  return string.sub(v, 1, a - 1), tonumber(string.sub(v, a + 1, b - 1)), string.sub(v, b + 1)
end

local function format_record(amt, keep_s, keys_json)
  return amt .. '|' .. keep_s .. '|' .. keys_json
end

-- Removes a reservation from every bucket it was made in. Returns 1 when it existed.
local function release_reservation(rvs, id)
  local v = redis.call('HGET', rvs, id)
  if not v then return 0 end
  local amt, _, keys_json = parse_record(v)
  local keys = cjson.decode(keys_json)
  local member = amt .. ':' .. id
  for i = 1, #keys, 2 do
    if redis.call('ZREM', keys[i], member) == 1 then
      redis.call('DECRBY', keys[i + 1], amt)
    end
  end
  redis.call('HDEL', rvs, id)
  return 1
end

-- Forgets the records of reservations that were never settled nor released (a process that died)
-- once their keep time passed: at most once per SWEEP_EVERY_MS, SWEEP_COUNT records at a time, the
-- cursor and the next sweep's time kept in the meta hash.
local function sweep_records(rvs, meta, snow)
  local at = redis.call('HMGET', meta, 'rvsSweepAt', 'rvsCursor')
  if at[1] and tonumber(at[1]) > snow then return end
  local r = redis.call('HSCAN', rvs, at[2] or '0', 'COUNT', SWEEP_COUNT)
  local old, flat = {}, r[2]
  for i = 1, #flat, 2 do
    local _, keep = parse_record(flat[i + 1])
    if keep < snow then old[#old + 1] = flat[i] end
  end
  if #old > 0 then redis.call('HDEL', rvs, unpack(old)) end
  redis.call('HSET', meta, 'rvsSweepAt', fmt(snow + SWEEP_EVERY_MS), 'rvsCursor', r[1])
end
`;
