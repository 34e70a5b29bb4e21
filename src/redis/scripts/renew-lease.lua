--[[
renew-lease: a consumer's keep-alive. Resets the idle time of the entries it still owns, without
raising their delivery count, so the reclaimer (which takes only entries idle past its
threshold) leaves them alone. The owner is checked and the entry renewed in this one atomic
step: a plain XCLAIM would take back an entry the reclaimer has already claimed.

An ID is renewed only when it is pending in the group, owned by ARGV[2], and its entry is still
in the stream. A deleted or trimmed entry (an orphan) is left as it is and not returned: XCLAIM
would renew it on 6.x and silently drop it from the PEL on 7.0+, while the reclaimer's job is to
clear and count it.

KEYS[1]   the stream
ARGV[1]   consumer group
ARGV[2]   the consumer whose lease is renewed
ARGV[3..] entry IDs, full `ms-seq` form, no duplicates (the caller validates and slices them)

Reply: { id, ... } the IDs renewed, in the order given.

What can fail, and what then:
- the key is missing: error 'NOSTREAM ...'; of another type: error 'WRONGTYPE ...'; checked first.
- the group is missing: the first XPENDING fails (NOGROUP).
All of these come before the one kind of write, XCLAIM, which names the same key and group,
claims only IDs just found pending and owned, and is never refused for memory.
JUSTID is what keeps the delivery count (Redis 6.0 to 8.x, Valkey 8 and 9; tested on each).

Self-contained, with no `--- @include`: docs/operations.md hands this body to consumers in
other languages to send with EVAL as it is.
]]
local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local CHUNK = 500 -- keeps unpack() far below Lua's C-stack limit

local kind = redis.call('TYPE', stream)['ok']
if kind == 'none' then
  return redis.error_reply('NOSTREAM no such stream')
elseif kind ~= 'stream' then
  return redis.error_reply('WRONGTYPE the key holds a ' .. kind .. ', not a stream')
end

local owned = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local row = redis.call('XPENDING', stream, group, id, id, 1)[1]
  -- XRANGE, not XCLAIM, tells an orphan apart (see above).
  if row ~= nil and row[2] == consumer and #redis.call('XRANGE', stream, id, id) == 1 then
    owned[#owned + 1] = id
  end
end

local renewed = {}
for first = 1, #owned, CHUNK do
  local args = { stream, group, consumer, 0 }
  for i = first, math.min(first + CHUNK - 1, #owned) do args[#args + 1] = owned[i] end
  args[#args + 1] = 'JUSTID'
  for _, id in ipairs(redis.call('XCLAIM', unpack(args))) do renewed[#renewed + 1] = id end
end
return renewed
