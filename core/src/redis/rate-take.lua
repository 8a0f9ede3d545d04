-- One subscription's rate limit, a token bucket shared by every worker (worker/throttle.ts;
-- docs/delivery-control.md). Each request either takes a token now (answer 0) or is told
-- how many ms to wait. Time is Redis's own clock, so workers' clocks do not matter.
--
-- A fresh request that finds no token, or finds slots already given out, is given the
-- next free slot: the slots are spaced 1/rate apart and handed out in order (tat is the
-- first one still free), so a backlog comes back at the pace it may be sent, never all
-- at once, and new work never overtakes work already waiting.
-- A reserved request holds a slot given out before and has come back for it: it takes a
-- token before any fresh request does. If it came back late and the token is not there
-- yet (the next holder's), it waits for the next one without being given a new slot,
-- each such request in a call one interval after the other.
--
-- KEYS[1] the bucket (hash: tokens, ts = when tokens was computed, tat)
-- ARGV[1] rate (per second), ARGV[2] burst, ARGV[3] reserved requests, ARGV[4] fresh requests
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local interval = 1 / rate
local h = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'tat')
local tokens = tonumber(h[1]) or burst
local ts = tonumber(h[2]) or now
local tat = tonumber(h[3]) or now
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate) end

local out = {}
local short = 0
for _ = 1, tonumber(ARGV[3]) do
  if tokens >= 1 then
    tokens = tokens - 1
    out[#out + 1] = 0
  else
    out[#out + 1] = math.ceil((1 - tokens + short) * interval)
    short = short + 1
  end
end
for _ = 1, tonumber(ARGV[4]) do
  if tat <= now and short == 0 and tokens >= 1 then
    tokens = tokens - 1
    out[#out + 1] = 0
  else
    local slot = math.max(tat, now + (1 - tokens + short) * interval)
    tat = slot + interval
    out[#out + 1] = math.ceil(slot - now)
  end
end

redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now), 'tat', tostring(tat))
-- Once every slot is past and the bucket has refilled, a missing key means the same.
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(tat - now, 0) + burst * interval) + 60000)
return out
