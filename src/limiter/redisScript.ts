/**
 * The Lua script behind the Redis rate limiter: one EVALSHA per decision. All the state of one key
 * is one binary value under `{prefix:key}:limiter` (one cluster slot, one TTL, written with a single
 * `SET`), packed with Redis' built-in `struct` library (exact doubles, no MessagePack tables), in
 * one of two forms:
 *
 * - version 2, the general form: header `<BdddddddH`: version, `x` when the key expires, `cd`
 *   cooldown until, `nx` earliest next admission (`minInterval`, proactive throttling), the adaptive
 *   pacing bucket set by `setRate` (`pr` rate/s, `pb` burst, `pt` tokens, `pu` updated; `pr = 0`:
 *   none), then the count of buckets; per bucket `<Hc0dd`: limit name, tokens (negative: debt after
 *   a lease adjusted upwards), updated (last refill time, or the start of the fixed window the
 *   tokens belong to);
 * - version 3, the short form of a key that holds one bucket and nothing else in force (no cooldown,
 *   no pacing, no pause before the next admission): `<BdHc0dd` version, `x`, then that bucket.
 *
 * Any other value (an older format) reads as empty. A decision costs three commands inside Redis
 * (TIME, GET, SET); the common case (one rolling limit, admitted, nothing paced) takes a short path
 * without Lua tables, and only pushes the key's expiry back (`SET … PX`) when what is left of it
 * no longer covers the time to full refill plus half the margin; otherwise it keeps it
 * (`SET … KEEPTTL`, much cheaper inside Redis). So after every decision a key lives at least until
 * its buckets are full again plus half of `keyTtlMargin`, and at most plus all of it (or longer
 * when an earlier write asked for longer: a TTL is never shortened).
 *
 * Time is always Redis server time (`TIME`), so workers with skewed clocks agree (scripts replicate
 * their effects, the default since Redis 5; `SET … KEEPTTL` makes the minimum Redis 6.0, checked
 * when the connection is made: see `version.ts`). Fixed windows are aligned to a time zone, which Lua cannot
 * compute: the client sends the start/end of the window it believes current (from its estimate of
 * the server clock) and the script answers `stale` with the server time when that guess is wrong
 * (only near a boundary), so the client recomputes and asks again.
 *
 * An acquire that must wait books the request instead when it may (a reservation: the buckets go
 * into debt and the reply says when to start, so the caller sleeps once; see `admission.reserve`);
 * one that fits now may take a batch of requests of the same cost (see `admission.batchSize`). The
 * TypeScript of `admission.ts` is the reference this Lua is tested against.
 *
 * ARGV: op (`a` acquire, `j` adjust, `p` peek, `c` cooldown, `r` rate), then one binary argument
 * built by {@link encodeCall}: `<ddddH` four op parameters and the number of limits, then per limit
 * `<Hc0ddddBdd` name, capacity, refillAmount, periodMs, cost-or-delta, fixed 0/1, windowStart,
 * windowEnd. One binary argument instead of 8 strings per limit keeps the script's parsing cheap;
 * the client encodes a rolling-only acquire once and resends the same bytes. An acquire may add
 * ARGV[3], the longest wait it may book (ms; `-1`: any; absent: 0, never book), and ARGV[4], a batch
 * size (absent: 1; a batch call skips the short path).
 *
 * Replies (`now` in whole ms; fractional values as strings):
 * - acquire: `ttl` when admitted, a single integer (ms the key still lives: no table to build or
 *   decode) | `{"reserved", now, waitMs, ttl}` | `{"batch", now, count, ttl}` |
 *   `{"wait", now, waitMs, violated...}` (refused, nothing taken) | `{"stale", now}`
 * - adjust: `{"ok", now, ttl}` | `{"stale", now}`
 * - peek: `{"peek", now, cd, pr, tokens...}` | `{"stale", now}`
 * - cooldown: `{"ok", now, until}`; rate: `{"ok", now}`
 *
 * @since 0.1.0
 * @internal
 */
const lua = `
local key = KEYS[1]
local op = ARGV[1]
local clock = redis.call('TIME')
local now = clock[1] * 1000 + clock[2] / 1000
local raw = redis.call('GET', key)

-- Fast path, the common case: acquire on one rolling limit, no pacing/cooldown in force, admitted
-- without crossing the throttle threshold. Same arithmetic as the general code below (which takes
-- every other case), without its tables. The key's expiry is only pushed back when what is left
-- of it no longer covers the refill plus half the margin (SET KEEPTTL is much cheaper than PX).
if op == 'a' and #ARGV[2] > 34 and not ARGV[4] then
  local a1, a2, _, a4, n, name, cap, amt, per, cost, fixed = struct.unpack('<ddddHHc0ddddB', ARGV[2])
  if n == 1 and fixed == 0 and a1 <= 0 then
    local x, tk, up = 0, nil, nil
    if raw then
      local v = string.byte(raw, 1)
      if v == 3 and #raw == 27 + #name then
        local _, sn
        _, x, sn, tk, up = struct.unpack('<BdHc0dd', raw)
        if sn ~= name then x = nil end
      elseif v == 2 and #raw == 77 + #name then
        local _, cd, nx, pr, m, sn
        _, x, cd, nx, pr, _, _, _, m, sn, tk, up = struct.unpack('<BdddddddHHc0dd', raw)
        if m ~= 1 or sn ~= name or cd > now or nx > now or pr > 0 then x = nil end
      else
        x = nil
      end
    end
    if x then
      if tk == nil then
        tk = cap
        up = now
      elseif now > up then
        tk = math.min(cap, tk + (now - up) * amt / per)
        up = now
      end
      if tk + cap * 1e-9 >= cost and (a4 < 0 or cost <= 0 or tk - cost >= (1 - a4) * cap) then
        tk = tk - cost
        local need = (cap - tk) * per / amt
        if x - now >= need + a2 / 2 then
          redis.call('SET', key, struct.pack('<BdHc0dd', 3, x, #name, name, tk, up), 'KEEPTTL')
          return x - now
        end
        local want = math.ceil(need + a2)
        if x - now > want then want = math.ceil(x - now) end
        if want < 1 then want = 1 end
        redis.call('SET', key, struct.pack('<BdHc0dd', 3, now + want, #name, name, tk, up), 'PX', want)
        return want
      end
    end
  end
end

local a1, a2, a3, a4, n, p = struct.unpack('<ddddH', ARGV[2])
local x, cd, nx, pr, pb, pt, pu, m = 0, 0, 0, 0, 0, 0, 0, 0
-- Stored buckets, flat: name, tokens, updated (name set to false once matched to a limit of this call).
local S = {}
if raw then
  local v = string.byte(raw, 1)
  if v == 2 and #raw >= 59 then
    local _, q
    _, x, cd, nx, pr, pb, pt, pu, m, q = struct.unpack('<BdddddddH', raw)
    for j = 0, m - 1 do
      S[3 * j + 1], S[3 * j + 2], S[3 * j + 3], q = struct.unpack('<Hc0dd', raw, q)
    end
  elseif v == 3 and #raw >= 27 then
    local _
    _, x, S[1], S[2], S[3] = struct.unpack('<BdHc0dd', raw)
    m = 1
  end
end

-- Limits of this call, flat (stride 10): name, cap, amt, per, amount, fixed, ws, we, tokens, updated.
local L = {}
local stale = false
for i = 0, n - 1 do
  local name, cap, amt, per, amount, fixed, ws, we
  name, cap, amt, per, amount, fixed, ws, we, p = struct.unpack('<Hc0ddddBdd', ARGV[2], p)
  local tk, up
  for j = 1, 3 * m, 3 do
    if S[j] == name then
      tk = S[j + 1]
      up = S[j + 2]
      S[j] = false
      break
    end
  end
  if fixed == 1 then
    if now < ws or now >= we then stale = true end
    if tk == nil then
      tk = cap
    elseif up < ws then
      local passed = math.max(1, math.floor((ws - up) / per + 0.5))
      tk = math.min(cap, tk + cap * passed)
    end
    up = ws
  elseif tk == nil then
    tk = cap
    up = now
  elseif now > up then
    tk = math.min(cap, tk + (now - up) * amt / per)
    up = now
  end
  local o = 10 * i
  L[o + 1], L[o + 2], L[o + 3], L[o + 4], L[o + 5] = name, cap, amt, per, amount
  L[o + 6], L[o + 7], L[o + 8], L[o + 9], L[o + 10] = fixed, ws, we, tk, up
end
if stale and (op == 'a' or op == 'j' or op == 'p') then
  return {'stale', math.floor(now)}
end

if pr > 0 and pu > 0 and now > pu then pt = math.min(pb, pt + (now - pu) * pr / 1000) end

-- Time until every bucket is full again (fixed: window end, later when in debt).
local function ttl_for_limits()
  local ttl = 0
  for o = 0, 10 * (n - 1), 10 do
    local need
    if L[o + 6] == 1 then
      need = L[o + 8] - now
      if L[o + 9] < 0 then need = need + math.ceil(-L[o + 9] / L[o + 2]) * L[o + 4] end
    else
      need = (L[o + 2] - L[o + 9]) * L[o + 4] / L[o + 3]
    end
    if need > ttl then ttl = need end
  end
  return ttl
end

-- Store the state; the key lives until its last piece of state is no longer needed (never shorter
-- than an earlier write asked for: a call may not name every limit the key has).
local function save(ttl, margin)
  local want = math.ceil(ttl + margin)
  if x - now > want then want = math.ceil(x - now) end
  if want < 1 then want = 1 end
  x = now + want
  local count = n
  for j = 1, 3 * m, 3 do
    if S[j] then count = count + 1 end
  end
  local value
  if count == 1 and n == 1 and cd <= now and nx <= now and pr <= 0 then
    -- Nothing but one bucket: the short form the fast path reads.
    value = struct.pack('<BdHc0dd', 3, x, #L[1], L[1], L[9], L[10])
  else
    local parts = {struct.pack('<BdddddddH', 2, x, cd, nx, pr, pb, pt, pu, count)}
    for o = 0, 10 * (n - 1), 10 do
      parts[#parts + 1] = struct.pack('<Hc0dd', #L[o + 1], L[o + 1], L[o + 9], L[o + 10])
    end
    for j = 1, 3 * m, 3 do
      if S[j] then parts[#parts + 1] = struct.pack('<Hc0dd', #S[j], S[j], S[j + 1], S[j + 2]) end
    end
    value = table.concat(parts)
  end
  redis.call('SET', key, value, 'PX', want)
  return want
end

if op == 'a' then
  -- a1 minInterval, a2 key TTL margin, a3 pacing TTL, a4 throttle threshold (< 0: off); ARGV[3]
  -- the longest wait a reservation may book (ms, < 0: any; absent: 0), ARGV[4] the batch size.
  local wait = 0
  local violated
  for o = 0, 10 * (n - 1), 10 do
    local cost, tk, cap = L[o + 5], L[o + 9], L[o + 2]
    if cost > 0 and tk + cap * 1e-9 < cost then
      local w
      if L[o + 6] == 1 then
        w = (L[o + 8] - now) + (math.ceil((cost - tk) / cap) - 1) * L[o + 4]
      else
        w = (cost - tk) * L[o + 4] / L[o + 3]
      end
      if w > wait then wait = w end
      violated = violated or {}
      violated[#violated + 1] = L[o + 1]
    end
  end
  if cd > now then
    if cd - now > wait then wait = cd - now end
    violated = violated or {}
    violated[#violated + 1] = 'cooldown'
  end
  if pr > 0 and pt < 1 then
    local w = (1 - pt) * 1000 / pr
    if w > wait then wait = w end
    violated = violated or {}
    violated[#violated + 1] = 'adaptive'
  end
  if nx > now then
    if nx - now > wait then wait = nx - now end
    violated = violated or {}
    violated[#violated + 1] = 'pacing'
  end
  local at = now
  if violated then
    -- Book it for now + wait (reserve) unless the wait is too long, a cooldown is in force (it may
    -- be extended meanwhile) or the booked time falls in a later window of a fixed limit.
    local most = tonumber(ARGV[3] or '0')
    local ok = cd <= now and (most < 0 or wait <= most)
    for o = 0, 10 * (n - 1), 10 do
      if L[o + 6] == 1 and now + wait >= L[o + 8] then ok = false end
    end
    if not ok then
      local reply = {'wait', math.floor(now), tostring(wait)}
      for i = 1, #violated do reply[#reply + 1] = violated[i] end
      return reply
    end
    at = now + wait
  else
    -- A batch: up to ARGV[4] requests together when every bucket has room for all of them above
    -- the throttling threshold and nothing paces the key.
    local k = math.floor(tonumber(ARGV[4] or '1'))
    if k >= 2 and a1 <= 0 and pr <= 0 then
      for o = 0, 10 * (n - 1), 10 do
        local cost, tk, cap = L[o + 5], L[o + 9], L[o + 2]
        if cost > 0 and k >= 2 then
          local room = tk + cap * 1e-9
          if a4 >= 0 and tk - (1 - a4) * cap < room then room = tk - (1 - a4) * cap end
          local fit = math.floor(room / cost)
          if fit * cost > room then fit = fit - 1 end
          if fit < k then k = fit end
        end
      end
      if k >= 2 then
        for o = 0, 10 * (n - 1), 10 do L[o + 9] = L[o + 9] - k * L[o + 5] end
        return {'batch', math.floor(now), k, save(ttl_for_limits(), a2)}
      end
    end
  end
  -- Take the cost for an admission at at: each rolling bucket gives up now the refill its
  -- capacity would cut off before then, so it holds at at what it would after the admission then.
  -- The pause before the next admission (minInterval, and proactive throttling past the threshold:
  -- the remaining tokens spread until the bucket is full again / the window resets) counts from at.
  local ahead = at - now
  local gap = a1
  for o = 0, 10 * (n - 1), 10 do
    local cost, tk, cap = L[o + 5], L[o + 9], L[o + 2]
    local before = tk
    if ahead > 0 and L[o + 6] == 0 then
      local r = L[o + 3] / L[o + 4]
      if tk > cap - ahead * r then tk = cap - ahead * r end
      before = tk + ahead * r
    end
    if a4 >= 0 and cost > 0 and before - cost < (1 - a4) * cap then
      local g
      if L[o + 6] == 1 then
        if before <= 0 then g = L[o + 8] - at else g = cost * (L[o + 8] - at) / before end
      else
        g = cost * (cap - math.max(0, before)) * L[o + 4] / (L[o + 3] * cap)
      end
      if g > gap then gap = g end
    end
    L[o + 9] = tk - cost
  end
  local ttl = ttl_for_limits()
  if pr > 0 then
    if ahead > 0 and pt > pb - ahead * pr / 1000 then pt = pb - ahead * pr / 1000 end
    pt = pt - 1
    pu = now
    if a3 > ttl then ttl = a3 end
  end
  if gap > 0 then
    nx = at + gap
    if nx - now > ttl then ttl = nx - now end
  end
  if cd - now > ttl then ttl = cd - now end
  local lives = save(ttl, a2)
  if ahead > 0 then return {'reserved', math.floor(now), tostring(ahead), lives} end
  return lives
end

if op == 'j' then
  -- a1 key TTL margin; amounts are deltas (negative gives back)
  for o = 0, 10 * (n - 1), 10 do
    local tk = L[o + 9] - L[o + 5]
    if tk > L[o + 2] then tk = L[o + 2] end
    L[o + 9] = tk
  end
  if n == 0 then return {'ok', math.floor(now), 0} end
  return {'ok', math.floor(now), save(ttl_for_limits(), a1)}
end

if op == 'p' then
  local reply = {'peek', math.floor(now), cd > 0 and tostring(cd) or '', pr > 0 and tostring(pr) or ''}
  for o = 0, 10 * (n - 1), 10 do reply[#reply + 1] = tostring(L[o + 9]) end
  return reply
end

if op == 'c' then
  -- a1 duration, a2 key TTL margin
  local until_ms = now + a1
  if cd > until_ms then until_ms = cd end
  cd = until_ms
  if pr > 0 then
    -- The pace resumes at its rate when the pause ends, not with a burst gathered meanwhile.
    local due = 1 - (cd - now) * pr / 1000
    if pt > due then pt = due end
    pu = now
  end
  save(until_ms - now, a2)
  return {'ok', math.floor(now), tostring(until_ms)}
end

if op == 'r' then
  -- a1 rate per second (0: back to the configured limits), a2 burst, a3 TTL of the pace
  if a1 <= 0 then
    pr, pb, pt, pu = 0, 0, 0, 0
    if raw then save(0, 0) end
    return {'ok', math.floor(now)}
  end
  local tk = a2
  if pr > 0 and pt < a2 then tk = pt end
  -- A cooldown's debt restated at the new rate: the pace still resumes when the pause ends.
  if cd > now then
    tk = 1 - (cd - now) * a1 / 1000
    if tk > a2 then tk = a2 end
  end
  pr, pb, pt, pu = a1, a2, tk, now
  save(a3, 0)
  return {'ok', math.floor(now)}
end

return redis.error_reply('unknown op ' .. tostring(op))
`

/**
 * The script's name and text; the Redis entry point makes it a `LuaScript` (SHA1, EVALSHA, the NOSCRIPT
 * fallback: `src/redis/script.ts`): the limiter needs nothing from the connection.
 *
 * @since 0.1.0
 * @internal
 */
export const limiterScript: { readonly name: string; readonly lua: string } = { name: "governor_limiter", lua }

/**
 * The operations of {@link limiterScript} (its first argument).
 *
 * @since 0.1.0
 * @internal
 */
export const Op = { acquire: "a", adjust: "j", peek: "p", cooldown: "c", rate: "r" } as const

/**
 * One limit as the script reads it.
 *
 * @since 0.1.0
 * @internal
 */
export interface ScriptLimit {
  /** The limit name, UTF-8 encoded (at most 65535 bytes). */
  readonly name: Uint8Array
  readonly capacity: number
  readonly refillAmount: number
  readonly periodMs: number
  readonly fixed: boolean
}

const HEADER_BYTES = 4 * 8 + 2, LIMIT_BYTES = 2 + 4 * 8 + 1 + 2 * 8

/**
 * Encode the binary argument of {@link limiterScript}: four op parameters, then per limit its description, `amounts[i]`
 * (cost, or delta for `adjust`) and the fixed window `[start, end)` from `windows[i]` (rolling: ignored). Pure.
 *
 * @since 0.1.0
 * @internal
 */
export const encodeCall = (
  params: readonly [number, number, number, number],
  limits: ReadonlyArray<ScriptLimit>,
  amounts: ReadonlyArray<number>,
  windows?: ReadonlyArray<readonly [number, number] | undefined>
): Buffer => {
  let size = HEADER_BYTES
  for (const l of limits) size += LIMIT_BYTES + l.name.length
  const out = Buffer.allocUnsafe(size)
  let o = 0
  for (const p of params) o = out.writeDoubleLE(p, o)
  o = out.writeUInt16LE(limits.length, o)
  for (let i = 0; i < limits.length; i++) {
    const l = limits[i]!
    o = out.writeUInt16LE(l.name.length, o)
    out.set(l.name, o)
    o += l.name.length
    o = out.writeDoubleLE(l.capacity, o)
    o = out.writeDoubleLE(l.refillAmount, o)
    o = out.writeDoubleLE(l.periodMs, o)
    o = out.writeDoubleLE(amounts[i] ?? 0, o)
    o = out.writeUInt8(l.fixed ? 1 : 0, o)
    const w = l.fixed ? windows?.[i] : undefined
    o = out.writeDoubleLE(w?.[0] ?? 0, o)
    o = out.writeDoubleLE(w?.[1] ?? 0, o)
  }
  return out
}
