-- Moves due retries from the sorted set back to the deliveries stream, atomically:
-- a member is either still in the set or already in the stream, never neither.
-- KEYS[1] retries sorted set, KEYS[2] deliveries stream
-- ARGV[1] now (ms), ARGV[2] max members to move in one call
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do
  -- No MAXLEN here: trimming could drop unread entries. The worker trims acked
  -- entries separately (worker/stream-trim.ts).
  redis.call('XADD', KEYS[2], '*', 'd', id)
end
if #due > 0 then
  redis.call('ZREM', KEYS[1], unpack(due))
end
return #due
