--[[
A Redis 6.0 stand-in for running the product's Lua scripts in a plain Lua 5.1 interpreter
(lua5.1, as embedded by Redis): the scripts' 6.0 decisions, with every call they make recorded,
beside the real 6.0 server the suite also runs on (REDIS_SERVER_BIN, docs/servers.md). 6.0
differs from 7.x where it matters: XCLAIM of a pending entry that was deleted from the stream still claims it
(moves it to the claimer's PEL, bumps its delivery count) and replies nil for it, which a
script sees as `false` in the reply array.

Usage: lua5.1 redis60-stub.lua <scenario.lua>
The scenario file returns { script = path, keys = {...}, argv = {...},
  entries = { { id, { field, value, ... } }, ... },        -- the stream, in ID order
  pel = { { id, owner, idle_ms, deliveries }, ... } }       -- the group's PEL
Prints one JSON object: { reply, pel, calls, added, hashes }.
]]
local scenario = dofile(arg[1])

local entries, pel, calls, added, hashes = {}, {}, {}, {}, {}
for _, e in ipairs(scenario.entries) do entries[e[1]] = e[2] end
for _, p in ipairs(scenario.pel) do pel[p[1]] = { owner = p[2], idle = p[3], count = p[4] } end

local function pelRow(id)
  local p = pel[id]
  if p == nil then return {} end
  return { { id, p.owner, p.idle, p.count } }
end

-- Stream IDs in ID order (ms, then seq, numerically); the test data's IDs are small.
local function idKey(id)
  local ms, seq = string.match(id, '^(.-)%-(.*)$')
  return tonumber(ms) or ms, tonumber(seq) or seq
end
local function idLess(a, b)
  local am, as = idKey(a)
  local bm, bs = idKey(b)
  if am ~= bm then return am < bm end
  return as < bs
end
-- The IDs of `set` from first to last inclusive, in ID order, at most `count`.
local function range(set, first, last, count)
  local ids = {}
  for id in pairs(set) do
    if not idLess(id, first) and not idLess(last, id) then ids[#ids + 1] = id end
  end
  table.sort(ids, idLess)
  while #ids > count do table.remove(ids) end
  return ids
end

local commands = {}
-- 6.0 form: XCLAIM key group consumer min-idle id... [RETRYCOUNT n] [JUSTID]
function commands.XCLAIM(_, _, consumer, minIdle, ...)
  local args, ids, retry, justId = { ... }, {}, nil, false
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == 'RETRYCOUNT' then retry, i = tonumber(args[i + 1]), i + 2
    elseif a == 'JUSTID' then justId, i = true, i + 1
    else ids[#ids + 1], i = a, i + 1 end
  end
  local reply = {}
  for _, id in ipairs(ids) do
    local p = pel[id]
    if p ~= nil and p.idle >= tonumber(minIdle) then
      p.owner, p.idle = consumer, 0
      if retry then p.count = retry elseif not justId then p.count = p.count + 1 end
      if justId then reply[#reply + 1] = id
      elseif entries[id] then reply[#reply + 1] = { id, entries[id] } else reply[#reply + 1] = false end
    end
  end
  return reply
end
-- Extended form: XPENDING key group start end count (6.0 has no IDLE, no exclusive ranges).
function commands.XPENDING(_, _, first, last, count)
  local rows = {}
  for _, id in ipairs(range(pel, first, last, tonumber(count))) do rows[#rows + 1] = pelRow(id)[1] end
  return rows
end
-- XRANGE key start end [COUNT n]
function commands.XRANGE(_, first, last, _, count)
  local reply = {}
  for _, id in ipairs(range(entries, first, last, tonumber(count) or math.huge)) do
    reply[#reply + 1] = { id, entries[id] }
  end
  return reply
end
function commands.XACK(_, _, id)
  if pel[id] then pel[id] = nil return 1 end
  return 0
end
function commands.XADD(key, _, ...)
  added[#added + 1] = { key, { ... } }
  return '0-' .. #added
end
function commands.HSET(key, ...)
  local h = hashes[key] or {}
  local args = { ... }
  for i = 1, #args, 2 do h[args[i]] = args[i + 1] end
  hashes[key] = h
  return #args / 2
end

redis = {
  call = function(name, ...)
    local fn = commands[string.upper(name)]
    assert(fn, 'stub: unsupported command ' .. name)
    calls[#calls + 1] = { name, ... }
    return fn(...)
  end,
  error_reply = function(message) return { err = message } end,
}

KEYS, ARGV = scenario.keys, scenario.argv
local reply = dofile(scenario.script)

local function encode(v)
  local t = type(v)
  if t == 'string' then return string.format('%q', v):gsub('\\\n', '\\n') end
  if t == 'number' or t == 'boolean' then return tostring(v) end
  if t == 'nil' then return 'null' end
  local parts = {}
  if next(v) == nil or v[1] ~= nil then
    for i = 1, #v do parts[#parts + 1] = encode(v[i]) end
    return '[' .. table.concat(parts, ',') .. ']'
  end
  local names = {}
  for k in pairs(v) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do parts[#parts + 1] = encode(k) .. ':' .. encode(v[k]) end
  return '{' .. table.concat(parts, ',') .. '}'
end

local rows = {}
for id, p in pairs(pel) do rows[#rows + 1] = { id, p.owner, p.idle, p.count } end
table.sort(rows, function(a, b) return a[1] < b[1] end)
print(encode({ reply = reply, pel = rows, calls = calls, added = added, hashes = hashes }))
