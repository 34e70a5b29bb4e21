--[[
dead-letter-read: the first step of dead-lettering when the dead-letter stream is in another
cluster slot than the stream (at-least-once path, src/reclaim/settle-split.ts). For each entry,
atomically: check the fence (still pending, owned by the expected consumer, with the expected
delivery count, idle at least the given time) and read its fields; an entry gone from the
stream is acknowledged here as an orphan. The caller then appends the record to the
dead-letter stream and acknowledges with a fenced settle-entries (ack only).

KEYS[1]   the stream
ARGV[1]   consumer group
ARGV[2..] per entry, 4 values: id, expected owner, expected deliveries, min idle ms

Reply: { { status, fields }, ... } one per entry:
  status 1 fence holds, fields = { field, value, ... } (the record's original part)
  status 2 orphaned (gone from the stream; acknowledged), fields = {}
  status 0 skipped (fence failed), fields = {}

What can fail, and what then: the stream or group failing the first XPENDING, before any write.
Its only write is XACK, never refused for memory; the record itself is written by the client
(no Lua argument limit there).
]]
--- @include "fence"
local stream, group = KEYS[1], ARGV[1]

local replies = {}
for i = 2, #ARGV, 4 do
  local id, owner, deliveries, minIdle = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  if not fenced(stream, group, id, owner, deliveries, minIdle) then
    replies[#replies + 1] = { 0, {} }
  else
    local entry = redis.call('XRANGE', stream, id, id)[1]
    if entry == nil then
      redis.call('XACK', stream, group, id)
      replies[#replies + 1] = { 2, {} }
    else
      replies[#replies + 1] = { 1, entry[2] }
    end
  end
end
return replies
