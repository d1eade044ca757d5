/**
 * The Lua script behind the shared circuit breaker: the rules of the pure machine
 * (`src/breaker/machine.ts`) run inside Redis, one EVALSHA per operation, so every transition is
 * atomic across processes. `test/redis/breaker.test.ts` runs both on generated call sequences and
 * requires the same answers, states and transitions.
 *
 * Keys (one hash tag, so one cluster slot): `KEYS[1]` a hash with the machine state (`s` state,
 * `g` generation, `cf` consecutive failures, `w` window of "0"/"1", `wf` its failures, `oa` opened
 * at, `ha` half-open at (-1: none), `hs` half-open successes, `tr` trips, `rj` rejected, `ts`/`tf`
 * total successes/failures); `KEYS[2]` a sorted set of the probes in flight (member: probe id,
 * score: when its slot is freed if no result came). That lease is the one rule the machine lacks:
 * in one process a probe always reports back (an uninterruptible region), but a process can die
 * mid-probe, and without it a half-open circuit would stay saturated for everyone.
 *
 * ARGV: op (`a` admit, `r` record, `f` force, `s` state), failureThreshold (0: off), failureRate
 * (0: off), windowSize, minimumCalls, successThreshold, recoveryMs, halfOpenMaxProbes, probe lease
 * ms, key TTL ms, now ('' : server time, `TIME`; a number only in tests, which need a controlled
 * clock), then per op: admit `id` (the probe id used if a probe is admitted); record `verdict`,
 * ticket generation ('' : external feedback), probe id ('' : not a probe); force `closed`/`open`.
 *
 * Reply: `{now, kind, x1, x2, <12 state fields>, probes, <transitions: from, to, at, reason>...}`;
 * for admit kind 1 is admitted (x1 probe 0/1, x2 generation), kind 0 rejected (x1 the state,
 * x2 halfOpenAt). Every number is a whole millisecond or a count, so Redis' integer replies keep it.
 *
 * @since 0.1.0
 * @internal
 */
import type * as Machine from "../breaker/machine.js"
import { script } from "./script.js"

const lua = `
local stateKey, probesKey = KEYS[1], KEYS[2]
local op = ARGV[1]
local failureThreshold = tonumber(ARGV[2])
local failureRate = tonumber(ARGV[3])
local windowSize = tonumber(ARGV[4])
local minimumCalls = tonumber(ARGV[5])
local successThreshold = tonumber(ARGV[6])
local recoveryMs = tonumber(ARGV[7])
local maxProbes = tonumber(ARGV[8])
local leaseMs = tonumber(ARGV[9])
local ttlMs = tonumber(ARGV[10])
local now
if ARGV[11] ~= '' then
  now = tonumber(ARGV[11])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local f = redis.call('HMGET', stateKey, 's', 'g', 'cf', 'w', 'wf', 'oa', 'ha', 'hs', 'tr', 'rj', 'ts', 'tf')
local state = f[1] or 'closed'
local g = tonumber(f[2] or '0')
local cf = tonumber(f[3] or '0')
local w = f[4] or ''
local wf = tonumber(f[5] or '0')
local oa = tonumber(f[6] or '-1')
local ha = tonumber(f[7] or '-1')
local hs = tonumber(f[8] or '0')
local tr = tonumber(f[9] or '0')
local rj = tonumber(f[10] or '0')
local ts = tonumber(f[11] or '0')
local tf = tonumber(f[12] or '0')
local probes = 0
if state == 'half-open' then
  redis.call('ZREMRANGEBYSCORE', probesKey, '-inf', now)
  probes = redis.call('ZCARD', probesKey)
end
local dirty = false
local trans = {}
local function moved(from, to, at, reason)
  trans[#trans + 1] = from
  trans[#trans + 1] = to
  trans[#trans + 1] = at
  trans[#trans + 1] = reason
end
local function newGeneration()
  g = g + 1
  probes = 0
  hs = 0
  redis.call('DEL', probesKey)
  dirty = true
end
local function toOpen(reason)
  moved(state, 'open', now, reason)
  state = 'open'
  oa = now
  ha = now + recoveryMs
  tr = tr + 1
  newGeneration()
end
local function toClosed(reason)
  if state ~= 'closed' then moved(state, 'closed', now, reason) end
  state = 'closed'
  cf, w, wf, oa, ha = 0, '', 0, -1, -1
  newGeneration()
end
local function tick()
  if state == 'open' and ha >= 0 and now >= ha then
    moved('open', 'half-open', ha, 'RecoveryTimeout')
    state = 'half-open'
    newGeneration()
  end
end

local kind, x1, x2 = 0, 0, 0
if op == 'a' then
  tick()
  if state == 'closed' then
    kind, x1, x2 = 1, 0, g
  elseif state == 'open' then
    rj = rj + 1
    dirty = true
    x1, x2 = 'open', ha
  elseif probes < maxProbes then
    redis.call('ZADD', probesKey, now + leaseMs, ARGV[12])
    redis.call('PEXPIRE', probesKey, ttlMs)
    probes = probes + 1
    kind, x1, x2 = 1, 1, g
  else
    rj = rj + 1
    dirty = true
    x1, x2 = 'half-open', now
  end
elseif op == 'r' then
  tick()
  if ARGV[13] == '' or tonumber(ARGV[13]) == g then
    if ARGV[14] ~= '' then probes = probes - redis.call('ZREM', probesKey, ARGV[14]) end
    local verdict = ARGV[12]
    if verdict ~= 'ignore' then
      local failed = verdict == 'failure'
      if failed then tf = tf + 1 else ts = ts + 1 end
      dirty = true
      if state == 'half-open' then
        if failed then
          toOpen('ProbeFailed')
        else
          hs = hs + 1
          if hs >= successThreshold then toClosed('ProbesSucceeded') end
        end
      elseif state == 'closed' then
        local n = #w
        if n >= windowSize then
          if string.byte(w, 1) == 49 then wf = wf - 1 end
          w = string.sub(w, n - windowSize + 2)
        end
        if failed then
          w = w .. '1'
          wf = wf + 1
          cf = cf + 1
          if failureThreshold > 0 and cf >= failureThreshold then
            toOpen('ConsecutiveFailures')
          elseif failureRate > 0 and #w >= minimumCalls and wf / #w >= failureRate then
            toOpen('FailureRate')
          end
        else
          w = w .. '0'
          cf = 0
        end
      end
    end
  end
elseif op == 'f' then
  if ARGV[12] == 'closed' then toClosed('Reset') else toOpen('Forced') end
else
  tick()
end

if dirty then
  redis.call('HSET', stateKey, 's', state, 'g', g, 'cf', cf, 'w', w, 'wf', wf, 'oa', oa, 'ha', ha,
    'hs', hs, 'tr', tr, 'rj', rj, 'ts', ts, 'tf', tf)
  redis.call('PEXPIRE', stateKey, ttlMs)
end
local reply = {now, kind, x1, x2, state, g, cf, w, wf, oa, ha, hs, tr, rj, ts, tf, probes}
for i = 1, #trans do reply[#reply + 1] = trans[i] end
return reply
`

/**
 * @since 0.1.0
 * @internal
 */
export const breakerScript = script("governor_breaker", lua)

/**
 * @since 0.1.0
 * @internal
 */
export type BreakerOp = "admit" | "record" | "force" | "state"

const OP_CODE: Record<BreakerOp, string> = { admit: "a", record: "r", force: "f", state: "s" }

/**
 * The arguments that only depend on the breaker's settings (computed once per breaker).
 *
 * @since 0.1.0
 * @internal
 */
export const settingsArgs = (config: Machine.MachineConfig, leaseMs: number, ttlMs: number): ReadonlyArray<string> => [
  String(config.failureThreshold ?? 0),
  String(config.failureRate ?? 0),
  String(config.windowSize),
  String(config.minimumCalls),
  String(config.successThreshold),
  String(config.recoveryTimeoutMs),
  String(config.halfOpenMaxProbes),
  String(leaseMs),
  String(ttlMs)
]

/**
 * ARGV of one call. `now` is for tests only (production always uses server time).
 *
 * @since 0.1.0
 * @internal
 */
export const callArgs = (
  op: BreakerOp,
  settings: ReadonlyArray<string>,
  extra: ReadonlyArray<string>,
  now?: number
): Array<string> => [OP_CODE[op], ...settings, now === undefined ? "" : String(now), ...extra]

/**
 * A decoded reply.
 *
 * @since 0.1.0
 * @internal
 */
export interface BreakerReply {
  /** Server time of the call, epoch ms. */
  readonly now: number
  /** For `admit`: the answer; `undefined` for the other ops. */
  readonly admission: Machine.Admission | undefined
  readonly state: Machine.MachineState
  readonly transitions: ReadonlyArray<Machine.Transition>
}

const STATES: ReadonlyArray<string> = ["closed", "open", "half-open"]
const REASONS: ReadonlyArray<string> = [
  "ConsecutiveFailures",
  "FailureRate",
  "ProbeFailed",
  "RecoveryTimeout",
  "ProbesSucceeded",
  "Reset",
  "Forced"
]

const stateName = (v: unknown): Machine.BreakerStateName => {
  if (typeof v === "string" && STATES.includes(v)) return v as Machine.BreakerStateName
  throw new Error(`unexpected breaker state ${JSON.stringify(v)}`)
}

const int = (v: unknown): number => {
  const n = typeof v === "number" ? v : Number(v)
  if (!Number.isSafeInteger(n)) throw new Error(`unexpected number ${JSON.stringify(v)}`)
  return n
}

const orNull = (n: number): number | null => (n < 0 ? null : n)

/**
 * Decodes the script's reply; throws on a malformed one (a script from another version).
 *
 * @since 0.1.0
 * @internal
 */
export const decodeReply = (op: BreakerOp, raw: unknown): BreakerReply => {
  if (!Array.isArray(raw) || raw.length < 17 || (raw.length - 17) % 4 !== 0) {
    throw new Error("unexpected reply from the breaker script")
  }
  const r = raw as ReadonlyArray<unknown>
  const state: Machine.MachineState = {
    state: stateName(r[4]),
    generation: int(r[5]),
    consecutiveFailures: int(r[6]),
    window: String(r[7]),
    windowFailures: int(r[8]),
    openedAt: orNull(int(r[9])),
    halfOpenAt: orNull(int(r[10])),
    halfOpenSuccesses: int(r[11]),
    trips: int(r[12]),
    rejected: int(r[13]),
    totalSuccesses: int(r[14]),
    totalFailures: int(r[15]),
    probesInFlight: int(r[16])
  }
  const transitions: Array<Machine.Transition> = []
  for (let i = 17; i < r.length; i += 4) {
    const reason = String(r[i + 3])
    if (!REASONS.includes(reason)) throw new Error(`unexpected transition reason ${JSON.stringify(reason)}`)
    transitions.push({
      from: stateName(r[i]),
      to: stateName(r[i + 1]),
      at: int(r[i + 2]),
      reason: reason as Machine.Transition["reason"]
    })
  }
  let admission: Machine.Admission | undefined = undefined
  if (op === "admit") {
    admission = int(r[1]) === 1
      ? { _tag: "Admitted", probe: int(r[2]) === 1, generation: int(r[3]) }
      : { _tag: "Rejected", state: stateName(r[2]) as "open" | "half-open", halfOpenAt: int(r[3]) }
  }
  return { now: int(r[0]), admission, state, transitions }
}
