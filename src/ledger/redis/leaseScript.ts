import { LUA_LIBRARY } from './luaLibrary.js';

/**
 * Take (or refresh) a process' lease in one counter: drop the lease it held there, then reserve
 * `share` of the counter's free room (limit − settled − live reservations, other leases included)
 * under the lease id, like a reservation (so the cap holds for every other process, and the
 * lease stops counting at its expiresAt if the process is gone).
 *
 * KEYS: [1] bucket hash, [2] reservation zset, [3] reservation total, [4] reservation records hash,
 *       [5] store epoch (its key layout is checked).
 * ARGV: [1] lease id, [2] share in parts per million, [3] most nanos (0 = no maximum), [4] now,
 *       [5] expiresAt, [6] limitNanos, [7] rollingMs (0 = none), [8] slotMs.
 * Returns { amountNanos (0 when no room), spentNanos, reservedNanos (the lease included) }.
 */
export const LEASE_SCRIPT = `${LUA_LIBRARY}
local id = ARGV[1]
local share = tonumber(ARGV[2])
local most = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local exp = tonumber(ARGV[5])
local limit = tonumber(ARGV[6])
local rolling, slot = tonumber(ARGV[7]), tonumber(ARGV[8])
local hk, zk, tk, rvs = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
check_layout(KEYS[5])
release_reservation(rvs, id)
gc_slots(hk, rolling, slot, now)
gc_reservations(zk, tk, now)
local spent = spent_of(hk, rolling, slot, now)
local reserved = reserved_of(zk, tk, now)
local free = limit - spent - reserved
local amount = 0
if free > 0 then
  -- share * free / 1e6 without passing 2^53: whole millions and the rest apart.
  local millions = math.floor(free / 1000000)
  amount = millions * share + math.floor((free - millions * 1000000) * share / 1000000)
  if most > 0 and amount > most then amount = most end
end
if amount <= 0 or exp <= now then
  return { 0, spent, reserved }
end
local snow = server_now()
local keep = math.max(exp, snow) + MARGIN_MS
local member = fmt(amount) .. ':' .. id
redis.call('ZADD', zk, ARGV[5], member)
redis.call('INCRBY', tk, fmt(amount))
extend_ttl(zk, keep, snow)
extend_ttl(tk, keep, snow)
redis.call('HSET', rvs, id, format_record(fmt(amount), fmt(keep), cjson.encode({ zk, tk })))
return { amount, spent, reserved + amount }
`;
