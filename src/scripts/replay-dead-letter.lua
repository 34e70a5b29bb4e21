--[[
replay-dead-letter: put dead-letter records back on their source stream and delete them,
atomically. The original fields are the record minus its last nine field pairs (the dlq.*
metadata, stripped by position, so original fields named `dlq.*` and duplicate names survive);
they are added to the source stream unchanged and in order, under a new ID.

KEYS[1]   the dead-letter stream
KEYS[2]   the source stream (same slot as KEYS[1]; the caller checks); each record's
          dlq.stream must name it
ARGV[1..] record IDs in the dead-letter stream

Reply: one per ID, in order: the new entry ID on the source stream; 0 when the record is gone
(already replayed or purged); -1 when it is not a dead-letter record of KEYS[2] (no original
fields, the metadata names are not the nine expected ones, or dlq.stream differs) and was left
untouched.
]]
local dlq, source = KEYS[1], KEYS[2]
local META = { 'dlq.stream', 'dlq.id', 'dlq.group', 'dlq.consumer', 'dlq.deliveries', 'dlq.idle_ms',
  'dlq.reason', 'dlq.error', 'dlq.at' }

local replies = {}
for i = 1, #ARGV do
  local entry = redis.call('XRANGE', dlq, ARGV[i], ARGV[i])[1]
  if entry == nil then
    replies[i] = 0
  else
    local fields = entry[2]
    local first = #fields - 17 -- index of the name `dlq.stream` in the metadata block
    local ok = first >= 3 and fields[first + 1] == source
    for k = 1, 9 do
      if ok and fields[first + 2 * (k - 1)] ~= META[k] then ok = false end
    end
    if not ok then
      replies[i] = -1
    else
      local original = {}
      for j = 1, first - 1 do original[j] = fields[j] end
      replies[i] = redis.call('XADD', source, '*', unpack(original))
      redis.call('XDEL', dlq, ARGV[i])
    end
  end
end
return replies
