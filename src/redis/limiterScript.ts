/**
 * The Lua script behind the Redis rate limiter: one EVALSHA per decision. All the state of one key
 * is one MessagePack value under `{prefix:key}:limiter` (one cluster slot, one TTL, written with a
 * single `SET … PX`): per limit name `[tokens, updated]` (tokens may be negative: debt after a lease
 * adjusted upwards; `updated` is the last refill time, or the start of the fixed window the tokens
 * belong to), `cd` cooldown until, `pr`/`pb`/`pt`/`pu` the adaptive pacing bucket set by `setRate`
 * (rate/s, burst, tokens, updated), `nx` the earliest next admission (`minInterval`, proactive
 * throttling) and `x` when the key expires. A decision costs three commands inside Redis (TIME, GET,
 * SET), which keeps the script about as cheap as a plain counter script.
 *
 * Time is always Redis server time (`TIME`), so workers with skewed clocks agree (Redis >= 5, where
 * scripts replicate their effects). Fixed windows are aligned to a time zone, which Lua cannot
 * compute: the client sends the start/end of the window it believes current (from its estimate of
 * the server clock) and the script answers `stale` with the server time when that guess is wrong
 * (only near a boundary), so the client recomputes and asks again.
 *
 * ARGV: op, n, then 8 per limit (name, capacity, refillAmount, periodMs, fixed 0/1, windowStart,
 * windowEnd, cost-or-delta), then the op's own arguments.
 *
 * Replies (`now` in whole ms; fractional values as strings):
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
local key = KEYS[1]
local op = ARGV[1]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local n = tonumber(ARGV[2])
local base = 3 + 8 * n

local raw = redis.call('GET', key)
local st
if raw then st = cmsgpack.unpack(raw) else st = {} end
local ls = st.l
if ls == nil then
  ls = {}
  st.l = ls
end

-- Parse the limits once and bring every bucket up to now.
local name, cap, amt, per, fixed, ws, we, amount = {}, {}, {}, {}, {}, {}, {}, {}
local tokens, updated = {}, {}
local stale = false
for i = 1, n do
  local o = 3 + 8 * (i - 1)
  name[i] = ARGV[o]
  cap[i] = tonumber(ARGV[o + 1])
  amt[i] = tonumber(ARGV[o + 2])
  per[i] = tonumber(ARGV[o + 3])
  fixed[i] = ARGV[o + 4] == '1'
  amount[i] = tonumber(ARGV[o + 7])
  local b = ls[name[i]]
  local tk, up
  if b then
    tk = b[1]
    up = b[2]
  end
  if fixed[i] then
    ws[i] = tonumber(ARGV[o + 5])
    we[i] = tonumber(ARGV[o + 6])
    if now < ws[i] or now >= we[i] then stale = true end
    if tk == nil then
      tk = cap[i]
    elseif up == nil or up < ws[i] then
      local passed = math.max(1, math.floor((ws[i] - up) / per[i] + 0.5))
      tk = math.min(cap[i], tk + cap[i] * passed)
    end
    up = ws[i]
  else
    if tk == nil or up == nil then
      tk = cap[i]
      up = now
    elseif now > up then
      tk = math.min(cap[i], tk + (now - up) * amt[i] / per[i])
      up = now
    end
  end
  tokens[i] = tk
  updated[i] = up
end
if stale and (op == 'acquire' or op == 'adjust' or op == 'peek') then
  return {'stale', math.floor(now)}
end

local cd = st.cd
local pr = st.pr
local pt
if pr then
  pt = st.pt or st.pb
  if st.pu and now > st.pu then pt = math.min(st.pb, pt + (now - st.pu) * pr / 1000) end
end

-- Time until every bucket is full again (fixed: window end, later when in debt).
local function ttl_for_limits()
  local ttl = 0
  for i = 1, n do
    local need
    if fixed[i] then
      need = we[i] - now
      if tokens[i] < 0 then need = need + math.ceil(-tokens[i] / cap[i]) * per[i] end
    else
      need = (cap[i] - tokens[i]) * per[i] / amt[i]
    end
    if need > ttl then ttl = need end
  end
  return ttl
end

-- Store the state; the key lives until its last piece of state is no longer needed (never shorter
-- than an earlier write asked for: a call may not name every limit the key has).
local function save(ttl, margin)
  for i = 1, n do ls[name[i]] = {tokens[i], updated[i]} end
  local want = math.ceil(ttl + margin)
  if st.x and st.x - now > want then want = math.ceil(st.x - now) end
  if want < 1 then want = 1 end
  st.x = now + want
  redis.call('SET', key, cmsgpack.pack(st), 'PX', want)
  return want
end

if op == 'acquire' then
  local min_delay = tonumber(ARGV[base])
  local margin = tonumber(ARGV[base + 1])
  local rate_ttl = tonumber(ARGV[base + 2])
  local threshold = tonumber(ARGV[base + 3])
  local wait = 0
  local violated = {}
  for i = 1, n do
    local cost = amount[i]
    if cost > 0 and tokens[i] + cap[i] * 1e-9 < cost then
      local w
      if fixed[i] then
        w = (we[i] - now) + (math.ceil((cost - tokens[i]) / cap[i]) - 1) * per[i]
      else
        w = (cost - tokens[i]) * per[i] / amt[i]
      end
      if w > wait then wait = w end
      violated[#violated + 1] = name[i]
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
  if st.nx and st.nx > now then
    if st.nx - now > wait then wait = st.nx - now end
    violated[#violated + 1] = 'pacing'
  end
  if #violated > 0 then
    local reply = {'wait', math.floor(now), tostring(wait)}
    for i = 1, #violated do reply[#reply + 1] = violated[i] end
    return reply
  end
  -- Pause before the next admission: minInterval, and proactive throttling past the threshold (the
  -- remaining tokens are spread until the bucket is full again / the window resets).
  local gap = min_delay
  for i = 1, n do
    local cost = amount[i]
    local before = tokens[i]
    if threshold >= 0 and cost > 0 and before - cost < (1 - threshold) * cap[i] then
      local g
      if fixed[i] then
        if before <= 0 then g = we[i] - now else g = cost * (we[i] - now) / before end
      else
        g = cost * (cap[i] - math.max(0, before)) * per[i] / (amt[i] * cap[i])
      end
      if g > gap then gap = g end
    end
    tokens[i] = before - cost
  end
  local ttl = ttl_for_limits()
  if pr then
    st.pt = pt - 1
    st.pu = now
    if rate_ttl > ttl then ttl = rate_ttl end
  end
  if gap > 0 then
    st.nx = now + gap
    if gap > ttl then ttl = gap end
  end
  if cd and cd - now > ttl then ttl = cd - now end
  return {'ok', math.floor(now), save(ttl, margin)}
end

if op == 'adjust' then
  local margin = tonumber(ARGV[base])
  for i = 1, n do
    local tk = tokens[i] - amount[i]
    if tk > cap[i] then tk = cap[i] end
    tokens[i] = tk
  end
  if n == 0 then return {'ok', math.floor(now), 0} end
  return {'ok', math.floor(now), save(ttl_for_limits(), margin)}
end

if op == 'peek' then
  local reply = {'peek', math.floor(now), tostring(cd or ''), tostring(pr or '')}
  for i = 1, n do reply[#reply + 1] = tostring(tokens[i]) end
  return reply
end

if op == 'cooldown' then
  local until_ms = now + tonumber(ARGV[base])
  local margin = tonumber(ARGV[base + 1])
  if cd and cd > until_ms then until_ms = cd end
  st.cd = until_ms
  save(until_ms - now, margin)
  return {'ok', math.floor(now), tostring(until_ms)}
end

if op == 'rate' then
  if ARGV[base] == '' then
    st.pr = nil
    st.pb = nil
    st.pt = nil
    st.pu = nil
    if raw then save(0, 0) end
    return {'ok', math.floor(now)}
  end
  local burst = tonumber(ARGV[base + 1])
  local tk = burst
  if pt and pt < burst then tk = pt end
  st.pr = tonumber(ARGV[base])
  st.pb = burst
  st.pt = tk
  st.pu = now
  save(tonumber(ARGV[base + 2]), 0)
  return {'ok', math.floor(now)}
end

return redis.error_reply('unknown op ' .. tostring(op))
`

/**
 * @since 0.1.0
 * @internal
 */
export const limiterScript = script("governor_limiter", lua)
