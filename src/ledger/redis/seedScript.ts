import type { BucketSeeds } from '../seedsByBucket.js';
import { LUA_LIBRARY } from './luaLibrary.js';
import type { RedisKeys } from './redisKeys.js';
import { rollingSlotMs } from './rollingSlotMs.js';

/**
 * `Ledger.seed` on Redis, atomic: each bucket that holds no spend (a counter absent or at zero; a
 * rolling window's hash absent) gets its seeds (rolling windows: each in the time slot of its
 * time), and the expiry a settlement would give it.
 *
 * KEYS: [1] the epoch key (its layout is checked), then [1 + i] the spend hash of bucket i.
 * ARGV: [1] n, then per bucket: count c, rollingMs (0 = none), slotMs, expiresAt (0 = none),
 * then c pairs: time, nanos.
 * Returns the indexes (1-based) of the buckets seeded.
 */
export const SEED_SCRIPT = `${LUA_LIBRARY}
check_layout(KEYS[1])
local snow = server_now()
local n = tonumber(ARGV[1])
local a = 2
local out = {}
for i = 1, n do
  local hk = KEYS[1 + i]
  local c, rolling, slot, bexp = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  a = a + 4
  local holds
  if rolling > 0 then holds = redis.call('EXISTS', hk) == 1 else holds = tonumber(redis.call('HGET', hk, 's') or '0') > 0 end
  if not holds then
    local latest = 0
    for j = 0, c - 1 do
      local time, nanos = tonumber(ARGV[a + 2 * j]), ARGV[a + 2 * j + 1]
      if time > latest then latest = time end
      if rolling > 0 then
        redis.call('HINCRBY', hk, fmt(math.floor(time / slot)), nanos)
      else
        redis.call('HINCRBY', hk, 's', nanos)
      end
    end
    if rolling > 0 then
      extend_ttl(hk, math.max(latest, snow) + rolling + slot + MARGIN_MS, snow)
    elseif bexp > 0 then
      extend_ttl(hk, math.max(bexp, snow) + MARGIN_MS, snow)
    end
    out[#out + 1] = i
  end
  a = a + 2 * c
end
return out
`;

/** The keys and arguments of SEED_SCRIPT for `buckets`. */
export function seedCall(keys: RedisKeys, buckets: readonly BucketSeeds[]): { keys: string[]; args: number[] } {
  const args: number[] = [buckets.length];
  for (const { bucket, seeds } of buckets) {
    const rolling = bucket.rollingMs ?? 0;
    args.push(seeds.length, rolling, rolling > 0 ? rollingSlotMs(rolling) : 1, bucket.expiresAt ?? 0);
    for (const s of seeds) args.push(s.time, s.nanos);
  }
  return { keys: [keys.epoch, ...buckets.map((g) => keys.bucket(g.bucket.key))], args };
}
