--[[
seed-backlog (benchmark only): add `count` tweet-like entries (six fields) to the stream, read
them as consumer `crashed` without acking, and make them look abandoned: idle `idleMs`, every
`poisonEvery`-th at the delivery limit, every `deleteEvery`-th deleted while pending. Runs on
the server so the benchmark process's memory is not inflated by seeding.

KEYS[1]  the stream (its group must exist)
ARGV[1]  group
ARGV[2]  count
ARGV[3]  index of the first entry (names users and text)
ARGV[4]  poisonEvery (0 = none)
ARGV[5]  deleteEvery (0 = none)
ARGV[6]  MAX_DELIVERIES
ARGV[7]  idle ms

Reply: { added, poisoned, deleted }
]]
local stream, group = KEYS[1], ARGV[1]
local count, first = tonumber(ARGV[2]), tonumber(ARGV[3])
local poisonEvery, deleteEvery = tonumber(ARGV[4]), tonumber(ARGV[5])
local maxDeliveries, idle = ARGV[6], ARGV[7]

for i = first, first + count - 1 do
  redis.call('XADD', stream, '*', 'user', 'user' .. (i % 5000), 'text',
    'Tweet number ' .. i .. ': streams keep the pipeline moving, consumers come and go #redis',
    'lang', 'en', 'created_at', tostring(1700000000000 + i), 'likes', tostring(i % 313), 'retweets', tostring(i % 17))
end
local read = redis.call('XREADGROUP', 'GROUP', group, 'crashed', 'COUNT', count, 'STREAMS', stream, '>')[1][2]
local ids, poison, doomed = {}, {}, {}
for n, entry in ipairs(read) do
  local i = first + n - 1
  if deleteEvery > 0 and i % deleteEvery == deleteEvery - 1 then doomed[#doomed + 1] = entry[1]
  elseif poisonEvery > 0 and i % poisonEvery == poisonEvery - 1 then poison[#poison + 1] = entry[1]
  else ids[#ids + 1] = entry[1] end
end
local function backdate(list, extra)
  for from = 1, #list, 500 do
    local args = { 'XCLAIM', stream, group, 'crashed', 0 }
    for j = from, math.min(from + 499, #list) do args[#args + 1] = list[j] end
    args[#args + 1] = 'IDLE'; args[#args + 1] = idle
    for _, v in ipairs(extra) do args[#args + 1] = v end
    args[#args + 1] = 'JUSTID'
    redis.call(unpack(args))
  end
end
backdate(ids, {})
backdate(doomed, {})
backdate(poison, { 'RETRYCOUNT', maxDeliveries })
for from = 1, #doomed, 500 do redis.call('XDEL', stream, unpack(doomed, from, math.min(from + 499, #doomed))) end
return { #read, #poison, #doomed }
