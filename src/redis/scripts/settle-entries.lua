--[[
settle-entries: for each processed entry, atomically and only if the fence holds, write its hash
(when it has one) and acknowledge it. The fence: the entry is still pending, owned by the
reclaimer's consumer, with exactly the delivery count this run's claim produced. Otherwise a
later run has taken the entry over and this run leaves it alone (skipped).

KEYS[1]   the stream
KEYS[2..] hash keys (each passed by the caller, so a cluster client can check their slot)
ARGV[1]   consumer group
ARGV[2]   consumer name the reclaimer claims as
ARGV[3..] per entry: id, expected deliveries, key index into KEYS (0 = ack only),
          field count n, then n values (name, value, ...)

Reply: { statuses, errors } one of each per entry (src/redis/script-status.ts names the statuses):
  1 written and acked, 0 skipped (fence failed),
  3 its hash key holds another type: nothing written, not acked, errors[i] = Redis's error
    (the caller dead-letters it with reason processing-error),
  4 failed: its write failed after this script's first write (left pending; not expected)
  errors[i] is '' for every other status.

What can fail, and what then:
- the stream is not a stream, the group is missing: the first XPENDING; nothing written.
- a hash key of another type: its first HSET fails before changing anything (pcall); status 3.
- maxmemory (noeviction): only a script's first write is refused (an HSET; XACK never is): that
  error is returned with nothing written.
- a very wide entry: HSET in slices of 1,000 values (Lua's call limit); the first slice proves
  the key a hash, so a later slice cannot fail.
]]
--- @include "guards"
--- @include "fence"
--- @include "slices"
local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]

local statuses, errors, wrote, i = {}, {}, false, 3
while i <= #ARGV do
  local id, deliveries = ARGV[i], tonumber(ARGV[i + 1])
  local keyIndex, n = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local first, last = i + 4, i + 3 + n
  local status, err = 0, ''
  if fenced(stream, group, id, consumer, deliveries, 0) then
    status = 1
    if keyIndex > 0 and n > 0 then
      local reply = redis.pcall('HSET', KEYS[keyIndex], unpack(ARGV, first, math.min(first + HSET_SLICE - 1, last)))
      if isError(reply) then
        local own = isWrongType(reply['err'])
        if not own and not wrote then return reply end
        status, err = own and 3 or 4, reply['err']
      else
        hsetSlices(KEYS[keyIndex], ARGV, first + HSET_SLICE, last)
      end
    end
    if status == 1 then
      redis.call('XACK', stream, group, id)
      wrote = true
    end
  end
  statuses[#statuses + 1] = status
  errors[#errors + 1] = err
  i = first + n
end
return { statuses, errors }
