--[[
delete-idle-consumer: delete a consumer from a group only if, at this instant, it has no pending
entries and has been idle longer than the threshold, and it is not the protected consumer (the
reclaimer's own). XGROUP DELCONSUMER drops the consumer's pending entries, so the check and the
delete must be one atomic step: a consumer that read entries since the caller looked is kept.

KEYS[1]   the stream
ARGV[1]   consumer group
ARGV[2]   consumer to delete
ARGV[3]   idle threshold, ms: deleted only when the consumer's idle time is greater
ARGV[4]   protected consumer name, never deleted

Reply: 1 deleted; 0 kept (not found, has pending entries, not idle long enough, or protected)

What can fail, and what then: the stream or group failing XINFO CONSUMERS, before the one
write. XGROUP DELCONSUMER of a consumer just found cannot fail and is never refused for memory.
]]
local stream, group, name, threshold, protected = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
if name == protected then return 0 end

for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', stream, group)) do
  local info = {}
  for k = 1, #consumer, 2 do info[consumer[k]] = consumer[k + 1] end
  if info['name'] == name then
    if info['pending'] ~= 0 or info['idle'] <= threshold then return 0 end
    redis.call('XGROUP', 'DELCONSUMER', stream, group, name)
    return 1
  end
end
return 0
