--[[
lib/fence: the check every fenced script makes before it settles an entry (docs/design.md §2,
"Settling is fenced"). Every reclaimer claims under the same name, so the owner alone cannot
tell two overlapping runs apart; the delivery count a run's own claim produced can.
]]

-- The entry's PEL row { id, owner, idle ms, deliveries } when it is still pending, owned by
-- `owner`, with exactly `deliveries` deliveries and idle at least `minIdle` ms; else nil.
local function fenced(stream, group, id, owner, deliveries, minIdle)
  local row = redis.call('XPENDING', stream, group, id, id, 1)[1]
  if row ~= nil and row[2] == owner and row[4] == deliveries and row[3] >= minIdle then return row end
  return nil
end
