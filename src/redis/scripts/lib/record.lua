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
