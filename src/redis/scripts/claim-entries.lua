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
ARGV[7..] entry IDs found idle by the PEL scan, in any order

Reply: { claimed, orphaned, skipped, deferred, over }, each in the order of ARGV
  claimed  = { { id, deliveries, { field, value, ... } }, ... }
  orphaned = { id, ... }   gone from the stream; no longer pending
  skipped  = { id, ... }   still in the stream, but not idle any more or no longer pending
  deferred = { id, ... }   idle, not yet due under backoff: untouched
  over     = { { id, owner, deliveries, idle ms, total }, ... } at the limit: untouched

The rows and bodies are read for all IDs at once (lib/id-window); each decision is the one a
lookup of that ID alone at its turn would give, since deciding on one ID changes only that ID. An
ID listed again is looked up again at its turn, after the claims before it are made.

What can fail, and what then: the stream missing or of another type, or the group missing,
fails the first XPENDING, before any write. Later commands name the same key and group, and
XCLAIM and XACK are never refused for memory; a wide entry's body only travels in the reply.
]]
--- @include "retry"
--- @include "slices"
--- @include "id-window"
local call = redis.call
local stream, group, consumer, minIdle = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
local maxDeliveries, backoffMax, claim = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == 'claim'
local FIRST_ID = 7

-- Claims to make, grouped by the delivery count each produces: one XCLAIM per group and slice
-- sets it with RETRYCOUNT (JUSTID: the body is already here, and a claim without RETRYCOUNT
-- would not count). The count is the scan's plus one, exact: it is below MAX_DELIVERIES (< 2^53).
local toClaim, counts = {}, {}
local function flushClaims()
  for _, n in ipairs(counts) do
    local ids = toClaim[n]
    local retry = string.format('%d', n)
    for s = 1, #ids, ID_SLICE do
      local args = { stream, group, consumer, ARGV[3] }
      for j = s, math.min(s + ID_SLICE - 1, #ids) do args[#args + 1] = ids[j] end
      args[#args + 1], args[#args + 2], args[#args + 3] = 'RETRYCOUNT', retry, 'JUSTID'
      call('XCLAIM', unpack(args))
    end
  end
  toClaim, counts = {}, {}
end
local function queueClaim(id, deliveries)
  local ids = toClaim[deliveries]
  if ids == nil then
    ids = {}
    toClaim[deliveries] = ids
    counts[#counts + 1] = deliveries
  end
  ids[#ids + 1] = id
end

local window = idWindow(stream, group, FIRST_ID)
local seen = {}
local claimed, orphaned, skipped, deferred, over = {}, {}, {}, {}, {}
for i = FIRST_ID, #ARGV do
  local id = ARGV[i]
  local row, fields
  if window ~= nil and not seen[id] then
    seen[id] = true
    row, fields = window.row(id), window.body(id)
  else
    -- Listed again (or spelled unlike Redis): this ID's state now, after the claims before it.
    flushClaims()
    row = call('XPENDING', stream, group, id, id, 1)[1]
    local entry = call('XRANGE', stream, id, id)[1]
    fields = entry and entry[2]
  end
  if fields == nil then
    call('XACK', stream, group, id)
    orphaned[#orphaned + 1] = id
  elseif row == nil or row[3] < minIdle then
    skipped[#skipped + 1] = id
  else
    local total = row[4] + priorDeliveries(fields)
    if total >= maxDeliveries then
      over[#over + 1] = { id, row[2], row[4], row[3], total }
    elseif not claim then
      -- dead-letter-only: neither claimed nor counted
    elseif not isDue(row[3], total, minIdle, backoffMax) then
      deferred[#deferred + 1] = id
    else
      -- Idle checked above in this same atomic step, so the claim cannot refuse it.
      queueClaim(id, row[4] + 1)
      claimed[#claimed + 1] = { id, row[4] + 1, fields }
    end
  end
end
flushClaims()

return { claimed, orphaned, skipped, deferred, over }
