--[[
The reference for test/integration/claim-window.test.ts: claim-entries.lua as it was before it
read its IDs with ranged commands (lib/id-window), one XPENDING and one XRANGE per ID, in the
order given. The script in src/ must decide exactly as this one does on every state; it is kept
here, unchanged but for this header, as the oracle. Same KEYS, ARGV and reply as the real one.
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
