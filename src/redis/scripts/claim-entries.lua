--[[
claim-entries: claim pending entries for the reclaimer, only those still idle at this instant,
and report the delivery count each claim produced (the fence that settling checks later).
Deleted or trimmed entries are cleared from the PEL (acknowledged) and reported as orphaned:
Redis 7 XCLAIM drops them from the PEL itself; 6.x claims them with a nil body.

KEYS[1]   the stream
ARGV[1]   consumer group
ARGV[2]   consumer name the reclaimer claims as
ARGV[3]   minimum idle time, ms
ARGV[4..] entry IDs found idle by the PEL scan

Reply: { claimed, orphaned, skipped }
  claimed  = { { id, deliveries, { field, value, ... } }, ... }
  orphaned = { id, ... }   gone from the stream; no longer pending
  skipped  = { id, ... }   still in the stream, but not idle any more or no longer pending

What can fail, and what then: the stream missing or of another type, or the group missing,
fails the first XCLAIM, before any write. Later XCLAIMs name the same key and group, and XCLAIM
and XACK are never refused for memory; a wide entry's body only travels in the reply.
]]
--- @include "slices"
local stream, group, consumer, minIdle = KEYS[1], ARGV[1], ARGV[2], ARGV[3]

local claimed, orphaned, skipped, seen = {}, {}, {}, {}
for first = 4, #ARGV, ID_SLICE do
  local last = math.min(first + ID_SLICE - 1, #ARGV)
  local reply = redis.call('XCLAIM', stream, group, consumer, minIdle, unpack(ARGV, first, last))
  for _, entry in ipairs(reply) do
    if entry then -- 6.x replies nil (false here) for a deleted entry; handled below
      local id = entry[1]
      local row = redis.call('XPENDING', stream, group, id, id, 1)[1]
      claimed[#claimed + 1] = { id, row[4], entry[2] }
      seen[id] = true
    end
  end
end

for i = 4, #ARGV do
  local id = ARGV[i]
  if not seen[id] then
    if #redis.call('XRANGE', stream, id, id) == 0 then
      redis.call('XACK', stream, group, id)
      orphaned[#orphaned + 1] = id
    else
      skipped[#skipped + 1] = id
    end
  end
end

return { claimed, orphaned, skipped }
