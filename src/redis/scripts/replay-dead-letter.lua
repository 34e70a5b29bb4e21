--[[
replay-dead-letter: put dead-letter records back on their source stream and delete them,
atomically. The original fields are the record minus its last nine field pairs (the dlq.*
metadata of lib/record, stripped by position, so original fields named `dlq.*` and duplicate
names survive); they are added to the source stream unchanged and in order, under a new ID.

KEYS[1]   the dead-letter stream
KEYS[2]   the source stream (same slot as KEYS[1]; the caller checks); each record's
          dlq.stream must name it
ARGV[1..] record IDs in the dead-letter stream

Reply: one per ID, in order (src/redis/script-status.ts names the codes): the new entry ID on the source
stream; 0 when the record is gone (already replayed or purged); -1 when it is not a dead-letter
record of KEYS[2] (no original fields, the metadata names are not the nine expected ones, or
dlq.stream differs) and was left untouched; -2 when its original fields are too many for one
call from Lua: left untouched for the caller's MULTI (src/redis/wide.ts).

What can fail, and what then:
- the dead-letter key is not a stream: the first XRANGE; nothing written.
- the source key holds another type: checked first; error 'WRONGTYPE source key ...'.
- maxmemory (noeviction): only a script's first write is refused (an XADD; XDEL never is): that
  error is returned with nothing written.
]]
--- @include "record"
--- @include "guards"
local dlq, source = KEYS[1], KEYS[2]

if not isStreamOrNone(source) then
  return redis.error_reply('WRONGTYPE source key holds another type (expected a stream)')
end

local replies, wrote = {}, false
for i = 1, #ARGV do
  local entry = redis.call('XRANGE', dlq, ARGV[i], ARGV[i])[1]
  if entry == nil then
    replies[i] = 0
  else
    local fields = entry[2]
    local first = metaStart(#fields)
    local ok = first >= 3 and fields[first + 1] == source
    for k = 1, 9 do
      if ok and fields[first + 2 * (k - 1)] ~= RECORD_META[k] then ok = false end
    end
    if not ok then
      replies[i] = -1
    elseif not fitsOneCall(first - 1) then
      replies[i] = -2
    else
      local original = {}
      for j = 1, first - 1 do original[j] = fields[j] end
      local reply = redis.pcall('XADD', source, '*', unpack(original))
      if isError(reply) then
        -- Only a first write can be refused; the source key's type was checked above.
        if not wrote then return reply end
        replies[i] = -1
      else
        wrote = true
        replies[i] = reply
        redis.call('XDEL', dlq, ARGV[i])
      end
    end
  end
end
return replies
