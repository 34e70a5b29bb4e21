--[[
settle-entries: for each processed entry, atomically and only if the fence holds, write its hash
(when it has one) and acknowledge it. The fence: the entry is still pending, owned by the
reclaimer's consumer, with exactly the delivery count this run's claim produced. Otherwise a
later run has taken the entry over and this run leaves it alone (skipped).

KEYS[1]   the stream
KEYS[2..] hash keys (each passed by the caller, so a cluster client can check their slot)
ARGV[1]   consumer group
ARGV[2]   consumer name the reclaimer claims as
ARGV[3..] per entry: id, expected deliveries, key index into KEYS (0 = ack only),
          field count n, then n values (name, value, ...)

Reply: { status, ... } one per entry: 1 written and acked, 0 skipped (fence failed)
]]
local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local CHUNK = 1000

local function fenced(id, deliveries)
  local row = redis.call('XPENDING', stream, group, id, id, 1)[1]
  return row ~= nil and row[2] == consumer and row[4] == deliveries
end

local statuses, i = {}, 3
while i <= #ARGV do
  local id, deliveries = ARGV[i], tonumber(ARGV[i + 1])
  local keyIndex, n = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local first = i + 4
  if fenced(id, deliveries) then
    if keyIndex > 0 then
      for from = first, first + n - 1, CHUNK do
        redis.call('HSET', KEYS[keyIndex], unpack(ARGV, from, math.min(from + CHUNK - 1, first + n - 1)))
      end
    end
    redis.call('XACK', stream, group, id)
    statuses[#statuses + 1] = 1
  else
    statuses[#statuses + 1] = 0
  end
  i = first + n
end
return statuses
