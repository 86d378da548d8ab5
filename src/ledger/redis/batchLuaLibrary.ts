import { LUA_LIBRARY } from './luaLibrary.js';

/**
 * Lua functions shared by the batch scripts (reserveManyScript, settleManyScript), after the
 * ledger's LUA_LIBRARY. A batch reads each bucket once into a Lua table and answers every call of
 * the batch from it:
 *
 * - `load_bucket` reads the settled spend (calendar: field `s`; rolling: every time slot), the
 *   reservation total, and the reservations whose expiresAt is at most `upto` (the latest time any
 *   call of the batch asks about), in score order;
 * - `spent_at(b, now)` and `reserved_at(b, now)` answer as `spent_of` / `reserved_of` would at
 *   `now` (reserved: the total minus the members read that expired at `now`).
 *
 * `call_chunks` runs a command over a long list of arguments in chunks (Lua's `unpack` is
 * bounded by its C stack) and sums the integer replies.
 */
export const BATCH_LUA_LIBRARY = `${LUA_LIBRARY}
local CHUNK = 1000

local function call_chunks(cmd, key, list, from, to)
  local sum = 0
  local i = from
  while i <= to do
    local j = math.min(i + CHUNK - 1, to)
    local r
    if key then
      r = redis.call(cmd, key, unpack(list, i, j))
    else
      r = redis.call(cmd, unpack(list, i, j))
    end
    if type(r) == 'number' then sum = sum + r end
    i = j + 1
  end
  return sum
end

local function load_bucket(hk, zk, tk, rolling, slot, upto)
  local b = { hk = hk, zk = zk, tk = tk, rolling = rolling, slot = slot, memo = {} }
  if rolling > 0 then
    local flat = redis.call('HGETALL', hk)
    local slots, sums = {}, {}
    for i = 1, #flat, 2 do
      slots[#slots + 1] = tonumber(flat[i])
      sums[#sums + 1] = tonumber(flat[i + 1])
    end
    b.slots, b.sums = slots, sums
  else
    b.spent = tonumber(redis.call('HGET', hk, 's') or '0')
  end
  b.total = tonumber(redis.call('GET', tk) or '0')
  local flat = redis.call('ZRANGEBYSCORE', zk, '-inf', fmt(upto), 'WITHSCORES')
  local members, scores, amounts = {}, {}, {}
  for i = 1, #flat, 2 do
    members[#members + 1] = flat[i]
    scores[#scores + 1] = tonumber(flat[i + 1])
    amounts[#amounts + 1] = amount_of(flat[i])
  end
  b.members, b.scores, b.amounts = members, scores, amounts
  return b
end

local function spent_at(b, now)
  if b.rolling <= 0 then return b.spent end
  local s = b.memo[now]
  if s then return s end
  s = 0
  for i = 1, #b.slots do
    if slot_counts(b.slots[i], b.slot, b.rolling, now) then
      s = s + b.sums[i]
    end
  end
  b.memo[now] = s
  return s
end

local function reserved_at(b, now)
  local r = b.total
  for i = 1, #b.scores do
    if b.scores[i] > now then break end
    r = r - b.amounts[i]
  end
  return r
end

-- Sets the reservation total to the sum of the zset's members (when a batch added or removed a
-- member that was, or was not, there already: the total stays the sum of the members).
local function resync_total(zk, tk)
  local sum = 0
  for _, m in ipairs(redis.call('ZRANGE', zk, 0, -1)) do
    sum = sum + amount_of(m)
  end
  local cur = tonumber(redis.call('GET', tk) or '0')
  if sum ~= cur then
    redis.call('INCRBY', tk, fmt(sum - cur))
  end
end
`;
