--[[
lib/slices: commands whose argument lists can be longer than Lua hands to one call (about
8,000 values, LUAI_MAXCSTACK), sent slice by slice.
]]

-- Field and value arguments per HSET (even: a pair is never cut).
local HSET_SLICE = 1000
-- Entry IDs per XACK or XCLAIM.
local ID_SLICE = 500

-- HSET `key` to values[from..last], slice by slice. The caller has sent the first slice itself
-- (guarded): it proved the key a hash, so these cannot fail on its type.
local function hsetSlices(key, values, from, last)
  for s = from, last, HSET_SLICE do
    redis.call('HSET', key, unpack(values, s, math.min(s + HSET_SLICE - 1, last)))
  end
end

-- XACK every ID of `ids`, slice by slice.
local function ackSlices(stream, group, ids)
  for s = 1, #ids, ID_SLICE do
    redis.call('XACK', stream, group, unpack(ids, s, math.min(s + ID_SLICE - 1, #ids)))
  end
end
