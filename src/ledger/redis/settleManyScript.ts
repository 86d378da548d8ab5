import { BATCH_LUA_LIBRARY } from './batchLuaLibrary.js';

/**
 * Settle and release many calls in one script. A settlement counts once per id (the settled ids of
 * the current and the previous time slot of the server's clock are read once, and this batch's are
 * added to the current slot's hash at the end, see redisKeys.ts): it releases its reservation,
 * adds its cost to each of its buckets, appends its record to the stream and adds it to its day's
 * rollup. A release drops a reservation; its record goes from the records hash.
 * Settlements run in order, then releases (a release and a settlement of the same id end the
 * same in either order). Writes are summed in Lua locals and made once per key at the end: one
 * cost increment per bucket (per time slot for rolling windows), one ZREM and DECRBY per
 * reservation zset, one read and one write per day rollup for all of its fields; the stream
 * gets every record, and is capped (XTRIM MAXLEN ~) once. Then every bucket is read once, and
 * each settlement gets its buckets' states at its record's time, after the whole batch (for
 * threshold alerts).
 *
 * KEYS: for i = 1..m: [3i-2] bucket hash, [3i-1] reservation zset, [3i] reservation total;
 *       [3m+1] records stream, [3m+2] day index zset, [3m+3] reservation records hash, [3m+4]
 *       store epoch (its key layout is checked); for d = 1..nd: [3m+4+d] day rollup hash.
 * ARGV: [1] m, [2] nd, [3] ng (rollup groups: one day and rollup field), [4] ns settlements,
 *       [5] nr releases, [6] settledTtlMs (the length of a settled ids slot), [7] stream max
 *       length, [8] the start of the settled ids slots' keys, then JSON arrays of numbers:
 *       [9] per bucket: rollingMs (0 = none), slotMs, bucket expiresAt (0 = none);
 *       [10] lists of buckets, each: n, then n bucket numbers (1..m; a settlement's are distinct);
 *       [11] per day: its start (epoch ms); [12] per group: its day (1..nd);
 *       [13] per settlement: costNanos, record time, group, is error (1|0), input, output,
 *            cache read, cache write and reasoning tokens, position of its list in [10], then
 *            the reservation it releases when the caller knows it (it made it): the position of
 *            the reservation's list of buckets in [10] and its amountNanos (string); 0 and ''
 *            when not known (the reservation record is read instead);
 *       then strings: nd day keys (YYYY-MM-DD), ng rollup fields, per settlement its record JSON,
 *       per settlement its id, per release its id.
 * Returns per settlement in order: 1 when settled now | 0 when the id was already settled, then
 * per bucket of its list: spentNanos, reservedNanos at its record time, after the batch; then
 * per release: 1 when a reservation was dropped, 0 for an unknown id.
 *
 * The record times lie less than GRACE_MS apart (the caller splits batches, see batchSpan.ts):
 * the time slots one script per settlement would drop are those the last one drops.
 *
 * The zsets and totals of a reservation the caller does not know are read from its record, and the
 * settled ids slots' keys are made here from the server's clock (keys not declared in KEYS, as
 * release_reservation: fine on a standalone Redis, the reason Redis Cluster is not supported).
 */
export const SETTLE_MANY_SCRIPT = `${BATCH_LUA_LIBRARY}
local m, nd, ng = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ns, nr = tonumber(ARGV[4]), tonumber(ARGV[5])
local ttl, maxlen, sd = tonumber(ARGV[6]), ARGV[7], ARGV[8]
local bnum, lnum, dnum, gnum, snum = cjson.decode(ARGV[9]), cjson.decode(ARGV[10]), cjson.decode(ARGV[11]), cjson.decode(ARGV[12]), cjson.decode(ARGV[13])
local stream, days, rvs = KEYS[3 * m + 1], KEYS[3 * m + 2], KEYS[3 * m + 3]
check_layout(KEYS[3 * m + 4])
local sa = 14 + nd + ng
local ia = sa + ns - 1
local snow = server_now()
local B = {}
for i = 1, m do
  B[i] = { rolling = bnum[3 * i - 2], slot = bnum[3 * i - 1], bexp = bnum[3 * i], cost = 0, slotlist = {}, slotsum = {}, keep = 0 }
end
local D = {}
for d = 1, nd do
  D[d] = { key = KEYS[3 * m + 4 + d], start = dnum[d], name = ARGV[13 + d], groups = {}, fields = {} }
end
local G = {}
for g = 1, ng do
  G[g] = { day = D[gnum[g]], field = ARGV[13 + nd + g] }
end

-- Reservations released in this batch: their zset members, summed per zset; records deleted at the end.
local gone, dels, removals, rmorder, decoded = {}, {}, {}, {}, {}
local function release_later(id)
  if gone[id] then return 0 end
  local v = redis.call('HGET', rvs, id)
  if not v then return 0 end
  gone[id] = true
  dels[#dels + 1] = id
  local amt, _, keys_json = parse_record(v)
  local keys = decoded[keys_json]
  if not keys then
    keys = cjson.decode(keys_json)
    decoded[keys_json] = keys
  end
  local member = amt .. ':' .. id
  local amount = tonumber(amt)
  for i = 1, #keys, 2 do
    local rm = removals[keys[i]]
    if not rm then
      rm = { zk = keys[i], tk = keys[i + 1], members = {}, sum = 0 }
      removals[keys[i]] = rm
      rmorder[#rmorder + 1] = rm
    end
    rm.members[#rm.members + 1] = member
    rm.sum = rm.sum + amount
  end
  return 1
end

-- The same, for a reservation the caller made: its amount and buckets come from the caller.
local ldistinct = {}
local function release_known(id, at, amt)
  if gone[id] then return end
  gone[id] = true
  dels[#dels + 1] = id
  local member = amt .. ':' .. id
  local amount = tonumber(amt)
  local d = ldistinct[at]
  if not d then
    d = {}
    local seen = {}
    for q = 1, lnum[at] do
      local i = lnum[at + q]
      if not seen[i] then
        seen[i] = true
        d[#d + 1] = i
      end
    end
    ldistinct[at] = d
  end
  for _, i in ipairs(d) do
    local zk = KEYS[3 * i - 1]
    local rm = removals[zk]
    if not rm then
      rm = { zk = zk, tk = KEYS[3 * i], members = {}, sum = 0 }
      removals[zk] = rm
      rmorder[#rmorder + 1] = rm
    end
    rm.members[#rm.members + 1] = member
    rm.sum = rm.sum + amount
  end
end

-- Ids settled before (in the current or the previous slot), then in this batch.
local slot = math.floor(snow / ttl)
local sk = sd .. fmt(slot)
local done = {}
for _, key in ipairs({ sk, sd .. fmt(slot - 1) }) do
  for i = 1, ns, CHUNK do
    local j = math.min(i + CHUNK - 1, ns)
    local v = redis.call('HMGET', key, unpack(ARGV, ia + i, ia + j))
    for q = 1, #v do
      if v[q] then done[ARGV[ia + i + q - 1]] = true end
    end
  end
end
local newly = {}

local added = 0
local out, o, pos = {}, 0, {}
local max_time = -math.huge
for j = 1, ns do
  local x = 12 * j - 11
  local cost, time, at = snum[x], snum[x + 1], snum[x + 9]
  local nb = lnum[at]
  if time > max_time then max_time = time end
  local id = ARGV[ia + j]
  local settled = not done[id]
  pos[j] = o
  out[o + 1] = settled and 1 or 0
  for q = 2, 2 * nb + 1 do out[o + q] = 0 end
  o = o + 1 + 2 * nb
  if settled then
    done[id] = true
    newly[#newly + 1] = id
    newly[#newly + 1] = '1'
    if snum[x + 10] > 0 then
      release_known(id, snum[x + 10], snum[x + 11])
    else
      release_later(id)
    end
    for q = 1, nb do
      local b = B[lnum[at + q]]
      if b.rolling > 0 then
        if cost ~= 0 then
          local s = math.floor(time / b.slot)
          if not b.slotsum[s] then
            b.slotsum[s] = 0
            b.slotlist[#b.slotlist + 1] = s
          end
          b.slotsum[s] = b.slotsum[s] + cost
          b.keep = math.max(b.keep, math.max(time, snow) + b.rolling + b.slot + MARGIN_MS)
        end
        if not b.gc or time > b.gc then b.gc = time end
      elseif cost ~= 0 then
        b.cost = b.cost + cost
        if b.bexp > 0 then b.keep = math.max(b.keep, math.max(b.bexp, snow) + MARGIN_MS) end
      end
    end
    redis.call('XADD', stream, '*', 'r', ARGV[sa + j - 1])
    added = added + 1
    local g = G[snum[x + 2]]
    local sums = g.sums
    if not sums then
      sums = { 0, 0, 0, 0, 0, 0, 0, 0 }
      g.sums = sums
      local day = g.day
      day.groups[#day.groups + 1] = g
      day.fields[#day.fields + 1] = g.field
    end
    sums[1], sums[2], sums[3], sums[4] = sums[1] + 1, sums[2] + snum[x + 3], sums[3] + snum[x + 4], sums[4] + snum[x + 5]
    sums[5], sums[6], sums[7], sums[8] = sums[5] + snum[x + 6], sums[6] + snum[x + 7], sums[7] + snum[x + 8], sums[8] + cost
  end
end
for j = 1, nr do
  out[o + j] = release_later(ARGV[ia + ns + j])
end
if #newly > 0 then
  call_chunks('HSET', sk, newly, 1, #newly)
  -- The slot before the previous one is no longer read: unlinked (freed in the background, where an
  -- expiry would free a large hash in the main thread); its expiry is for a store gone idle.
  redis.call('PEXPIREAT', sk, fmt((slot + 3) * ttl))
  redis.call('UNLINK', sd .. fmt(slot - 2))
end

for i = 1, m do
  local b = B[i]
  local hk = KEYS[3 * i - 2]
  if b.rolling > 0 then
    for _, s in ipairs(b.slotlist) do
      redis.call('HINCRBY', hk, fmt(s), fmt(b.slotsum[s]))
    end
    if b.keep > 0 then extend_ttl(hk, b.keep, snow) end
    if b.gc then gc_slots(hk, b.rolling, b.slot, b.gc) end
  elseif b.cost ~= 0 then
    redis.call('HINCRBY', hk, 's', fmt(b.cost))
    if b.keep > 0 then extend_ttl(hk, b.keep, snow) end
  end
end

for _, rm in ipairs(rmorder) do
  if call_chunks('ZREM', rm.zk, rm.members, 1, #rm.members) == #rm.members then
    if rm.sum ~= 0 then redis.call('DECRBY', rm.tk, fmt(rm.sum)) end
  else
    resync_total(rm.zk, rm.tk)
  end
end
if #dels > 0 then call_chunks('HDEL', rvs, dels, 1, #dels) end
-- The stream is capped once per batch (what one XADD MAXLEN ~ per record would leave, as the script is atomic).
if added > 0 then redis.call('XTRIM', stream, 'MAXLEN', '~', maxlen) end

local zdays = {}
for d = 1, nd do
  local day = D[d]
  local nf = #day.fields
  if nf > 0 then
    local set = {}
    for i = 1, nf, CHUNK do
      local cur = redis.call('HMGET', day.key, unpack(day.fields, i, math.min(i + CHUNK - 1, nf)))
      for q = 1, #cur do
        local g = day.groups[i + q - 1]
        local sums = {}
        if cur[q] then
          local p = 1
          for v in string.gmatch(cur[q], '[^,]+') do
            sums[p] = tonumber(v)
            p = p + 1
          end
        end
        local parts = {}
        for p = 1, 8 do parts[p] = fmt((sums[p] or 0) + g.sums[p]) end
        set[#set + 1] = g.field
        set[#set + 1] = table.concat(parts, ',')
      end
    end
    call_chunks('HSET', day.key, set, 1, #set)
    zdays[#zdays + 1] = fmt(day.start)
    zdays[#zdays + 1] = day.name
  end
end
if #zdays > 0 then call_chunks('ZADD', days, zdays, 1, #zdays) end

if ns > 0 then
  local L = {}
  for i = 1, m do
    L[i] = load_bucket(KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i], B[i].rolling, B[i].slot, max_time)
  end
  for j = 1, ns do
    local x = 12 * j - 11
    local time, at, base = snum[x + 1], snum[x + 9], pos[j]
    for q = 1, lnum[at] do
      local b = L[lnum[at + q]]
      out[base + 2 * q] = spent_at(b, time)
      out[base + 2 * q + 1] = reserved_at(b, time)
    end
  end
end
return out
`;
