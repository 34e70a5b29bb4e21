--[[
lib/record: prepended by src/redis/scripts.ts to every script that writes or reads dead-letter
records, so the record layout and the write guards are defined once.

The record (docs/design.md): the original fields, unchanged and in order, then exactly these
nine pairs, last, in this order.
]]
local RECORD_META = { 'dlq.stream', 'dlq.id', 'dlq.group', 'dlq.consumer', 'dlq.deliveries', 'dlq.idle_ms',
  'dlq.reason', 'dlq.error', 'dlq.at' }

-- Most values one redis.call may pass. Lua hands at most ~8,000 values to a C function
-- (LUAI_MAXCSTACK); a longer XADD fails mid-script ("too many results to unpack"), so a longer
-- record is never attempted here: the script reports it and the client writes it in a MULTI
-- (src/redis/wide.ts). The margin leaves room for the command name, key and ID.
local MAX_CALL_VALUES = 7000

-- True when a record or entry of this many values fits one XADD from Lua.
local function fitsOneCall(values)
  return values + 3 <= MAX_CALL_VALUES
end

-- A delivery count is 64-bit, a Lua number a double: from 2^53 on, the count Lua holds is not the
-- one Redis has, so such a record is never written here. The script defers it to the client,
-- which reads the exact count (src/redis/exact-count.ts) and writes it as a wide record does.
local EXACT_LIMIT = 9007199254740992 -- 2^53
local function countExactInLua(deliveries)
  return deliveries < EXACT_LIMIT
end

-- A count as a reply value: beyond 2^53 as text with every digit of the double (Redis turns a
-- Lua number into a 64-bit integer reply, which 2^63 overflows).
local function countReply(deliveries)
  if countExactInLua(deliveries) then return deliveries end
  return string.format('%.17g', deliveries)
end

-- Appends the nine dlq.* pairs to `fields` (the original entry's fields, a fresh table).
local function appendMeta(fields, stream, id, group, consumer, deliveries, idleMs, reason, err, at)
  local values = { stream, id, group, consumer, deliveries, idleMs, reason, err, at }
  local n = #fields
  for k = 1, 9 do
    fields[n + 2 * k - 1] = RECORD_META[k]
    fields[n + 2 * k] = values[k]
  end
  return fields
end

-- True when `key` is missing or holds a stream. Checked before a script's first write: a key of
-- another type would fail an XADD after earlier writes, and Redis never rolls a script back.
local function isStreamOrNone(key)
  local t = redis.call('TYPE', key)['ok']
  return t == 'stream' or t == 'none'
end

-- True when `reply` (from redis.pcall) is an error reply.
local function isError(reply)
  return type(reply) == 'table' and reply['err'] ~= nil
end
