import { BATCH_LUA_LIBRARY } from './batchLuaLibrary.js';

/**
 * Reserve for many calls in one script: each reservation, in order, in every one of its buckets
 * or in none, decided exactly as one script per call would decide it, one after the other. Each
 * bucket is read once; the running sums (earlier reservations of the batch included) live in Lua
 * locals, and each bucket's zset, total and TTLs are written once at the end. A reservation that
 * does not fit changes nothing, for itself or for the others.
 *
 * KEYS: for i = 1..m: [3i-2] bucket hash, [3i-1] reservation zset, [3i] reservation total;
 *       [3m+1] reservation records hash, [3m+2] store epoch (its key layout is checked), [3m+3] meta hash.
 * ARGV: [1] m, [2] r, then JSON arrays of numbers (strings where noted):
 *       [3] per bucket: rollingMs (0 = none), slotMs;
 *       [4] lists of buckets, each: n, then per bucket: bucket number (1..m), limitNanos, enforce (1|0);
 *       [5] per reservation: amountNanos (string), now, expiresAt (string), position of its list in [4];
 *       then [5+j] the id of reservation j.
 * Returns, per reservation in order: ok (1|0), index of the first failed bucket of its list
 * (1-based, 0 = none), then per bucket of its list: spentNanos, reservedNanos — after the
 * reservation when ok, before the attempt when not.
 *
 * A live reservation with the same id (in Redis, or earlier in the batch) is replaced. The
 * reservations' `now` lie less than GRACE_MS apart (the caller splits batches, see batchSpan.ts).
 * The records of reservations never settled nor released are swept here (see sweep_records).
 */
export const RESERVE_MANY_SCRIPT = `${BATCH_LUA_LIBRARY}
local m, r = tonumber(ARGV[1]), tonumber(ARGV[2])
local bnum, lnum, rnum = cjson.decode(ARGV[3]), cjson.decode(ARGV[4]), cjson.decode(ARGV[5])
local rvs = KEYS[3 * m + 1]
check_layout(KEYS[3 * m + 2])
local snow = server_now()
sweep_records(rvs, KEYS[3 * m + 3], snow)

-- Per reservation, in parallel arrays: amount, now, expiresAt, list position, live.
local amts, amounts, nows, exps, lists, live = {}, {}, {}, {}, {}, {}
local max_now = -math.huge
for j = 1, r do
  local x = 4 * j - 3
  amts[j], amounts[j], nows[j], exps[j], lists[j] = rnum[x], tonumber(rnum[x]), rnum[x + 1], tonumber(rnum[x + 2]), rnum[x + 3]
  live[j] = false
  if nows[j] > max_now then max_now = nows[j] end
end

local B, by_zk = {}, {}
for i = 1, m do
  local hk, zk, tk = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local rolling, slot = bnum[2 * i - 1], bnum[2 * i]
  -- What one script per reservation would have dropped by the last reservation of the batch: as the
  -- batch spans less than GRACE_MS (the caller splits it), none of it counts for any of them.
  gc_slots(hk, rolling, slot, max_now)
  gc_reservations(zk, tk, max_now)
  local b = load_bucket(hk, zk, tk, rolling, slot, max_now)
  b.i, b.added, b.soon, b.adds, b.nadds, b.keep = i, 0, {}, {}, 0, 0
  B[i] = b
  by_zk[zk] = b
end

-- Each list's distinct buckets (a bucket named twice is reserved in once).
local distinct = {}
local function distinct_of(at)
  local d = distinct[at]
  if d then return d end
  d = {}
  local seen = {}
  for k = 0, lnum[at] - 1 do
    local b = B[lnum[at + 1 + 3 * k]]
    if not seen[b] then
      seen[b] = true
      d[#d + 1] = b
    end
  end
  distinct[at] = d
  return d
end

-- Live reservations at 'now': as read, plus those of this batch, minus those of this batch expired at 'now'.
local function reserved_now(b, now)
  if #b.scores == 0 and #b.soon == 0 then return b.total + b.added end
  local v = reserved_at(b, now) + b.added
  for _, j in ipairs(b.soon) do
    if live[j] and exps[j] <= now then v = v - amounts[j] end
  end
  return v
end

-- The same id reserved in Redis before this batch: dropped (as release_reservation does), and from what was read.
local function drop_existing(id, v)
  local amt, _, keys_json = parse_record(v)
  local keys = cjson.decode(keys_json)
  local member = amt .. ':' .. id
  for i = 1, #keys, 2 do
    if redis.call('ZREM', keys[i], member) == 1 then
      redis.call('DECRBY', keys[i + 1], amt)
      local b = by_zk[keys[i]]
      if b then
        b.total = b.total - tonumber(amt)
        for k = 1, #b.members do
          if b.members[k] == member then b.amounts[k] = 0 end
        end
      end
    end
  end
  redis.call('HDEL', rvs, id)
end

-- Records of this batch's ids already in Redis (id -> record).
local existing = {}
for i = 1, r, CHUNK do
  local j = math.min(i + CHUNK - 1, r)
  local v = redis.call('HMGET', rvs, unpack(ARGV, 5 + i, 5 + j))
  for q = 1, #v do
    if v[q] then existing[ARGV[4 + i + q]] = v[q] end
  end
end

local out, o, pending = {}, 0, {}
for j = 1, r do
  local id = ARGV[5 + j]
  local v = existing[id]
  if v then
    existing[id] = nil
    drop_existing(id, v)
  end
  local prev = pending[id]
  if prev then
    live[prev] = false
    pending[id] = nil
    for _, b in ipairs(distinct_of(lists[prev])) do b.added = b.added - amounts[prev] end
  end
  local now, amount, at = nows[j], amounts[j], lists[j]
  local nb = lnum[at]
  local base = o
  o = o + 2 + 2 * nb
  out[base + 1], out[base + 2] = 0, 0
  local failed = 0
  for k = 0, nb - 1 do
    local p = at + 1 + 3 * k
    local b = B[lnum[p]]
    local spent = b.spent
    if not spent then spent = spent_at(b, now) end
    local reserved = reserved_now(b, now)
    out[base + 3 + 2 * k], out[base + 4 + 2 * k] = spent, reserved
    if failed == 0 and lnum[p + 2] == 1 and spent + reserved + amount > lnum[p + 1] then
      failed = k + 1
    end
  end
  if failed > 0 then
    out[base + 2] = failed
  else
    out[base + 1] = 1
    live[j] = true
    pending[id] = j
    for _, b in ipairs(distinct_of(at)) do
      b.added = b.added + amount
      if exps[j] <= max_now then b.soon[#b.soon + 1] = j end
    end
    if exps[j] > now then
      for k = 0, nb - 1 do out[base + 4 + 2 * k] = out[base + 4 + 2 * k] + amount end
    end
  end
end

-- The reservation records' list of zset and total keys, encoded once per list.
local encoded = {}
local function keys_json(at)
  local json = encoded[at]
  if not json then
    local keys = {}
    for _, b in ipairs(distinct_of(at)) do
      keys[#keys + 1] = b.zk
      keys[#keys + 1] = b.tk
    end
    json = cjson.encode(keys)
    encoded[at] = json
  end
  return json
end

local last_keep, last_keep_s
local records = {}
for j = 1, r do
  local d = live[j] and distinct[lists[j]]
  if d and #d > 0 then
    local keep = math.max(exps[j], snow) + MARGIN_MS
    if keep ~= last_keep then last_keep, last_keep_s = keep, fmt(keep) end
    local id = ARGV[5 + j]
    local member = amts[j] .. ':' .. id
    local exp_s = rnum[4 * j - 1]
    for _, b in ipairs(d) do
      local n = b.nadds
      b.adds[n + 1], b.adds[n + 2], b.nadds = exp_s, member, n + 2
      if keep > b.keep then b.keep = keep end
    end
    records[#records + 1] = id
    records[#records + 1] = format_record(amts[j], last_keep_s, keys_json(lists[j]))
  end
end
if #records > 0 then call_chunks('HSET', rvs, records, 1, #records) end

for i = 1, m do
  local b = B[i]
  if b.nadds > 0 then
    if call_chunks('ZADD', b.zk, b.adds, 1, b.nadds) == b.nadds / 2 then
      redis.call('INCRBY', b.tk, fmt(b.added))
    else
      resync_total(b.zk, b.tk)
    end
    extend_ttl(b.zk, b.keep, snow)
    extend_ttl(b.tk, b.keep, snow)
  end
end
return out
`;
