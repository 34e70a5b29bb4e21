--[[
reclaim-batch: the built-in hash writer's fast path. For one scanned PEL page, atomically:
dead-letter entries at the delivery limit, claim the others if still idle, dead-letter claimed
entries without the key field, write each remaining entry's hash and acknowledge it. Entries
gone from the stream are acknowledged as orphans. Atomic per page, so no fence is needed
between claim and settle; the dead-letter fence (owner, count, idle) guards the unclaimed ones.

Hash keys are derived here (prefix .. key value): they cannot be passed as KEYS because the
key values are only known once the entries are read. When ARGV[8] is '1' (cluster), the script
first checks that the prefix carries the stream's hash tag, so every derived key is in the
stream's slot; the caller (src/keys.ts) checks the same before choosing this path.

KEYS[1]   the stream
KEYS[2]   the dead-letter stream (same slot as the stream)
ARGV[1]   consumer group
ARGV[2]   consumer name the reclaimer claims as
ARGV[3]   minimum idle time, ms
ARGV[4]   MAX_DELIVERIES
ARGV[5]   hash key prefix
ARGV[6]   key field name ('' = the entry ID names the hash)
ARGV[7]   dlq.at, epoch ms
ARGV[8]   '1' to check the prefix's hash tag (cluster), else '0'
ARGV[9..] per scanned entry, 4 values: id, owner, delivery count, idle ms (as the scan saw them)

Reply: { claimed, processed, deadLettered, orphaned, skipped }
]]
local stream, dlq = KEYS[1], KEYS[2]
local group, consumer, minIdle = ARGV[1], ARGV[2], tonumber(ARGV[3])
local maxDeliveries, prefix, keyField, at = tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
local CHUNK = 500

local function tag(key)
  local open = string.find(key, '{', 1, true)
  if not open then return nil end
  local close = string.find(key, '}', open + 1, true)
  if not close or close == open + 1 then return nil end
  return string.sub(key, open + 1, close - 1)
end
if ARGV[8] == '1' and (tag(stream) == nil or tag(prefix) ~= tag(stream)) then
  return redis.error_reply('ERR reclaim-batch: hash key prefix does not carry the stream hash tag')
end

local claimed, processed, deadLettered, orphaned, skipped = 0, 0, 0, 0, 0
local scan = {}

local function deadLetter(id, fields, s, reason)
  local meta = { 'dlq.stream', stream, 'dlq.id', id, 'dlq.group', group, 'dlq.consumer', s.owner,
    'dlq.deliveries', s.count, 'dlq.idle_ms', s.idle, 'dlq.reason', reason, 'dlq.error', '', 'dlq.at', at }
  for _, v in ipairs(meta) do fields[#fields + 1] = v end
  redis.call('XADD', dlq, '*', unpack(fields))
  redis.call('XACK', stream, group, id)
  deadLettered = deadLettered + 1
end

local function keyFor(id, fields)
  if keyField == '' then return prefix .. id end
  for i = 1, #fields - 1, 2 do
    if fields[i] == keyField then return prefix .. fields[i + 1] end
  end
  return nil
end

-- Over the limit: fenced on what the scan saw (nobody else has claimed it since).
local toClaim = {}
for i = 9, #ARGV, 4 do
  local s = { id = ARGV[i], owner = ARGV[i + 1], count = ARGV[i + 2], idle = ARGV[i + 3] }
  scan[s.id] = s
  if tonumber(s.count) >= maxDeliveries then
    local row = redis.call('XPENDING', stream, group, s.id, s.id, 1)[1]
    if row == nil or row[2] ~= s.owner or row[4] ~= tonumber(s.count) or row[3] < minIdle then
      skipped = skipped + 1
    else
      local entry = redis.call('XRANGE', stream, s.id, s.id)[1]
      if entry == nil then
        redis.call('XACK', stream, group, s.id)
        orphaned = orphaned + 1
      else
        deadLetter(s.id, entry[2], s, 'max-deliveries')
      end
    end
  else
    toClaim[#toClaim + 1] = s.id
  end
end

local seen = {}
for first = 1, #toClaim, CHUNK do
  local reply = redis.call('XCLAIM', stream, group, consumer, minIdle, unpack(toClaim, first, math.min(first + CHUNK - 1, #toClaim)))
  for _, entry in ipairs(reply) do
    if entry then -- 6.x: nil for a deleted entry, found below
      local id, fields = entry[1], entry[2]
      seen[id] = true
      claimed = claimed + 1
      local key = keyFor(id, fields)
      if key == nil then
        deadLetter(id, fields, scan[id], 'missing-key-field')
      else
        for from = 1, #fields, CHUNK * 2 do
          redis.call('HSET', key, unpack(fields, from, math.min(from + CHUNK * 2 - 1, #fields)))
        end
        redis.call('XACK', stream, group, id)
        processed = processed + 1
      end
    end
  end
end

for _, id in ipairs(toClaim) do
  if not seen[id] then
    if #redis.call('XRANGE', stream, id, id) == 0 then
      redis.call('XACK', stream, group, id)
      orphaned = orphaned + 1
    else
      skipped = skipped + 1
    end
  end
end

return { claimed, processed, deadLettered, orphaned, skipped }
