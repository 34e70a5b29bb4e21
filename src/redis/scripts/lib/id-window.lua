--[[
lib/id-window: read the pending rows and bodies of a list of entry IDs with one bounded ranged
XPENDING and one bounded ranged XRANGE over the list's span, instead of one lookup of each per
ID (each a seek into the PEL or into a listpack node, and a reply turned into Lua values).
Included by claim-entries.

The span may hold many entries that are not in the list (acknowledged ones between them, other
consumers' pending ones): each read is bounded to twice the list's length, and an ID past the
point a cut-short read reached is looked up on its own. An ID the read covered but did not
return is known to be absent (not pending, or gone from the stream).

The window is only an exact answer for IDs in Redis's own spelling (`ms-seq`, decimal, no
leading zeros, 64-bit): only those compare to the replies' IDs as strings. `idWindow` returns
nil for a list with any other spelling; the caller then reads each ID on its own.
]]
local ID_MAX_PART = '18446744073709551615'

-- A decimal part of a stream ID as Redis prints it: no leading zero, at most 2^64 - 1.
local function idPart(s)
  if s == '0' then return true end
  if not string.find(s, '^[1-9]%d*$') then return false end
  return #s < 20 or (#s == 20 and s <= ID_MAX_PART)
end

-- { ms, seq } as text, or nil when `id` is not in Redis's spelling.
local function parseId(id)
  local ms, seq = string.match(id, '^(%d+)%-(%d+)$')
  if ms == nil or not idPart(ms) or not idPart(seq) then return nil end
  return { ms, seq }
end

-- Canonical decimals order by length, then as text: exact at any size, no Lua number involved.
local function decimalLess(a, b)
  return #a < #b or (#a == #b and a < b)
end

local function idLess(a, b)
  if a[1] ~= b[1] then return decimalLess(a[1], b[1]) end
  return decimalLess(a[2], b[2])
end

-- One bounded ranged read; returns the rows by ID and where the read is known complete up to
-- (nil: the whole span).
local function rangedRead(reply, limit)
  local byId = {}
  for _, item in ipairs(reply) do byId[item[1]] = item end
  if #reply < limit then return byId, nil end
  return byId, parseId(reply[#reply][1])
end

--[[
The window over the IDs of ARGV[from..]: { row = function(id), body = function(id) }, or nil
(see above). row(id) is the XPENDING row, body(id) the fields, each nil when absent. Each
answer is as of the reads: the caller must not ask twice about an ID it has changed since.
]]
local function idWindow(stream, group, from)
  local parsed, distinct, lo, hi = {}, 0, nil, nil
  for i = from, #ARGV do
    local id = ARGV[i]
    if parsed[id] == nil then
      local p = parseId(id)
      if p == nil then return nil end
      parsed[id] = p
      distinct = distinct + 1
      if lo == nil or idLess(p, parsed[lo]) then lo = id end
      if hi == nil or idLess(parsed[hi], p) then hi = id end
    end
  end
  if distinct == 0 then return { row = function() return nil end, body = function() return nil end } end

  local limit = distinct * 2
  local rows, rowsTo = rangedRead(redis.call('XPENDING', stream, group, lo, hi, limit), limit)
  local entries, entriesTo = rangedRead(redis.call('XRANGE', stream, lo, hi, 'COUNT', limit), limit)

  return {
    row = function(id)
      local row = rows[id]
      if row == nil and rowsTo ~= nil and idLess(rowsTo, parsed[id]) then
        row = redis.call('XPENDING', stream, group, id, id, 1)[1]
      end
      return row
    end,
    body = function(id)
      local entry = entries[id]
      if entry == nil and entriesTo ~= nil and idLess(entriesTo, parsed[id]) then
        entry = redis.call('XRANGE', stream, id, id)[1]
      end
      return entry and entry[2]
    end,
  }
end
