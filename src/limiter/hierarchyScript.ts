/**
 * The Lua script of a hierarchical admission on Redis: one EVALSHA decides over the keys of an entity
 * and every ancestor (`KEYS[1..n]`, entity first), all or none, and counts usage in each level's ring
 * (`KEYS[n+1..2n]`, when usage is on). Every key of one hierarchy carries the root entity's hash tag,
 * so on a cluster they live in one slot and the script runs on one node.
 *
 * Each level key holds the value the limiter script (`redisScript.ts`) reads and writes, version 2 (the
 * general form) or 3 (one bucket, nothing paced), so the single-key operations (cooldown, setRate,
 * adjust, peek) run on these keys through the limiter script, and the arithmetic here is the limiter
 * script's general path, per level: refill, check every limit, the cooldown, the adaptive pace and the
 * pause after the last admission; then, only if every level has room, consume, pace the next
 * admission (minInterval, proactive throttling) and save with a TTL that never shortens. A limit
 * lowered since the last write keeps its tokens up to the new capacity.
 *
 * Usage rings (`usageRing.ts`): per level and limit with a cost, `HINCRBYFLOAT` of the field
 * `"<interval index>|<label>"` (intervals of `iv` ms of server time); the first count of an interval
 * drops the fields that left the ring (`slots` intervals), records the ring's interval and slots in the
 * fields `iv` and `n` for readers and makes the ring live `slots * iv` (plus the margin) longer.
 *
 * The common case (one rolling limit per level, short-form values, no minInterval, admitted without
 * crossing the throttle threshold) takes a fast path without tables, and, like the limiter script,
 * pushes a key's expiry back only when what is left of it no longer covers the refill plus half the
 * margin (`SET … KEEPTTL` otherwise). The values of all levels are read with one `MGET`.
 *
 * ARGV: op (`a` acquire, `p` peek, `u` read a usage ring: `KEYS[1]`), then one binary argument built by
 * {@link encodeMany}: `<ddddddH` minInterval, key TTL margin, throttle threshold (< 0: off), pace TTL,
 * usage interval ms (0: off), usage slots, number of levels; per level `<H` its number of limits, then
 * per limit `<Hc0ddddBddHc0` name, capacity, refillAmount, periodMs, cost, fixed 0/1, window start,
 * window end, usage label.
 *
 * Replies (`now` in whole ms; fractional values as strings):
 * - acquire: `1` when admitted | `{"wait", now, waitMs, then per blocked level: index (0-based),
 *   waitMs, count, names...}` | `{"stale", now}`
 * - peek: `{"peek", now, then per level: cooldown until or "", adaptive rate or "", tokens...}` | `{"stale", now}`
 * - usage: `{now, field, value, field, value, ...}`
 *
 * @since 0.1.0
 * @internal
 */

const lua = `
local op = ARGV[1]
local clock = redis.call('TIME')
local now = clock[1] * 1000 + clock[2] / 1000

if op == 'u' then
  local reply = {tostring(now)}
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all do reply[i + 1] = all[i] end
  return reply
end

local a1, a2, a3, a4, iv, ns, nl, p = struct.unpack('<ddddddH', ARGV[2])
local usage = iv > 0 and #KEYS >= 2 * nl
local raws = redis.call('MGET', unpack(KEYS, 1, nl))
local idx = usage and math.floor(now / iv) or 0

-- Count one limit's cost in a level's ring: true when that started the interval there.
local function bump(ring, cost, label)
  return cost > 0 and #label > 0 and tonumber(redis.call('HINCRBYFLOAT', ring, idx .. '|' .. label, cost)) == cost
end

-- A ring starting an interval: drop what left it, note its interval and slots, keep it alive.
local function rotate(ring)
  local old = {}
  for _, f in ipairs(redis.call('HKEYS', ring)) do
    local bar = string.find(f, '|', 1, true)
    local i = bar and tonumber(string.sub(f, 1, bar - 1))
    if i and i <= idx - ns then old[#old + 1] = f end
  end
  for i = 1, #old, 1000 do redis.call('HDEL', ring, unpack(old, i, math.min(#old, i + 999))) end
  redis.call('HSET', ring, 'iv', iv, 'n', ns)
  redis.call('PEXPIRE', ring, math.ceil(ns * iv + a2))
end

-- Store one bucket in the short form; the expiry is pushed back only when what is left of it no
-- longer covers the refill plus half the margin (SET KEEPTTL is much cheaper than PX).
local function save_short(key, x, name, tk, up, need)
  if x - now >= need + a2 / 2 then
    redis.call('SET', key, struct.pack('<BdHc0dd', 3, x, #name, name, tk, up), 'KEEPTTL')
    return
  end
  local want = math.ceil(need + a2)
  if x - now > want then want = math.ceil(x - now) end
  if want < 1 then want = 1 end
  redis.call('SET', key, struct.pack('<BdHc0dd', 3, now + want, #name, name, tk, up), 'PX', want)
end

-- Fast path, the common case: one rolling limit per level, each key in the short form (or new), no
-- minInterval, every level admitted without crossing the throttle threshold. The same arithmetic
-- as the general code below, without its tables; anything else falls through to it.
if op == 'a' and a1 <= 0 then
  local F = {}
  local q = p
  local ok = true
  for li = 1, nl do
    local n, name, cap, amt, per, cost, fixed, ws, we, label
    n, q = struct.unpack('<H', ARGV[2], q)
    if n ~= 1 then ok = false break end
    name, cap, amt, per, cost, fixed, ws, we, label, q = struct.unpack('<Hc0ddddBddHc0', ARGV[2], q)
    if fixed ~= 0 then ok = false break end
    local raw = raws[li]
    local x, tk, up = 0, cap, now
    if raw then
      if string.byte(raw, 1) ~= 3 or #raw ~= 27 + #name then ok = false break end
      local _, sn
      _, x, sn, tk, up = struct.unpack('<BdHc0dd', raw)
      if sn ~= name then ok = false break end
      if now > up then
        tk = math.min(cap, tk + (now - up) * amt / per)
        up = now
      end
      if tk > cap then tk = cap end
    end
    if tk + cap * 1e-9 < cost or (a3 >= 0 and cost > 0 and tk - cost < (1 - a3) * cap) then ok = false break end
    local o = 9 * (li - 1)
    F[o + 1], F[o + 2], F[o + 3], F[o + 4], F[o + 5] = name, cap, amt, per, cost
    F[o + 6], F[o + 7], F[o + 8], F[o + 9] = x, tk - cost, up, label
  end
  if ok then
    for li = 1, nl do
      local o = 9 * (li - 1)
      local tk = F[o + 7]
      save_short(KEYS[li], F[o + 6], F[o + 1], tk, F[o + 8], (F[o + 2] - tk) * F[o + 4] / F[o + 3])
      if usage and bump(KEYS[nl + li], F[o + 5], F[o + 9]) then rotate(KEYS[nl + li]) end
    end
    return 1
  end
end

local V = {}
local stale = false
for li = 1, nl do
  local raw = raws[li]
  local l = {x = 0, cd = 0, nx = 0, pr = 0, pb = 0, pt = 0, pu = 0, m = 0, S = {}, L = {}}
  local S = l.S
  if raw then
    local v = string.byte(raw, 1)
    if v == 2 and #raw >= 59 then
      local _, q
      _, l.x, l.cd, l.nx, l.pr, l.pb, l.pt, l.pu, l.m, q = struct.unpack('<BdddddddH', raw)
      for j = 0, l.m - 1 do
        S[3 * j + 1], S[3 * j + 2], S[3 * j + 3], q = struct.unpack('<Hc0dd', raw, q)
      end
    elseif v == 3 and #raw >= 27 then
      local _
      _, l.x, S[1], S[2], S[3] = struct.unpack('<BdHc0dd', raw)
      l.m = 1
    end
  end
  l.n, p = struct.unpack('<H', ARGV[2], p)
  local L = l.L
  for i = 0, l.n - 1 do
    local name, cap, amt, per, amount, fixed, ws, we, label
    name, cap, amt, per, amount, fixed, ws, we, label, p = struct.unpack('<Hc0ddddBddHc0', ARGV[2], p)
    local tk, up
    for j = 1, 3 * l.m, 3 do
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
        tk = math.min(cap, tk + cap * math.max(1, math.floor((ws - up) / per + 0.5)))
      end
      up = ws
    elseif tk == nil then
      tk = cap
      up = now
    elseif now > up then
      tk = math.min(cap, tk + (now - up) * amt / per)
      up = now
    end
    if tk > cap then tk = cap end
    local o = 11 * i
    L[o + 1], L[o + 2], L[o + 3], L[o + 4], L[o + 5], L[o + 6] = name, cap, amt, per, amount, fixed
    L[o + 7], L[o + 8], L[o + 9], L[o + 10], L[o + 11] = ws, we, tk, up, label
  end
  if l.pr > 0 and l.pu > 0 and now > l.pu then l.pt = math.min(l.pb, l.pt + (now - l.pu) * l.pr / 1000) end
  V[li] = l
end
if stale then return {'stale', math.floor(now)} end

if op == 'p' then
  local reply = {'peek', math.floor(now)}
  for li = 1, nl do
    local l = V[li]
    reply[#reply + 1] = l.cd > 0 and tostring(l.cd) or ''
    reply[#reply + 1] = l.pr > 0 and tostring(l.pr) or ''
    for o = 0, 11 * (l.n - 1), 11 do reply[#reply + 1] = tostring(l.L[o + 9]) end
  end
  return reply
end

if op ~= 'a' then return redis.error_reply('unknown op ' .. tostring(op)) end

-- Every level first: nothing is written unless all of them have room.
local reply
local wait = 0
for li = 1, nl do
  local l = V[li]
  local L = l.L
  local w = 0
  local names
  for o = 0, 11 * (l.n - 1), 11 do
    local cost, tk, cap = L[o + 5], L[o + 9], L[o + 2]
    if cost > 0 and tk + cap * 1e-9 < cost then
      local lw
      if L[o + 6] == 1 then
        lw = (L[o + 8] - now) + (math.ceil((cost - tk) / cap) - 1) * L[o + 4]
      else
        lw = (cost - tk) * L[o + 4] / L[o + 3]
      end
      if lw > w then w = lw end
      names = names or {}
      names[#names + 1] = L[o + 1]
    end
  end
  if l.pr > 0 and l.pt < 1 then
    local lw = (1 - l.pt) * 1000 / l.pr
    if lw > w then w = lw end
    names = names or {}
    names[#names + 1] = 'adaptive'
  end
  if l.cd > now then
    if l.cd - now > w then w = l.cd - now end
    names = names or {}
    names[#names + 1] = 'cooldown'
  end
  if l.nx > now then
    if l.nx - now > w then w = l.nx - now end
    names = names or {}
    names[#names + 1] = 'pacing'
  end
  if names then
    reply = reply or {'wait', math.floor(now), ''}
    reply[#reply + 1] = li - 1
    reply[#reply + 1] = tostring(w)
    reply[#reply + 1] = #names
    for i = 1, #names do reply[#reply + 1] = names[i] end
    if w > wait then wait = w end
  end
end
if reply then
  reply[3] = tostring(wait)
  return reply
end

-- Store a level: the short form when it is one bucket and nothing else; skipped when nothing is left.
local function save(key, l, ttl)
  local L, S = l.L, l.S
  local count = l.n
  for j = 1, 3 * l.m, 3 do
    if S[j] then count = count + 1 end
  end
  local plain = l.cd <= now and l.nx <= now and l.pr <= 0
  if count == 0 and plain then return end
  if count == 1 and l.n == 1 and plain then return save_short(key, l.x, L[1], L[9], L[10], ttl) end
  local want = math.ceil(ttl + a2)
  if l.x - now > want then want = math.ceil(l.x - now) end
  if want < 1 then want = 1 end
  local parts = {struct.pack('<BdddddddH', 2, now + want, l.cd, l.nx, l.pr, l.pb, l.pt, l.pu, count)}
  for o = 0, 11 * (l.n - 1), 11 do
    parts[#parts + 1] = struct.pack('<Hc0dd', #L[o + 1], L[o + 1], L[o + 9], L[o + 10])
  end
  for j = 1, 3 * l.m, 3 do
    if S[j] then parts[#parts + 1] = struct.pack('<Hc0dd', #S[j], S[j], S[j + 1], S[j + 2]) end
  end
  redis.call('SET', key, table.concat(parts), 'PX', want)
end

for li = 1, nl do
  local l = V[li]
  local L = l.L
  -- The pause before the next admission: minInterval, and proactive throttling past the threshold.
  local gap = a1
  local ttl = 0
  local fresh = false
  for o = 0, 11 * (l.n - 1), 11 do
    local cost, before, cap = L[o + 5], L[o + 9], L[o + 2]
    if a3 >= 0 and cost > 0 and before - cost < (1 - a3) * cap then
      local g
      if L[o + 6] == 1 then
        if before <= 0 then g = L[o + 8] - now else g = cost * (L[o + 8] - now) / before end
      else
        g = cost * (cap - math.max(0, before)) * L[o + 4] / (L[o + 3] * cap)
      end
      if g > gap then gap = g end
    end
    local tk = before - cost
    L[o + 9] = tk
    local need
    if L[o + 6] == 1 then
      need = L[o + 8] - now
      if tk < 0 then need = need + math.ceil(-tk / cap) * L[o + 4] end
    else
      need = (cap - tk) * L[o + 4] / L[o + 3]
    end
    if need > ttl then ttl = need end
    if usage and bump(KEYS[nl + li], cost, L[o + 11]) then fresh = true end
  end
  if l.pr > 0 then
    l.pt = l.pt - 1
    l.pu = now
    if a4 > ttl then ttl = a4 end
  end
  if gap > 0 then
    l.nx = now + gap
    if gap > ttl then ttl = gap end
  end
  if l.cd - now > ttl then ttl = l.cd - now end
  save(KEYS[li], l, ttl)
  if fresh then rotate(KEYS[nl + li]) end
end
return 1
`

/**
 * The script's name and text (the Redis entry point makes it a `LuaScript`, with its SHA1).
 *
 * @since 0.1.0
 * @internal
 */
export const hierarchyScript = { name: "governor_hierarchy", lua } as const

/**
 * @since 0.1.0
 * @internal
 */
export const ManyOp = { acquire: "a", peek: "p", usage: "u" } as const

/**
 * One limit of one level as the script reads it.
 *
 * @since 0.1.0
 * @internal
 */
export interface ManyLimit {
  /** UTF-8 encoded (at most 65535 bytes), like the label. */
  readonly name: Uint8Array
  readonly capacity: number
  readonly refillAmount: number
  readonly periodMs: number
  readonly fixed: boolean
  readonly amount: number
  /** The fixed window `[start, end)` believed current (ignored for rolling limits). */
  readonly window: readonly [number, number] | undefined
  /** Usage label (empty: not counted). */
  readonly label: Uint8Array
}

/**
 * The script's parameters: minInterval ms, key TTL margin ms, throttle threshold (-1: off), pace TTL
 * ms, usage interval ms (0: off), usage slots.
 *
 * @since 0.1.0
 * @internal
 */
export type ManyParams = readonly [number, number, number, number, number, number]

/**
 * Encode the binary argument of {@link hierarchyScript}. Pure.
 *
 * @since 0.1.0
 * @internal
 */
export const encodeMany = (params: ManyParams, levels: ReadonlyArray<ReadonlyArray<ManyLimit>>): Buffer => {
  let size = 6 * 8 + 2
  for (const level of levels) {
    size += 2
    for (const l of level) size += 2 + l.name.length + 4 * 8 + 1 + 2 * 8 + 2 + l.label.length
  }
  const out = Buffer.allocUnsafe(size)
  let o = 0
  for (const p of params) o = out.writeDoubleLE(p, o)
  o = out.writeUInt16LE(levels.length, o)
  for (const level of levels) {
    o = out.writeUInt16LE(level.length, o)
    for (const l of level) {
      o = out.writeUInt16LE(l.name.length, o)
      out.set(l.name, o)
      o += l.name.length
      o = out.writeDoubleLE(l.capacity, o)
      o = out.writeDoubleLE(l.refillAmount, o)
      o = out.writeDoubleLE(l.periodMs, o)
      o = out.writeDoubleLE(l.amount, o)
      o = out.writeUInt8(l.fixed ? 1 : 0, o)
      o = out.writeDoubleLE(l.fixed ? l.window?.[0] ?? 0 : 0, o)
      o = out.writeDoubleLE(l.fixed ? l.window?.[1] ?? 0 : 0, o)
      o = out.writeUInt16LE(l.label.length, o)
      out.set(l.label, o)
      o += l.label.length
    }
  }
  return out
}
