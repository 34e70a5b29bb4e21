--[[
lib/record: the dead-letter record's layout, defined once for every script that writes or reads
records (the client's twin: src/redis/record.ts).

The record (docs/design.md §5): the original fields, unchanged and in order, then exactly these
nine pairs, last, in this order.
]]
local RECORD_META = { 'dlq.stream', 'dlq.id', 'dlq.group', 'dlq.consumer', 'dlq.deliveries', 'dlq.idle_ms',
  'dlq.reason', 'dlq.error', 'dlq.at' }
-- Values the nine pairs add to a record.
local RECORD_META_VALUES = 18

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

-- Index, in a record of `length` values, of the name `dlq.stream`: where the metadata begins.
local function metaStart(length)
  return length - RECORD_META_VALUES + 1
end

-- The value of the k-th metadata pair (1 = dlq.stream ... 9 = dlq.at) of a record.
local function metaValue(record, k)
  return record[metaStart(#record) + 2 * k - 1]
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
