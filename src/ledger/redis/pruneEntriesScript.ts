/**
 * Drop records from the records stream, entry by entry: an entry (the records of one batch) is
 * deleted, and the records of it that are kept go back in one new entry at the end of the stream
 * (the stream's order is arrival order; readers sort by record time). The meta hash's count of
 * records in the stream (see cap_stream in settleManyScript.ts) loses those removed. An entry
 * already gone (pruned by another process) is skipped, so nothing is counted twice.
 *
 * KEYS: [1] records stream, [2] meta hash.
 * ARGV: per entry: its id, the number of its records removed, the number k of its records kept,
 *       then those k records' JSON.
 * Returns the number of records removed.
 */
export const PRUNE_ENTRIES_SCRIPT = `
local stream, meta = KEYS[1], KEYS[2]
local i, removed = 1, 0
while i <= #ARGV do
  local n, k = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  if redis.call('XDEL', stream, ARGV[i]) == 1 then
    removed = removed + n
    if k > 0 then
      local fields = {}
      for q = 1, k do
        fields[2 * q - 1], fields[2 * q] = 'r', ARGV[i + 2 + q]
      end
      redis.call('XADD', stream, '*', unpack(fields))
    end
  end
  i = i + 3 + k
end
if removed > 0 then redis.call('HINCRBY', meta, 'streamRecords', -removed) end
return removed
`;
