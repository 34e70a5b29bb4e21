--[[
lib/retry: included (`--- @include "retry"`) by the scripts that decide whether an entry is due
(reclaim-page, claim-entries) or requeue it (reclaim-page, requeue-entries), so the retry policy
(docs/design.md, "Retry policy") is defined once for scripts; src/reclaim/retry.ts is the
client's twin (dry run), tested against this one.

A requeued copy carries two fields after the original's (whose own reclaim.* pairs it drops):
  reclaim.origin      the first ID of the chain (a copy of a copy keeps it)
  reclaim.deliveries  the deliveries so far: the original's plus every earlier copy's
]]
local RETRY_ORIGIN, RETRY_DELIVERIES = 'reclaim.origin', 'reclaim.deliveries'

-- Deliveries of earlier copies: the first reclaim.deliveries value. Anything but a decimal
-- integer of at most 15 digits (exact in a Lua number) is hostile input and counts as 0: the
-- entry's own count still bounds it by MAX_DELIVERIES, so it cannot loop for ever.
local function priorDeliveries(fields)
  for i = 1, #fields - 1, 2 do
    if fields[i] == RETRY_DELIVERIES then
      local v = fields[i + 1]
      if #v <= 15 and string.find(v, '^%d+$') then return tonumber(v) end
      return 0
    end
  end
  return 0
end

-- Due when idle at least min(minIdle × 2^(total−1), backoffMax), and never less than minIdle
-- (a ceiling below it changes nothing); backoffMax nil = off: minIdle.
local function isDue(idle, total, minIdle, backoffMax)
  local wait = minIdle
  if backoffMax ~= nil and total > 1 then
    wait = minIdle * 2 ^ (total - 1)
    if wait > backoffMax then wait = backoffMax end
    if wait < minIdle then wait = minIdle end
  end
  return idle >= wait
end

-- The copy: the entry's fields without reclaim.origin/reclaim.deliveries, then both, fresh.
local function requeueCopy(id, fields, total)
  local copy, origin = {}, nil
  for i = 1, #fields - 1, 2 do
    local name = fields[i]
    if name == RETRY_ORIGIN then
      origin = origin or fields[i + 1]
    elseif name ~= RETRY_DELIVERIES then
      copy[#copy + 1] = name
      copy[#copy + 1] = fields[i + 1]
    end
  end
  local n = #copy
  copy[n + 1], copy[n + 2], copy[n + 3], copy[n + 4] = RETRY_ORIGIN, origin or id, RETRY_DELIVERIES, string.format('%d', total)
  return copy
end
