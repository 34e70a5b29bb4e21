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

-- The second half of a MULTI the client wrote because Lua could not (src/redis/wide.ts): the
-- entry it just appended (`addedId` in `addedKey`: a record, or a requeued copy) stands exactly
-- when the original is acknowledged here. Fence fails: the added entry is deleted again (0). The
-- original is gone: deleted again, the orphan acknowledged (2). Else acknowledged (1).
local function commitFenced(stream, group, id, owner, deliveries, minIdle, addedKey, addedId)
  if not fenced(stream, group, id, owner, deliveries, minIdle) then
    redis.call('XDEL', addedKey, addedId)
    return 0
  end
  if #redis.call('XRANGE', stream, id, id) == 0 then
    redis.call('XDEL', addedKey, addedId)
    redis.call('XACK', stream, group, id)
    return 2
  end
  redis.call('XACK', stream, group, id)
  return 1
end
