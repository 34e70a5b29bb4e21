--[[
claim-entries: claim pending entries for the reclaimer, only those still idle at this instant and
due under the retry policy (lib/retry), and report the delivery count each claim produced (the
fence that settling checks later). Deleted or trimmed entries are cleared from the PEL
(acknowledged) and reported as orphaned. Entries whose deliveries that count (their own plus
their reclaim.deliveries, lib/retry) reach MAX_DELIVERIES are not claimed: they are reported
with the view this script had, for the caller to dead-letter fenced on it.

KEYS[1]   the stream
ARGV[1]   consumer group
ARGV[2]   consumer name the reclaimer claims as
ARGV[3]   minimum idle time, ms
ARGV[4]   MAX_DELIVERIES
ARGV[5]   RETRY_BACKOFF_MAX_SEC in ms, '' = off
ARGV[6]   'claim', or 'none' (RECLAIM_ACTION=dead-letter-only: orphans and over-delivered only)
ARGV[7..] entry IDs found idle by the PEL scan

Reply: { claimed, orphaned, skipped, deferred, over }
  claimed  = { { id, deliveries, { field, value, ... } }, ... }
  orphaned = { id, ... }   gone from the stream; no longer pending
  skipped  = { id, ... }   still in the stream, but not idle any more or no longer pending
  deferred = { id, ... }   idle, not yet due under backoff: untouched
  over     = { { id, owner, deliveries, idle ms, total }, ... } at the limit: untouched

What can fail, and what then: the stream missing or of another type, or the group missing,
fails the first XPENDING, before any write. Later commands name the same key and group, and
XCLAIM and XACK are never refused for memory; a wide entry's body only travels in the reply.
]]
--- @include "retry"
local stream, group, consumer, minIdle = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
local maxDeliveries, backoffMax, claim = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == 'claim'

local claimed, orphaned, skipped, deferred, over = {}, {}, {}, {}, {}
for i = 7, #ARGV do
  local id = ARGV[i]
  local row = redis.call('XPENDING', stream, group, id, id, 1)[1]
  local entry = redis.call('XRANGE', stream, id, id)[1]
  if entry == nil then
    redis.call('XACK', stream, group, id)
    orphaned[#orphaned + 1] = id
  elseif row == nil or row[3] < minIdle then
    skipped[#skipped + 1] = id
  else
    local total = row[4] + priorDeliveries(entry[2])
    if total >= maxDeliveries then
      over[#over + 1] = { id, row[2], row[4], row[3], total }
    elseif not claim then
      -- dead-letter-only: neither claimed nor counted
    elseif not isDue(row[3], total, minIdle, backoffMax) then
      deferred[#deferred + 1] = id
    else
      -- Idle checked above in this same atomic step, so the claim cannot refuse it; the count
      -- it produces is the scan's plus one (XCLAIM without RETRYCOUNT/JUSTID).
      redis.call('XCLAIM', stream, group, consumer, minIdle, id)
      claimed[#claimed + 1] = { id, row[4] + 1, entry[2] }
    end
  end
end

return { claimed, orphaned, skipped, deferred, over }
