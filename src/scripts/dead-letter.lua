--[[
dead-letter: for each entry, atomically and only if the fence holds, append the dead-letter
record (original fields in order, then the nine dlq.* metadata fields) and acknowledge it.
The fence: still pending, owned by the expected consumer, with the expected delivery count, and
idle at least the given time. An entry gone from the stream is acknowledged as an orphan.

KEYS[1]   the stream
KEYS[2]   the dead-letter stream (same slot as the stream; the caller checks)
ARGV[1]   consumer group
ARGV[2]   dlq.at, epoch ms
ARGV[3..] per entry, 9 values: id, expected owner, expected deliveries, min idle ms,
          dlq.consumer, dlq.deliveries, dlq.idle_ms, dlq.reason, dlq.error

Reply: { status, ... } one per entry: 1 dead-lettered and acked, 2 orphaned, 0 skipped
]]
local stream, dlq, group, at = KEYS[1], KEYS[2], ARGV[1], ARGV[2]

local statuses = {}
for i = 3, #ARGV, 9 do
  local id, owner, deliveries, minIdle = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local row = redis.call('XPENDING', stream, group, id, id, 1)[1]
  if row == nil or row[2] ~= owner or row[4] ~= deliveries or row[3] < minIdle then
    statuses[#statuses + 1] = 0
  else
    local entry = redis.call('XRANGE', stream, id, id)[1]
    if entry == nil then
      statuses[#statuses + 1] = 2
    else
      local record = entry[2]
      local meta = { 'dlq.stream', stream, 'dlq.id', id, 'dlq.group', group, 'dlq.consumer', ARGV[i + 4],
        'dlq.deliveries', ARGV[i + 5], 'dlq.idle_ms', ARGV[i + 6], 'dlq.reason', ARGV[i + 7],
        'dlq.error', ARGV[i + 8], 'dlq.at', at }
      for _, v in ipairs(meta) do record[#record + 1] = v end
      redis.call('XADD', dlq, '*', unpack(record))
      statuses[#statuses + 1] = 1
    end
    redis.call('XACK', stream, group, id)
  end
end
return statuses
