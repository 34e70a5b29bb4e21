--[[
replay-commit: the second half of replaying a record whose original fields are too many for
one call from Lua (src/redis/wide.ts). The client sends, in one MULTI:
  XADD <source stream> * <original fields>   (no argument limit outside Lua)
  EVAL replay-commit                          (this script)
Nothing runs between the two. The new entry is the source stream's last; if the record is
still in the dead-letter stream it is deleted, else (replayed or purged meanwhile) the new
entry is deleted again, so an entry is replayed exactly once.

KEYS[1]  the dead-letter stream
KEYS[2]  the source stream (same slot)
ARGV[1]  record id
ARGV[2]  sha1 of the original values, each as `<byte length>:<bytes>`, concatenated: pins the
         new entry to this request (another entry could be last if the XADD failed)

Reply: the new entry ID; 0 when the record was gone (the new entry deleted again); -1 when the
XADD did not append the entry (it failed; nothing to undo).

What can fail, and what then: the XADD (wrong type, maxmemory) fails alone inside the MULTI
and this script finds no entry of its own: -1. XDEL is never refused.
]]
local dlq, source, recordId, digest = KEYS[1], KEYS[2], ARGV[1], ARGV[2]

local added = redis.call('TYPE', source)['ok'] == 'stream' and redis.call('XREVRANGE', source, '+', '-', 'COUNT', 1)[1]
if not added then return -1 end
local parts = {}
for j, v in ipairs(added[2]) do parts[j] = #v .. ':' .. v end
if redis.sha1hex(table.concat(parts)) ~= digest then return -1 end

if #redis.call('XRANGE', dlq, recordId, recordId) == 1 then
  redis.call('XDEL', dlq, recordId)
  return added[1]
end
redis.call('XDEL', source, added[1])
return 0
