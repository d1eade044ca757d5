/**
 * Keeping under a known window quota (pure). A pace a few % below `quota / window` still overruns a
 * sliding log or a fixed window now and then: a stall of the server decides the requests that reached
 * it meanwhile at once, so they leave its window together a window later, while the pace goes on as
 * if they had been spread out; a late timer's catch-up burst does the same. Each overrun is a wall,
 * and a whole-second Retry-After for every caller (a 1 s log of 50 paced at 48.5 met one every ~5 s:
 * 80% of its limit). So, once the quota is known (stated by rate-limit headers, or read from walls by
 * `windowQuota.ts`), the controller keeps a log of when the server decided each answered request
 * (its answer less half the round trip) and pauses the key whenever the next request, arriving half a
 * round trip from now behind those in flight, would find the quota spent: until enough entries have
 * left the window. Only for quotas of at most `MAX_QUOTA` (the log is state; a large quota's overrun
 * by a few requests is rare and margins absorb it).
 *
 * @since 0.2.0
 */
import * as BaseRtt from "./baseRtt.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Gate {
  readonly quota: number
  readonly windowMs: number
  /** Estimated decision times of answered requests still in the window, ascending. */
  readonly log: ReadonlyArray<number>
  /** The usual round trip, without the server's stalls (`baseRtt.ts`), or `null` before an answer. */
  readonly rttMs: number | null
  /** Whether it may pause: a quota read from walls always; one stated by headers see `armedAfter`. */
  readonly armed: boolean
  /**
   * Since when the pace keeps within the quota (`null`: it does not). The gate pauses only a window
   * after: a burst sent before the quota was known (a slow start) is no pattern to keep.
   */
  readonly within: number | null
  /**
   * The pace the gate lets through while it pauses (`paceCap`), or `null`/absent: none (the gate is
   * not in force). The limiter paces at the lower of it and the learned rate.
   */
  readonly pace?: number | null | undefined
}

/**
 * How many times the network's jitter (the usual round trip above the base one) pads the window
 * `paceCap` paces to. A request sent later than another may reach the server earlier by up to the
 * spread of one way's delay, so a pace of exactly `quota / window` overruns the log at times, and
 * the gate, which can only date decisions within that spread, then paused on most answers, each
 * pause a slot lost for good (32 fibers 50-100 ms away, a 1 s log of 50: ~18% of the time, 87%).
 * Paced a spread below, it seldom pauses: 1 -> 89.4, 1.5 -> 92.0, 2 -> 86.1% (the pace too low).
 */
export const JITTER_SPREADS = 1.5

/**
 * The pace that keeps under the gate's quota without it pausing: the quota per window padded by
 * `JITTER_SPREADS` times the jitter (`meanRttMs` above the base round trip), at most a window (so
 * never below half the quota's rate). Without a known round trip, the quota's rate.
 *
 * @since 0.2.0
 * @category math
 */
export const paceCap = (g: Gate, meanRttMs: number | null | undefined): number => {
  const jitter = g.rttMs === null || typeof meanRttMs !== "number" || !Number.isFinite(meanRttMs) ? 0 : Math.max(0, meanRttMs - g.rttMs)
  return (g.quota * 1000) / (g.windowMs + Math.min(g.windowMs, JITTER_SPREADS * jitter))
}

/**
 * The pace the limiter keeps: the learned `rate`, under the pace of a gate in force (a sane one).
 *
 * @since 0.2.0
 * @category math
 */
export const paced = (rate: number, g: Gate | null | undefined): number =>
  g === null || g === undefined || typeof g.pace !== "number" || !(g.pace > 0) ? rate : Math.min(rate, g.pace)

/**
 * Whether a gate stated by headers pauses after a reading of `remaining` of `limit`: from a reading
 * of the quota nearly spent (what a sliding log paced just below its quota reports) until one of it
 * over half left (a bucket paced below its rate refills; a gated log never gets there).
 *
 * @since 0.2.0
 * @category math
 */
export const armedAfter = (armed: boolean, remaining: number, limit: number): boolean =>
  remaining <= Math.max(2, limit * 0.1) ? true : remaining > limit / 2 ? false : armed

/**
 * Largest quota gated (its log is kept in the controller state).
 *
 * @since 0.2.0
 * @category constants
 */
export const MAX_QUOTA = 200

/**
 * How far ahead the gate looks: answers may stop this long (a stall), while the pace goes on. A
 * whole window ahead, the pace could never outgrow what the last window held (32 fibers 50-100 ms
 * away, a 1 s log of 50: 81%; 86% at 250 ms; 100 ms ahead, walls came back: 77%).
 *
 * @since 0.2.0
 * @category constants
 */
export const HORIZON_MS = 250

/**
 * A gate for `quota` per `windowMs`, keeping the log of `prev` (the same server's decisions),
 * or `null` when the quota is not gated.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (prev: Gate | null | undefined, quota: number, windowMs: number, armed: boolean): Gate | null => {
  const q = Math.floor(quota)
  if (!(q >= 2 && q <= MAX_QUOTA && windowMs > 0 && Number.isFinite(windowMs))) return null
  if (prev === null || prev === undefined) return { quota: q, windowMs, log: [], rttMs: null, armed, within: null }
  const same = prev.quota === q && prev.windowMs === windowMs
  if (same && prev.armed === armed) return prev
  // Another quota: the pace is judged against it afresh.
  return { ...prev, quota: q, windowMs, armed, within: same ? prev.within : null }
}

/**
 * A gate read from a shared store (data from outside: other processes' clocks, an older or corrupted
 * value) made safe to act on at `now`, or `null` when malformed: entries dated after `now` (a clock
 * ahead) count as decided now, or they would never leave the window and pause the key each answer.
 *
 * @since 0.2.0
 * @category constructors
 */
export const sane = (g: Gate | null | undefined, now: number): Gate | null => {
  if (g === null || g === undefined || typeof g !== "object") return null
  const ok = Number.isSafeInteger(g.quota) && g.quota >= 2 && g.quota <= MAX_QUOTA && Number.isFinite(g.windowMs) &&
    g.windowMs > 0 && Array.isArray(g.log) && g.log.every(Number.isFinite) &&
    (g.rttMs === null || (Number.isFinite(g.rttMs) && g.rttMs >= 0)) && (g.within === null || Number.isFinite(g.within))
  if (!ok) return null
  // A pace outside what `paceCap` sets (a corrupted store) would stall the key or overrun the quota.
  const rate = perSecond(g)
  const pace = g.pace
  if (pace !== null && pace !== undefined && !(typeof pace === "number" && pace >= rate / 2 && pace <= rate)) return sane({ ...g, pace: null }, now)
  const ahead = g.log.length > 0 && g.log[g.log.length - 1]! > now
  return ahead || (g.within !== null && g.within > now)
    ? { ...g, log: g.log.map((t) => Math.min(t, now)), within: g.within === null ? null : Math.min(g.within, now) }
    : g
}

/**
 * The gate's quota as a rate per second.
 *
 * @since 0.3.0
 * @category getters
 */
export const perSecond = (g: Pick<Gate, "quota" | "windowMs">): number => (g.quota * 1000) / g.windowMs

/**
 * Whether a pace of `rate` keeps under the gate's quota (a sane gate, or `null`: none). Above it (a
 * probe, or a quota gone stale) the walls judge the pace, not the gate.
 *
 * @since 0.2.0
 * @category math
 */
export const keptUnder = (g: Gate | null, rate: number): boolean => g !== null && (rate * g.windowMs) / 1000 <= g.quota

/**
 * Whether the gate pauses at `now`: armed, and the pace kept within the quota for a window.
 *
 * @since 0.2.0
 * @category math
 */
export const active = (g: Gate | null | undefined, now: number): boolean =>
  g !== null && g !== undefined && g.armed && g.within !== null && now - g.within >= g.windowMs

/**
 * The gate with the request sent at `sentAt` and answered at `now` recorded (decided half a usual
 * round trip before its answer), and entries that left the window by `now` dropped.
 *
 * @since 0.2.0
 * @category transitions
 */
export const record = (g: Gate, sentAt: number, now: number): Gate => {
  // Without a stall's wait (`baseRtt.ts`): an average a stall's answers inflate would date the decisions
  // they report too early, so that their entries left the window too soon (the very overrun the gate is for).
  const rttMs = BaseRtt.next(g.rttMs, sentAt, now, BaseRtt.GATE_RISE) ?? 0
  // Whole ms: the log goes to a shared store (Redis) with the state on every answer.
  const at = Math.round(now - rttMs / 2)
  const edge = now - g.windowMs
  const log = g.log.filter((t) => t > edge)
  let i = log.length
  while (i > 0 && log[i - 1]! > at) i--
  if (at > edge) log.splice(i, 0, at)
  return { ...g, rttMs, log: log.length > g.quota * 2 ? log.slice(-g.quota * 2) : log }
}

/**
 * When the pace may go on, at or after `now`, so that none of the requests it sends from then on at
 * `rate` finds the quota spent: a request sent at `t` reaches the server at `t + leadMs` and finds
 * there the logged decisions still in the window, `inflight` requests decided since and those the
 * pace sent before it. The gate acts at answers only, and answers stop during a stall while the pace
 * goes on: so it looks `HORIZON_MS` ahead, not just at the next request (a stall a window earlier
 * leaves a gap in the entries leaving the window, and the pace met the wall in it).
 *
 * @since 0.2.0
 * @category math
 */
export const openAt = (g: Gate, now: number, inflight: number, leadMs: number, rate: number): number => {
  const n = g.log.length
  const room = g.quota - Math.max(0, Math.floor(inflight))
  const gapMs = rate > 0 ? 1000 / rate : Infinity
  let at = now
  // The `j`-th request (from 0) finds at most `room - j - 1` entries left: the `(n - room + j)`-th
  // oldest must have left the window when it arrives.
  for (let j = Math.max(0, room - n); j < room && j * gapMs <= HORIZON_MS; j++) {
    at = Math.max(at, g.log[n - room + j]! + g.windowMs - leadMs - j * gapMs)
  }
  return room <= 0 ? Math.max(at, (g.log[n - 1] ?? now) + g.windowMs - leadMs) : at
}

/**
 * The log delta-packed for a shared store: the state goes to Redis on every answer, and a log of up to
 * `2 × MAX_QUOTA` epoch-ms times is ~14 bytes an entry as JSON, ~4 as gaps (whole ms, as `record`
 * keeps them; a log of other numbers stays as it is).
 *
 * @since 0.2.0
 * @category encoding
 */
export const packLog = (log: ReadonlyArray<number>): { readonly $d: ReadonlyArray<number> } | ReadonlyArray<number> =>
  log.every(Number.isSafeInteger) ? { $d: log.map((t, i) => (i === 0 ? t : t - log[i - 1]!)) } : log

/**
 * The log `packLog` packed; a malformed value (a store's corrupted state) reads as an empty log.
 *
 * @since 0.2.0
 * @category encoding
 */
export const unpackLog = (packed: unknown): ReadonlyArray<number> => {
  if (Array.isArray(packed)) return packed.every((x) => typeof x === "number") ? packed : []
  const flat = (packed as { $d?: unknown } | null)?.$d
  if (!Array.isArray(flat) || !flat.every((x) => typeof x === "number")) return []
  let at = 0
  return flat.map((d, i) => (at = i === 0 ? d : at + d))
}
