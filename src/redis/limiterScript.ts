/**
 * The Lua script behind the Redis rate limiter: one EVALSHA per decision. All the state of one key
 * lives in one hash `{prefix:key}:limiter` (one cluster slot, one TTL):
 *
 * - `t:<limit>` tokens (may be negative: debt after a lease adjusted upwards), `u:<limit>` last refill
 *   time (rolling) or start of the window the tokens belong to (fixed);
 * - `cd` cooldown until (epoch ms);
 * - `pr`, `pb`, `pt`, `pu` the adaptive pacing bucket set by `setRate`: rate/s, burst, tokens, updated;
 * - `nx` earliest next admission (`minInterval`, proactive throttling).
 *
 * Time is always Redis server time (`TIME`), so workers with skewed clocks agree. Fixed windows are
 * aligned to a time zone, which Lua cannot compute: the client sends the start/end of the window it
 * believes current (from its estimate of the server clock) and the script answers `stale` with the
 * server time when that guess is wrong (only near a boundary), so the client recomputes and retries.
 *
 * ARGV: op, n, then 8 per limit (name, capacity, refillAmount, periodMs, fixed 0/1, windowStart,
 * windowEnd, cost-or-delta), then the op's own arguments.
 *
 * Replies (numbers as strings to keep fractions):
 * - acquire: `{"ok", now, ttl}` | `{"wait", now, waitMs, violated...}` | `{"stale", now}`
 * - adjust: `{"ok", now, ttl}` | `{"stale", now}`
 * - peek: `{"peek", now, cd, pr, tokens...}` | `{"stale", now}`
 * - cooldown: `{"ok", now, until}`; rate: `{"ok", now}`
 *
 * @since 0.1.0
 * @internal
 */
import { script } from "./Redis.js"

const lua = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local key = KEYS[1]
local op = ARGV[1]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local n = tonumber(ARGV[2])
local base = 3 + 8 * n

local fields = {}
for i = 0, n - 1 do
  local name = ARGV[3 + 8 * i]
  fields[2 * i + 1] = 't:' .. name
  fields[2 * i + 2] = 'u:' .. name
end
local e = 2 * n
fields[e + 1] = 'cd'
fields[e + 2] = 'pr'
fields[e + 3] = 'pb'
fields[e + 4] = 'pt'
fields[e + 5] = 'pu'
fields[e + 6] = 'nx'
local vals = redis.call('HMGET', key, unpack(fields))

local tokens = {}
local updated = {}
local stale = false
for i = 0, n - 1 do
  local o = 3 + 8 * i
  local cap = tonumber(ARGV[o + 1])
  local amt = tonumber(ARGV[o + 2])
  local per = tonumber(ARGV[o + 3])
  local tk = tonumber(vals[2 * i + 1])
  local up = tonumber(vals[2 * i + 2])
  if ARGV[o + 4] == '1' then
    local ws = tonumber(ARGV[o + 5])
    local we = tonumber(ARGV[o + 6])
    if now < ws or now >= we then stale = true end
    if tk == nil then
      tk = cap
    elseif up == nil or up < ws then
      local passed = math.max(1, math.floor((ws - up) / per + 0.5))
      tk = math.min(cap, tk + cap * passed)
    end
    up = ws
  else
    if tk == nil or up == nil then
      tk = cap
      up = now
    elseif now > up then
      tk = math.min(cap, tk + (now - up) * amt / per)
      up = now
    end
  end
  tokens[i] = tk
  updated[i] = up
end
if stale and (op == 'acquire' or op == 'adjust' or op == 'peek') then
  return {'stale', tostring(now)}
end

local cd = tonumber(vals[e + 1])
local pr = tonumber(vals[e + 2])
local pb, pt
if pr then
  pb = tonumber(vals[e + 3]) or 1
  pt = tonumber(vals[e + 4]) or pb
  local pu = tonumber(vals[e + 5]) or now
  if now > pu then pt = math.min(pb, pt + (now - pu) * pr / 1000) end
end
local nx = tonumber(vals[e + 6])

local function ttl_for_limits()
  local ttl = 0
  for i = 0, n - 1 do
    local o = 3 + 8 * i
    local cap = tonumber(ARGV[o + 1])
    local per = tonumber(ARGV[o + 3])
    local tk = tokens[i]
    local need
    if ARGV[o + 4] == '1' then
      need = tonumber(ARGV[o + 6]) - now
      if tk < 0 then need = need + math.ceil(-tk / cap) * per end
    else
      need = (cap - tk) * per / tonumber(ARGV[o + 2])
    end
    if need > ttl then ttl = need end
  end
  return ttl
end

local function write_limits(set)
  for i = 0, n - 1 do
    local name = ARGV[3 + 8 * i]
    set[#set + 1] = 't:' .. name
    set[#set + 1] = tostring(tokens[i])
    set[#set + 1] = 'u:' .. name
    set[#set + 1] = tostring(updated[i])
  end
  return set
end

local function expire(ttl, margin)
  local current = redis.call('PTTL', key)
  local want = math.ceil(ttl + margin)
  if current > want then want = current end
  redis.call('PEXPIRE', key, want)
  return want
end

if op == 'acquire' then
  local min_delay = tonumber(ARGV[base])
  local margin = tonumber(ARGV[base + 1])
  local rate_ttl = tonumber(ARGV[base + 2])
  local threshold = tonumber(ARGV[base + 3])
  local wait = 0
  local violated = {}
  for i = 0, n - 1 do
    local o = 3 + 8 * i
    local cost = tonumber(ARGV[o + 7])
    if cost > 0 and tokens[i] + tonumber(ARGV[o + 1]) * 1e-9 < cost then
      local w
      if ARGV[o + 4] == '1' then
        local cap = tonumber(ARGV[o + 1])
        w = (tonumber(ARGV[o + 6]) - now) + (math.ceil((cost - tokens[i]) / cap) - 1) * tonumber(ARGV[o + 3])
      else
        w = (cost - tokens[i]) * tonumber(ARGV[o + 3]) / tonumber(ARGV[o + 2])
      end
      if w > wait then wait = w end
      violated[#violated + 1] = ARGV[o]
    end
  end
  if cd and cd > now then
    if cd - now > wait then wait = cd - now end
    violated[#violated + 1] = 'cooldown'
  end
  if pr and pt < 1 then
    local w = (1 - pt) * 1000 / pr
    if w > wait then wait = w end
    violated[#violated + 1] = 'adaptive'
  end
  if nx and nx > now then
    if nx - now > wait then wait = nx - now end
    violated[#violated + 1] = 'pacing'
  end
  if #violated > 0 then
    local reply = {'wait', tostring(now), tostring(wait)}
    for i = 1, #violated do reply[#reply + 1] = violated[i] end
    return reply
  end
  -- Pause before the next admission: minInterval, and proactive throttling past the threshold (the
  -- remaining tokens are spread until the bucket is full again / the window resets).
  local gap = min_delay
  for i = 0, n - 1 do
    local o = 3 + 8 * i
    local cost = tonumber(ARGV[o + 7])
    local before = tokens[i]
    if threshold >= 0 and cost > 0 then
      local cap = tonumber(ARGV[o + 1])
      if before - cost < (1 - threshold) * cap then
        local g
        if ARGV[o + 4] == '1' then
          local left = tonumber(ARGV[o + 6]) - now
          if before <= 0 then g = left else g = cost * left / before end
        else
          local missing = cap - math.max(0, before)
          g = cost * missing * tonumber(ARGV[o + 3]) / (tonumber(ARGV[o + 2]) * cap)
        end
        if g > gap then gap = g end
      end
    end
    tokens[i] = before - cost
  end
  local set = write_limits({})
  local ttl = ttl_for_limits()
  if pr then
    set[#set + 1] = 'pt'
    set[#set + 1] = tostring(pt - 1)
    set[#set + 1] = 'pu'
    set[#set + 1] = tostring(now)
    if rate_ttl > ttl then ttl = rate_ttl end
  end
  if gap > 0 then
    set[#set + 1] = 'nx'
    set[#set + 1] = tostring(now + gap)
    if gap > ttl then ttl = gap end
  end
  if cd and cd - now > ttl then ttl = cd - now end
  if #set > 0 then
    redis.call('HSET', key, unpack(set))
    return {'ok', tostring(now), tostring(expire(ttl, margin))}
  end
  return {'ok', tostring(now), '0'}
end

if op == 'adjust' then
  local margin = tonumber(ARGV[base])
  for i = 0, n - 1 do
    local o = 3 + 8 * i
    local cap = tonumber(ARGV[o + 1])
    local tk = tokens[i] - tonumber(ARGV[o + 7])
    if tk > cap then tk = cap end
    tokens[i] = tk
  end
  if n == 0 then return {'ok', tostring(now), '0'} end
  redis.call('HSET', key, unpack(write_limits({})))
  return {'ok', tostring(now), tostring(expire(ttl_for_limits(), margin))}
end

if op == 'peek' then
  local reply = {'peek', tostring(now), tostring(cd or ''), tostring(pr or '')}
  for i = 0, n - 1 do reply[#reply + 1] = tostring(tokens[i]) end
  return reply
end

if op == 'cooldown' then
  local until_ms = now + tonumber(ARGV[base])
  local margin = tonumber(ARGV[base + 1])
  if cd and cd > until_ms then until_ms = cd end
  redis.call('HSET', key, 'cd', tostring(until_ms))
  expire(until_ms - now, margin)
  return {'ok', tostring(now), tostring(until_ms)}
end

if op == 'rate' then
  if ARGV[base] == '' then
    redis.call('HDEL', key, 'pr', 'pb', 'pt', 'pu')
    return {'ok', tostring(now)}
  end
  local rate = tonumber(ARGV[base])
  local burst = tonumber(ARGV[base + 1])
  local rate_ttl = tonumber(ARGV[base + 2])
  local tk = burst
  if pt and pt < burst then tk = pt end
  redis.call('HSET', key, 'pr', tostring(rate), 'pb', tostring(burst), 'pt', tostring(tk), 'pu', tostring(now))
  expire(rate_ttl, 0)
  return {'ok', tostring(now)}
end

return redis.error_reply('unknown op ' .. tostring(op))
`

/**
 * @since 0.1.0
 * @internal
 */
export const limiterScript = script("governor_limiter", lua)
