--[[
requeue-commit: the second half of requeueing an entry whose copy is too long for one call from
Lua (src/redis/wide.ts). The client sends, in one MULTI:
  XADD <stream> * <copy>      (no argument limit outside Lua)
  EVAL requeue-commit         (this script)
Nothing runs between the two. This script finds the copy the XADD just appended (the last entry
of the stream), then applies the fence: if it holds, the original is acknowledged; if it was
taken over meanwhile, or is gone, the copy is deleted again (XDEL), so a copy exists exactly
when its original was acknowledged by this step.

KEYS[1]  the stream
ARGV[1]  consumer group
ARGV[2]  entry id
ARGV[3]  expected owner          ARGV[4] expected deliveries   ARGV[5] min idle ms
ARGV[6]  copy length (values)    ARGV[7] the copy's reclaim.origin   ARGV[8] its reclaim.deliveries

Reply: 1 requeued; 2 orphaned (gone: acked, copy deleted); 0 skipped (fence failed: copy
  deleted); -1 the XADD did not append this copy (nothing to undo, nothing acknowledged).

What can fail, and what then: the XADD (maxmemory) fails alone inside the MULTI and this script
finds no copy of its own: -1. XACK and XDEL are never refused.
]]
--- @include "fence"
--- @include "retry"
local stream, group, id = KEYS[1], ARGV[1], ARGV[2]
local owner, deliveries, minIdle = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local length, origin, total = tonumber(ARGV[6]), ARGV[7], ARGV[8]

local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
if not last then return -1 end
local copy = last[2]
-- The copy ends with reclaim.origin, origin, reclaim.deliveries, total (lib/retry).
if #copy ~= length or copy[length] ~= total or copy[length - 2] ~= origin or copy[length - 3] ~= RETRY_ORIGIN then
  return -1
end

return commitFenced(stream, group, id, owner, deliveries, minIdle, stream, last[1])
