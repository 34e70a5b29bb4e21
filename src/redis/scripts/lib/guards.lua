--[[
lib/guards: what a writing script checks before its first write, and the test of a
redis.pcall reply. Redis never rolls a script back, so nothing may be written before everything
that could fail a later command of the script is ruled out (docs/design.md §2).
]]

-- True when `key` is missing or holds a stream. Checked before a script's first write: a key of
-- another type would fail an XADD after earlier writes.
local function isStreamOrNone(key)
  local t = redis.call('TYPE', key)['ok']
  return t == 'stream' or t == 'none'
end

-- True when `reply` (from redis.pcall) is an error reply.
local function isError(reply)
  return type(reply) == 'table' and reply['err'] ~= nil
end

-- True when an error message is the entry's own: its key holds another type, so that one write
-- failed alone. Any other error (maxmemory) can only refuse a script's first write.
local function isWrongType(message)
  return string.sub(message, 1, 9) == 'WRONGTYPE'
end
