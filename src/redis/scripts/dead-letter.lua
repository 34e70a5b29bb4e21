--[[
dead-letter: for each entry, atomically and only if the fence holds, append the dead-letter
record (lib/record: original fields in order, then the nine dlq.* fields) and acknowledge it.
The fence: still pending, owned by the expected consumer, with the expected delivery count, and
idle at least the given time. An entry gone from the stream is acknowledged as an orphan.

KEYS[1]   the stream
KEYS[2]   the dead-letter stream (same slot as the stream; the caller checks)
ARGV[1]   consumer group
ARGV[2]   dlq.at, epoch ms
ARGV[3..] per entry, 9 values: id, expected owner, expected deliveries, min idle ms,
          dlq.consumer, dlq.deliveries, dlq.idle_ms, dlq.reason, dlq.error

Reply: { status, ... } one per entry (src/redis/script-status.ts names them):
  1 dead-lettered and acked, 2 orphaned (acked), 0 skipped (fence failed),
  3 too wide: the record is too long for one call from Lua, or a delivery count (expected or
    recorded) is 2^53 or more; left pending for the caller's MULTI (src/redis/wide.ts), which
    keeps the same fence,
  4 failed: its XADD failed after this script's first write (left pending; not expected)

What can fail, and what then:
- the stream is not a stream, the group is missing: the first XPENDING; nothing written.
- the dead-letter key holds another type: checked first; error 'WRONGTYPE dead-letter key ...'.
- maxmemory (noeviction): only a script's first write is refused (an XADD; XACK never is): that
  error is returned with nothing written.
]]
--- @include "record"
--- @include "guards"
--- @include "fence"
local stream, dlq, group, at = KEYS[1], KEYS[2], ARGV[1], ARGV[2]

if not isStreamOrNone(dlq) then
  return redis.error_reply('WRONGTYPE dead-letter key holds another type (expected a stream)')
end

local statuses, wrote = {}, false
for i = 3, #ARGV, 9 do
  local id, owner, deliveries, minIdle = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  -- A count of 2^53 or more can be neither fenced nor recorded exactly here (lib/record):
  -- status 3, and the client reads it exactly first (src/redis/wide.ts).
  local exact = countExactInLua(deliveries) and countExactInLua(tonumber(ARGV[i + 5]))
  local status = exact and 0 or 3
  if exact and fenced(stream, group, id, owner, deliveries, minIdle) then
    local entry = redis.call('XRANGE', stream, id, id)[1]
    if entry == nil then
      status = 2
    elseif not fitsOneCall(#entry[2] + RECORD_META_VALUES) then
      status = 3
    else
      local record = appendMeta(entry[2], stream, id, group, ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], ARGV[i + 8], at)
      local reply = redis.pcall('XADD', dlq, '*', unpack(record))
      if isError(reply) and not wrote then return reply end
      status = isError(reply) and 4 or 1
    end
    if status == 1 or status == 2 then
      redis.call('XACK', stream, group, id)
      wrote = true
    end
  end
  statuses[#statuses + 1] = status
end
return statuses
