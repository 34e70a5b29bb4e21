--[[
dead-letter-commit: the second half of dead-lettering an entry whose record is too long for one
call from Lua (src/redis/wide.ts). The client sends, in one MULTI:
  XADD <dead-letter stream> * <record>      (no argument limit outside Lua)
  EVAL dead-letter-commit                    (this script)
Nothing runs between the two. This script finds the record the XADD just appended (the last
entry of the dead-letter stream), then applies the fence: if it holds, the entry is
acknowledged; if the entry was taken over meanwhile, or is gone, the record is deleted again
(XDEL), so a record exists exactly when its entry was acknowledged by this step.

KEYS[1]  the stream
KEYS[2]  the dead-letter stream (same slot)
ARGV[1]  consumer group
ARGV[2]  entry id
ARGV[3]  expected owner          ARGV[4] expected deliveries   ARGV[5] min idle ms
ARGV[6]  record length (values)  ARGV[7] the record's dlq.at

Reply: 1 recorded and acked; 2 orphaned (gone from the stream: acked, record deleted);
  0 skipped (fence failed: record deleted); -1 the XADD did not append this record (it failed:
  nothing to undo, nothing acknowledged).

What can fail, and what then: the XADD (wrong type, maxmemory) fails alone inside the MULTI
and this script finds no record of its own: -1. XACK and XDEL are never refused.
]]
--- @include "record"
--- @include "fence"
local stream, dlq, group, id = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
local owner, deliveries, minIdle = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local length, at = tonumber(ARGV[6]), ARGV[7]

local last = redis.call('TYPE', dlq)['ok'] == 'stream' and redis.call('XREVRANGE', dlq, '+', '-', 'COUNT', 1)[1]
if not last then return -1 end
local record = last[2]
-- The record's dlq.id and dlq.at pin it to this request.
if #record ~= length or record[metaStart(length)] ~= RECORD_META[1] or metaValue(record, 2) ~= id or metaValue(record, 9) ~= at then
  return -1
end

return commitFenced(stream, group, id, owner, deliveries, minIdle, dlq, last[1])
