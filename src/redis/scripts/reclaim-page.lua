--[[
reclaim-page: the built-in hash writer's fast path. Scans one page of the PEL and settles it in
the same atomic step: entries at the delivery limit are dead-lettered, the other idle entries
are written to their hash and acknowledged, those without the key field are dead-lettered,
those gone from the stream are acknowledged as orphans. Because the scan and the writes are one
atomic step, no other run can take an entry in between: no XCLAIM and no fence are needed, and
an entry's data never leaves the server.

Hash keys are derived here (prefix .. key value): they cannot be passed as KEYS because the key
values are only known once the entries are read. On a cluster the prefix must carry the
stream's hash tag, so every derived key is in the stream's slot: the caller checks that before
sending this script (src/redis/reclaim-page.ts; the rule's one definition is src/redis/keys.ts).

KEYS[1]  the stream
KEYS[2]  the dead-letter stream (same slot as the stream)
ARGV[1]  consumer group
ARGV[2]  minimum idle time, ms
ARGV[3]  MAX_DELIVERIES
ARGV[4]  hash key prefix
ARGV[5]  key field name ('' = the entry ID names the hash)
ARGV[6]  dlq.at, epoch ms
ARGV[7]  scan start: '-', '(<id>' (6.2+), or an inclusive ID (6.0)
ARGV[8]  page size
ARGV[9]  'idle' to filter with XPENDING IDLE (6.2+), 'filter' to filter here (6.0)
ARGV[10] RETRY_BACKOFF_MAX_SEC in ms, '' = off (lib/retry.lua: when an entry is due)
ARGV[11] RECLAIM_ACTION: 'process' (hash it), 'requeue' (a copy back on the stream, see
         lib/retry.lua), 'dead-letter-only' (only over-delivered entries and orphans are touched)

Deliveries that count (MAX_DELIVERIES, backoff, dlq.deliveries) are the entry's own plus its
`reclaim.deliveries` field (lib/retry.lua), read here from the entry itself.

Reply: { scanned, claimed, processed, deadLettered, orphaned, last, failed, wide, deferred, requeued }
  last     = the last ID the XPENDING page returned, or '' when the PEL is covered
  failed   = entries left pending because a write failed after this script's first write
             (cannot happen on Redis's documented semantics; counted rather than assumed)
  wide     = { { id, consumer, deliveries, idle ms, reason, error, total }, ... } entries to
             dead-letter (or, reason 'requeue', to requeue) whose record or copy is too long for
             one call from Lua, or whose delivery count is 2^53 or more (then `deliveries`
             and `total` are text, lib/record countReply): left pending, not acknowledged; the
             caller writes them in a MULTI (src/redis/wide.ts)
  deferred = idle entries not yet due under backoff: untouched
  requeued = entries whose copy was appended to the stream, acknowledged

What can fail, and what then:
- the stream is missing or not a stream, the group is missing: the first XPENDING; nothing written.
- the prefix lacks the stream's hash tag (cluster): the caller refuses before sending.
- the dead-letter key holds another type: checked before any write; error
  'WRONGTYPE dead-letter key ...'; nothing written.
- a hash key holds another type: that HSET fails alone (pcall, before it changes anything); the
  entry is dead-lettered with reason processing-error, dlq.error naming the key; the rest settles.
- maxmemory (noeviction): Redis refuses only a script's first write (HSET/XADD); that reply is
  returned as this script's error with nothing written. XACK is never refused.
- an entry too wide for one call: HSET is sliced; a record or copy too long for one XADD is
  left for the caller (wide).
- requeue: the copy's XADD goes to the stream itself (already proven a stream by XPENDING); only
  maxmemory can refuse it, as any first write.
]]
--- @include "record"
--- @include "guards"
--- @include "slices"
--- @include "retry"
local stream, dlq, group = KEYS[1], KEYS[2], ARGV[1]
local minIdle, maxDeliveries = tonumber(ARGV[2]), tonumber(ARGV[3])
local prefix, keyField, at = ARGV[4], ARGV[5], ARGV[6]
local start, count, mode = ARGV[7], tonumber(ARGV[8]), ARGV[9]
local backoffMax, action = tonumber(ARGV[10]), ARGV[11]
-- Locals: the loop over the page below is the hot path of a large backlog, and a global read
-- in a script costs a metamethod call (Redis protects the globals table).
local call, pcall, unpack, type = redis.call, redis.pcall, unpack, type


local page, rows
if mode == 'idle' then
  page = call('XPENDING', stream, group, 'IDLE', minIdle, start, '+', count)
  rows = page
else
  page = call('XPENDING', stream, group, start, '+', count)
  rows = {}
  for _, row in ipairs(page) do
    if row[3] >= minIdle then rows[#rows + 1] = row end
  end
end
local n = #rows

-- A crashed consumer's backlog is mostly contiguous in the stream: one ranged read over the
-- page is far cheaper than a lookup per ID (each seeks into a listpack node). Both lists are in
-- ID order, so the window is walked alongside the page; an ID the walk does not meet (others'
-- entries interleaved) is found in a map built only then, and one the window did not reach,
-- when it was cut short, is looked up on its own.
local window, windowFull = {}, false
if n > 0 then
  -- Twice the page: room for a backlog interleaved with others' entries, bounded for huge ones.
  local limit = n * 2
  window = call('XRANGE', stream, rows[1][1], rows[n][1], 'COUNT', limit)
  windowFull = #window == limit
end
local nextInWindow, bodies = 1, nil
local function body(id)
  local entry = window[nextInWindow]
  if entry ~= nil and entry[1] == id then
    nextInWindow = nextInWindow + 1
    return entry[2]
  end
  if bodies == nil then
    bodies = {}
    for _, e in ipairs(window) do bodies[e[1]] = e[2] end
  end
  local fields = bodies[id]
  if fields == nil and windowFull then
    local found = call('XRANGE', stream, id, id)[1]
    if found then fields = found[2] end
  end
  return fields
end

local function keyFor(id, fields)
  if keyField == '' then return prefix .. id end
  for i = 1, #fields - 1, 2 do
    if fields[i] == keyField then return prefix .. fields[i + 1] end
  end
  return nil
end

local scanned, claimed, processed, deadLettered, orphaned, failed = n, 0, 0, 0, 0, 0
local wide, wrote, refused, deferred, requeued = {}, false, nil, 0, 0

if n > 0 and not isStreamOrNone(dlq) then
  return redis.error_reply('WRONGTYPE dead-letter key holds another type (expected a stream)')
end

-- A guarded write's outcome: nil when it succeeded, else its error. An error that is not the
-- entry's own (its hash key's type) can only come before this script's first write (maxmemory
-- refuses only a first write): it becomes the script's error, with nothing changed.
-- (pcall is called inline by the callers: forwarding a vararg list would copy it once more.)
local function outcome(reply)
  if isError(reply) then
    if not wrote and not isWrongType(reply['err']) then refused = reply end
    return reply['err']
  end
  wrote = true
  return nil
end

-- 'ack' when recorded, 'wide' when too long for one call or its count too large for Lua to hold
-- exactly (lib/record: the client records it), 'failed'.
-- `total` is the record's dlq.deliveries: the entry's own count plus its reclaim.deliveries.
local function deadLetter(row, fields, total, reason, err)
  if not fitsOneCall(#fields + RECORD_META_VALUES) or not countExactInLua(total) then
    wide[#wide + 1] = { row[1], row[2], countReply(row[4]), row[3], reason, err, countReply(total) }
    return 'wide'
  end
  appendMeta(fields, stream, row[1], group, row[2], total, row[3], reason, err, at)
  if outcome(pcall('XADD', dlq, '*', unpack(fields))) ~= nil then return 'failed' end
  deadLettered = deadLettered + 1
  return 'ack'
end

local acks = {}
for i = 1, n do
  local row = rows[i]
  local id = row[1]
  local fields = body(id)
  local result = 'ack'
  local total = fields and row[4] + priorDeliveries(fields)
  if fields == nil then
    orphaned = orphaned + 1
  elseif total >= maxDeliveries then
    result = deadLetter(row, fields, total, 'max-deliveries', '')
  elseif action == 'dead-letter-only' then
    result = 'leave'
  elseif not isDue(row[3], total, minIdle, backoffMax) then
    deferred = deferred + 1
    result = 'leave'
  elseif action == 'requeue' then
    local copy = requeueCopy(id, fields, total)
    if not fitsOneCall(#copy) then
      wide[#wide + 1] = { id, row[2], row[4], row[3], 'requeue', '', total }
      result = 'wide'
    elseif outcome(pcall('XADD', stream, '*', unpack(copy))) ~= nil then
      result = 'failed'
    else
      requeued = requeued + 1
    end
  else
    claimed = claimed + 1
    local key = keyFor(id, fields)
    if key == nil then
      result = deadLetter(row, fields, total, 'missing-key-field', '')
    else
      -- Inline, not a function: this is the hot path (about 5% of the script's cost per call).
      local err, last = nil, #fields
      local reply = pcall('HSET', key, unpack(fields, 1, last <= HSET_SLICE and last or HSET_SLICE))
      -- HSET replies an integer, so a table is an error: outcome() tells which.
      if type(reply) == 'table' then
        err = outcome(reply)
      else
        wrote = true
        -- A very wide entry, in slices (Lua's call limit); the first slice proved the key a hash.
        if last > HSET_SLICE then hsetSlices(key, fields, HSET_SLICE + 1, last) end
        processed = processed + 1
      end
      if err ~= nil and refused == nil and isWrongType(err) then
        result = deadLetter(row, fields, total, 'processing-error', 'hash key `' .. key .. '` cannot be written: ' .. err)
      elseif err ~= nil then
        result = 'failed'
      end
    end
  end
  if refused ~= nil then return refused end
  if result == 'ack' then
    acks[#acks + 1] = id
  elseif result == 'failed' then
    failed = failed + 1
  end
end
ackSlices(stream, group, acks)

local last = ''
if #page == count then last = page[#page][1] end
return { scanned, claimed, processed, deadLettered, orphaned, last, failed, wide, deferred, requeued }
