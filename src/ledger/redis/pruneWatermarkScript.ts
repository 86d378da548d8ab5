/**
 * Raise the prune watermark (never lower it).
 *
 * KEYS: [1] meta hash. ARGV: [1] before (epoch ms).
 * Returns the watermark after the call.
 */
export const PRUNE_WATERMARK_SCRIPT = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'pruneWatermark') or '')
local before = tonumber(ARGV[1])
if cur == nil or before > cur then
  redis.call('HSET', KEYS[1], 'pruneWatermark', ARGV[1])
  return before
end
return cur
`;
