--[[
requeue-entries: RECLAIM_ACTION=requeue on the general path. For each entry, atomically and only
if the fence holds, append a copy to the same stream (lib/retry: the original fields, then
reclaim.origin and reclaim.deliveries) and acknowledge the original. Live consumers read the
copy with `>`. The fence is settle-entries' (or, for the fast path's wide entries, the scan's
view): still pending, owned by the expected consumer, with exactly the expected delivery count,
idle at least the given time. An entry gone from the stream is acknowledged as an orphan.
Only the stream is touched, so this stays one atomic step on a cluster with untagged keys.

KEYS[1]   the stream
ARGV[1]   consumer group
ARGV[2..] per entry, 5 values: id, expected owner, expected deliveries, min idle ms, own
          deliveries that count (the expected count less the reclaimer's own claim, if any: a
          claim that only hands the entry back is no delivery to a consumer)

Reply: { status, ... } one per entry (src/redis/script-status.ts names them):
  1 requeued (copy appended, original acked), 2 orphaned (acked), 0 skipped (fence failed),
  3 too wide: the copy is too long for one call from Lua; left pending for the caller's MULTI
    (src/redis/wide.ts), which keeps the same fence,
  4 failed: its XADD failed after this script's first write (left pending; not expected)

What can fail, and what then:
- the stream is not a stream, the group is missing: the first XPENDING; nothing written.
- maxmemory (noeviction): only a script's first write is refused (an XADD; XACK never is): that
  error is returned with nothing written.
]]
--- @include "record"
--- @include "guards"
--- @include "fence"
--- @include "retry"
local stream, group = KEYS[1], ARGV[1]

local statuses, wrote = {}, false
for i = 2, #ARGV, 5 do
  local id, owner, deliveries, minIdle = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local status = 0
  if fenced(stream, group, id, owner, deliveries, minIdle) then
    local entry = redis.call('XRANGE', stream, id, id)[1]
    if entry == nil then
      status = 2
    else
      local copy = requeueCopy(id, entry[2], tonumber(ARGV[i + 4]) + priorDeliveries(entry[2]))
      if not fitsOneCall(#copy) then
        status = 3
      else
        local reply = redis.pcall('XADD', stream, '*', unpack(copy))
        if isError(reply) and not wrote then return reply end
        status = isError(reply) and 4 or 1
      end
    end
    if status == 1 or status == 2 then
      redis.call('XACK', stream, group, id)
      wrote = true
    end
  end
  statuses[#statuses + 1] = status
end
return statuses
