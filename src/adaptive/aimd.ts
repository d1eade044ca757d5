/**
 * The adaptive-rate state machine: pure functions of (config, state, event, now).
 *
 * ## Algorithm
 *
 * The controller owns one number, the pace in requests per second that the limiter enforces, and
 * moves it with what each response says. A *wall* is a backoff status (default 429 and 503) for a
 * request sent after the last decrease; 429s of a burst already acted on are ignored (`sentAt`, or
 * `holdMs` when it is unknown), so one wall is one decision. Increases are time-based (rps per second
 * of clean traffic), not per success: a per-success step grows the rate in proportion to the rate
 * itself and to the number of concurrent callers, which makes the overshoot at the wall — and so the
 * number of 429s — depend on load. Each success advances the curve by the time since the previous
 * success, capped at two request intervals, so a client that does not use its rate (idle, or
 * app-limited) does not grow it without evidence.
 *
 * 1. **Slow start.** From `initialRate` (the documented limit) the rate doubles every
 *    `slowStartDoublingMs` until the first wall: a documented limit that is 5x too low is left
 *    behind in ~2.3 doublings, instead of the minutes an additive step needs.
 * 2. **Measure between walls.** The server's bucket is empty at both of two consecutive walls, so
 *    what it accepted for requests sent in between (`sentAt` keeps out those of the previous
 *    burst), over the time in between, is its refill rate: the *measured* throughput, free of the
 *    burst that makes the sending rate at the wall overshoot (the wall rate is only an upper bound).
 *    Tokens the server refilled but could not keep are missed, in two ways. A Retry-After pause in
 *    between is assumed banked up to `BANK_MS` (1 s) of the rate — token buckets usually hold at
 *    least a second of their rate, fixed windows a whole window — and a pause longer than twice the
 *    traffic after it may not lower the estimate below `wall rate × decreaseFactor` (that assumption
 *    then carries most of the figure). And while the client paced below the server's rate with the
 *    server's bucket full (after a banked pause; after a wall without one, once a second of rate
 *    has filled it), the refill overflowed: `paceLog` records the paces in force, and the estimate
 *    is the rate that explains the accepted count plus that overflow (a fixed point), so a long, low
 *    plateau is not mistaken for the limit.
 * 3. **Decrease.** At a wall met *on purpose* (while climbing back, or probing above the plateau)
 *    the measured throughput becomes the *ceiling* and the rate goes straight to the plateau, half
 *    of `ceilingMargin` below it (a lower bound already; the half absorbs counting noise): halving
 *    a rate the server was just measured to sustain only lets its bucket overflow while the rate
 *    climbs back. Any other wall — the first one, or one at a rate that was sustained before (the
 *    limit dropped, or the estimate was high) — remembers `min(wall rate, measured)` as the
 *    ceiling, resumes at `max(ceiling × decreaseFactor, min(measured × (1 − ceilingMargin),
 *    wall rate × 0.95))` and climbs back (5.): if the limit dropped, that climb meets the new wall
 *    within a second or two, and that wall measures the new limit. Two walls per drop, not a
 *    bisection of walls.
 * 4. **Retry-After** sets `cooldownUntil`, a pause for every caller of the key (at most
 *    `maxRetryAfterMs`, whatever the server says), during which the rate never increases. A server that banks what it refills during the pause (see 2) loses it
 *    unless it is spent, so the pause is followed by a *drain*: for `DRAIN_MS` the pace is the
 *    plateau plus `DRAIN_SHARE` of the assumed bank (the rest is margin for the limiter's own
 *    catch-up burst and the estimate's error). After a measured wall the drain starts when the pause
 *    ends; after any other wall, once the plateau has been held `DRAIN_DELAY_MS` without a wall
 *    (nothing above the server's rate was sent since the pause, so its bucket is still full). A wall
 *    during a drain shows the server banks less (or the ceiling is high, which the next wall
 *    measures): the key stops draining and stops assuming a bank (`bankShort`; an estimate across a
 *    pause is then the midpoint of its two bounds). The ceiling, estimated under that assumption and
 *    so too low if the server banks less, is re-derived from the drain's interval the same way, and
 *    raised if that is higher (never lowered: a high ceiling is measured by the next wall).
 * 5. **Recovery.** After an unmeasured decrease the rate climbs back towards the plateau
 *    (`ceilingMargin` below the ceiling) along a concave (exponential) curve covering ~95% of the
 *    gap in `recoveryMs`: quick while far below, cautious close to the wall (CUBIC's concave region).
 * 6. **Steady, then probe.** On the plateau the rate holds for `steadyMs`, then creeps up, slowly at
 *    first (`increaseStep` rps per second) and faster the longer no wall comes (the slope grows by
 *    `increaseStep` every `probeAccelMs`: CUBIC's convex region), so a raised limit is found again
 *    within seconds while an unchanged one is met with one wall every `steadyMs` + a few seconds.
 * 7. **Header pacing.** When responses carry rate-limit headers the controller stops guessing: it
 *    paces at `remaining / time-to-reset` (so the quota lasts exactly until it is restored and the
 *    client never meets the wall), takes `limit / window` as the authoritative ceiling when the
 *    headers say both — and then paces at that sustained rate at least while more than 10% of the
 *    quota remains (a bucket that refills continuously, reported with a whole-second reset, would
 *    otherwise be under-used: the pace would follow every dip of `remaining`) — and pauses until
 *    the reset when `remaining` is 0. A server cannot lock the key out: the pause lasts at most
 *    `maxQuotaWaitMs` and the pace is never slower than one request per `maxQuotaWaitMs`. Without
 *    headers for `headerStaleMs` it falls back to probing from the header ceiling.
 *
 * The rate always stays in `[minRate, maxRate]`; `maxRate` bounds how far above the documented rate
 * the controller ever probes.
 *
 * @since 0.1.0
 */
import { headerPace, MAX_QUOTA_WAIT_MS, type RateLimitInfo } from "./headers.js"
import * as Partitions from "./partitions.js"
import type { Partitions as PartitionMap } from "./partitions.js"

/**
 * Validated controller parameters (see `AdaptiveController.Options` for the user-facing form).
 *
 * @since 0.1.0
 * @category models
 */
export interface AimdConfig {
  /** Starting rate (rps), usually the documented limit. */
  readonly initialRate: number
  readonly minRate: number
  /** Hard upper bound: never pace above it, whatever the API accepts. */
  readonly maxRate: number
  /** Probe slope right after reaching the plateau, in rps per second. */
  readonly increaseStep: number
  /** Multiplier in (0, 1) applied on a backoff status. */
  readonly decreaseFactor: number
  /** Double the rate every `slowStartDoublingMs` until the first backoff. `false` disables it. */
  readonly slowStart: boolean
  readonly slowStartDoublingMs: number
  /** Time to climb back (~95%) to the plateau after a decrease. */
  readonly recoveryMs: number
  /** The plateau sits this fraction below the remembered ceiling. */
  readonly ceilingMargin: number
  /** Time spent on the plateau, without any increase, before probing above it. */
  readonly steadyMs: number
  /** The probe slope grows by `increaseStep` every `probeAccelMs` of probing without a backoff. */
  readonly probeAccelMs: number
  /**
   * When the caller does not say when the request was sent: backoffs within this window after a
   * decrease belong to the same burst.
   */
  readonly holdMs: number
  /** Header pacing expires this long after the last response that carried headers. */
  readonly headerStaleMs: number
  /** Longest Retry-After pause honoured; a longer one is cut to it. */
  readonly maxRetryAfterMs: number
  /**
   * Longest pause until a quota reset stated by rate-limit headers; a header pace is never slower
   * than one request per this long.
   */
  readonly maxQuotaWaitMs: number
}

/**
 * Where the current rate comes from.
 *
 * @since 0.1.0
 * @category models
 */
export type RateSource = "configured" | "learned" | "header"

/**
 * @since 0.1.0
 * @category models
 */
export type Phase = "slow-start" | "recovery" | "drain" | "probe" | "steady" | "header"

/**
 * The controller state of one key. Plain data: serializable, so a shared store (Redis) can hold it.
 *
 * @since 0.1.0
 * @category models
 */
export interface AimdState {
  readonly rate: number
  readonly phase: Phase
  readonly source: RateSource
  /** The remembered ceiling (rate at, or accepted throughput before, the last decrease). */
  readonly ceiling: number | null
  /** The ceiling is a measured throughput (a lower bound), not a wall rate: half the margin below it. */
  readonly ceilingMeasured: boolean
  /** The rate at the moment of the last decrease (before multiplying). */
  readonly lastDecreaseRate: number | null
  readonly lastDecreaseAt: number | null
  /** Successes counted since the last decrease (for the accepted-throughput estimate). */
  readonly successesSinceDecrease: number
  /**
   * The paces in force since the last decrease, pauses excluded, as `[rps, ms]` segments (at most
   * `PACE_SEGMENTS`, the closest merged): how long the client asked for less than the server refills.
   */
  readonly paceLog: ReadonlyArray<readonly [number, number]>
  /** End of the time `paceLog` covers. */
  readonly paceAt: number | null
  /** Time the probe phase started. */
  readonly probeStartedAt: number | null
  /** Time of the last success that advanced the curve. */
  readonly lastSuccessAt: number | null
  /** Epoch ms until which every caller is paused (Retry-After, exhausted header quota). */
  readonly cooldownUntil: number
  /** Backoffs before this instant are ignored (same burst). */
  readonly holdUntil: number
  /** Header pacing is in force until this instant. */
  readonly headerUntil: number
  readonly decreases: number
  /** End of the current drain (phase `drain`): the pace includes spending the banked tokens. */
  readonly drainUntil: number
  /** A drain met a wall: the server does not bank what it refills during a pause. */
  readonly bankShort: boolean
  /** Requests the server is assumed to have banked during the last pause, not yet spent. */
  readonly banked: number
  /** Header paces per IETF partition key still in force (see `partitions.ts`). */
  readonly partitions: PartitionMap
}

/**
 * Default parameters, given the documented (initial) rate.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultConfig = (initialRate: number): AimdConfig => ({
  initialRate,
  minRate: Math.min(initialRate, Math.max(initialRate / 100, 0.01)),
  maxRate: initialRate * 10,
  increaseStep: Math.max(initialRate / 100, 0.01),
  decreaseFactor: 0.5,
  slowStart: true,
  slowStartDoublingMs: 1000,
  recoveryMs: 1500,
  ceilingMargin: 0.02,
  steadyMs: 8000,
  probeAccelMs: 2000,
  holdMs: 250,
  headerStaleMs: 2000,
  // The defaults of `retry.maxRetryAfter` and `adaptive.maxQuotaWait` in a config.
  maxRetryAfterMs: 120_000,
  maxQuotaWaitMs: MAX_QUOTA_WAIT_MS
})

const clamp = (c: AimdConfig, rate: number): number => Math.min(c.maxRate, Math.max(c.minRate, rate))

/**
 * The state of a key that has seen nothing yet.
 *
 * @since 0.1.0
 * @category constructors
 */
export const initial = (c: AimdConfig): AimdState => ({
  rate: clamp(c, c.initialRate),
  phase: c.slowStart ? "slow-start" : "probe",
  source: "configured",
  ceiling: null,
  ceilingMeasured: false,
  lastDecreaseRate: null,
  lastDecreaseAt: null,
  successesSinceDecrease: 0,
  paceLog: [],
  paceAt: null,
  probeStartedAt: null,
  lastSuccessAt: null,
  cooldownUntil: 0,
  holdUntil: 0,
  headerUntil: 0,
  decreases: 0,
  drainUntil: 0,
  bankShort: false,
  banked: 0,
  partitions: {}
})

/** Share of the header quota paced by `remaining / time-to-reset` only (see `onHeaders`). */
const HEADER_RESERVE = 0.1

/**
 * Where in the bracket [accepted throughput, rate at the wall] the ceiling is put when a
 * Retry-After pause lay between two walls and the server is known not to bank a pause (`bankShort`).
 */
const PAUSE_WEIGHT = 0.5

/** Segments kept in `paceLog`. */
const PACE_SEGMENTS = 12

/** `next` with the time since `s` was last logged (pauses excluded) added to `paceLog` at `s.rate`. */
const logPace = (s: AimdState, next: AimdState, now: number): AimdState => {
  if (s.lastDecreaseAt === null) return next
  const from = Math.max(s.paceAt ?? s.lastDecreaseAt, s.lastDecreaseAt, s.cooldownUntil)
  if (now <= from) return next
  const log = [...(s.paceLog ?? [])]
  const last = log[log.length - 1]
  if (last !== undefined && Math.abs(last[0] - s.rate) <= last[0] * 0.01) {
    log[log.length - 1] = [last[0], last[1] + (now - from)]
  } else {
    log.push([s.rate, now - from])
    if (log.length > PACE_SEGMENTS) {
      // Merge the two neighbours closest in pace (time-weighted).
      let k = 0
      for (let i = 1; i < log.length - 1; i++) {
        if (Math.abs(log[i]![0] - log[i + 1]![0]) < Math.abs(log[k]![0] - log[k + 1]![0])) k = i
      }
      const [a, b] = [log[k]!, log[k + 1]!]
      log.splice(k, 2, [(a[0] * a[1] + b[0] * b[1]) / (a[1] + b[1]), a[1] + b[1]])
    }
  }
  return { ...next, paceLog: log, paceAt: now }
}

/** Minimum time between two decreases for the accepted-throughput estimate to be used. */
const MIN_ESTIMATE_MS = 1000
/** …and the minimum number of successes in that interval. */
const MIN_ESTIMATE_SUCCESSES = 5

/** How much of a Retry-After pause the server is assumed to bank (its bucket holds >= 1 s of rate). */
const BANK_MS = 1000
/** Share of the assumed bank spent after a pause (the rest is margin for the estimate's error)… */
const DRAIN_SHARE = 0.7
/** …over this long, on top of the plateau. */
const DRAIN_MS = 2000
/** After a decrease that was not measured, the plateau is held this long before draining. */
const DRAIN_DELAY_MS = 1000

/**
 * The rate held below the ceiling: `ceilingMargin` below it, or half that when the ceiling is a
 * throughput the server was measured to accept (a lower bound of its rate, up to counting noise).
 */
const plateauOf = (c: AimdConfig, s: Pick<AimdState, "ceiling" | "ceilingMeasured" | "rate">): number =>
  s.ceiling === null ? s.rate : clamp(c, s.ceiling * (1 - (s.ceilingMeasured === true ? c.ceilingMargin / 2 : c.ceilingMargin)))

/** Spend what the server banked: the plateau plus `DRAIN_SHARE` of it over `DRAIN_MS` from `from`. */
const drain = (c: AimdConfig, s: AimdState, from: number): AimdState => ({
  ...s,
  rate: clamp(c, plateauOf(c, s) + (s.banked * DRAIN_SHARE) / (DRAIN_MS / 1000)),
  phase: "drain",
  drainUntil: from + DRAIN_MS,
  banked: 0
})

/**
 * A successful (non-backoff) response observed at `now`. Advances the increase curve unless the key
 * is cooling down or paced by headers. With `sentAt`, a request sent before the last decrease is not
 * counted in the throughput measured since (it took its token before that wall).
 *
 * @since 0.1.0
 * @category transitions
 */
export const onSuccess = (c: AimdConfig, s: AimdState, now: number, info: SuccessInfo = {}): AimdState => {
  const before = info.sentAt !== undefined && s.lastDecreaseAt !== null && info.sentAt < s.lastDecreaseAt
  const counted = before ? s : { ...s, successesSinceDecrease: s.successesSinceDecrease + 1 }
  if (now < s.cooldownUntil) return { ...counted, lastSuccessAt: null }
  const logged = logPace(s, counted, now)
  if (s.phase === "header") {
    if (now <= s.headerUntil) return logged
    // Headers stopped: hold the last header rate, then probe from it.
    return { ...logged, phase: "steady", probeStartedAt: now, lastSuccessAt: now, source: "learned" }
  }
  if (s.phase === "drain" && now >= s.drainUntil) {
    // The banked tokens are spent: hold the plateau.
    const plateau = plateauOf(c, s)
    return { ...logged, rate: plateau, phase: "steady", probeStartedAt: now, drainUntil: 0, lastSuccessAt: now }
  }
  if (s.lastSuccessAt === null || now <= s.lastSuccessAt) return { ...logged, lastSuccessAt: now }
  const gap = now - s.lastSuccessAt
  // App-limited guard: a gap longer than two request intervals means the rate is not being used.
  const dt = gap > 2000 / s.rate ? 0 : Math.min(gap, 1000)
  const next: AimdState = { ...logged, lastSuccessAt: now }
  if (dt === 0) return next
  switch (s.phase) {
    case "drain":
      return next
    case "slow-start": {
      const rate = clamp(c, s.rate * Math.pow(2, dt / c.slowStartDoublingMs))
      return { ...next, rate }
    }
    case "recovery": {
      const plateau = plateauOf(c, s)
      const tau = c.recoveryMs / 3
      const rate = clamp(c, s.rate + Math.max(0, plateau - s.rate) * (1 - Math.exp(-dt / tau)))
      if (rate < plateau * 0.995) return { ...next, rate }
      return { ...next, rate: plateau, phase: "steady", probeStartedAt: now }
    }
    case "steady": {
      const held = now - (s.probeStartedAt ?? now)
      // On the plateau for a while without a wall after a pause: the server's bucket is still full of
      // what it banked during the pause (nothing above its rate was sent since), so spend it now.
      if (s.banked > 0 && !s.bankShort && held >= DRAIN_DELAY_MS) return drain(c, next, now)
      if (held < c.steadyMs) return next
      return { ...next, phase: "probe", probeStartedAt: now }
    }
    case "probe": {
      const age = now - (s.probeStartedAt ?? now)
      const slope = c.increaseStep * (1 + age / c.probeAccelMs)
      return { ...next, rate: clamp(c, s.rate + (slope * dt) / 1000) }
    }
  }
}

/**
 * What the caller knows about a successful response besides its time.
 *
 * @since 0.1.0
 * @category models
 */
export interface SuccessInfo {
  /** When the request was sent (epoch ms). */
  readonly sentAt?: number | undefined
}

/**
 * What the caller knows about a backoff response besides its time.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackoffInfo {
  /** Retry-After in ms, when the response had one. */
  readonly retryAfterMs?: number | undefined
  /**
   * When the request was sent (epoch ms). A request sent before the last decrease was paced by the
   * old rate: its 429 is part of the burst already acted upon and is ignored. Without it, `holdMs`
   * after a decrease is used instead.
   */
  readonly sentAt?: number | undefined
}

/**
 * A backoff status (429, 503, …) observed at `now`. Returns the state after the (possibly ignored)
 * decrease; `cooldownUntil` is extended by the Retry-After (at most `maxRetryAfterMs`) either way.
 *
 * @since 0.1.0
 * @category transitions
 */
export const onBackoff = (c: AimdConfig, s: AimdState, now: number, info: BackoffInfo = {}): AimdState => {
  const cooldownUntil = info.retryAfterMs !== undefined && info.retryAfterMs > 0
    ? Math.max(s.cooldownUntil, now + Math.min(info.retryAfterMs, c.maxRetryAfterMs))
    : s.cooldownUntil
  const sameBurst = info.sentAt !== undefined
    ? s.lastDecreaseAt !== null && info.sentAt < s.lastDecreaseAt
    : now < s.holdUntil
  if (sameBurst) return { ...s, cooldownUntil, lastSuccessAt: null }
  const at = s.rate
  const decreased = {
    ...s,
    source: "learned" as const,
    lastDecreaseRate: at,
    lastDecreaseAt: now,
    successesSinceDecrease: 0,
    paceLog: [],
    paceAt: null,
    probeStartedAt: now,
    lastSuccessAt: null,
    cooldownUntil,
    holdUntil: Math.max(now + c.holdMs, cooldownUntil),
    headerUntil: 0,
    drainUntil: 0,
    decreases: s.decreases + 1
  }
  if (s.phase === "drain") {
    // Spending the banked tokens met the wall: the server banks less than the pause refilled (or
    // the ceiling is high: then the next wall on the plateau measures it). No more drains, nor bank
    // assumed, on this key.
    const next: AimdState = { ...decreased, phase: "steady", bankShort: true, banked: 0 }
    // The ceiling was estimated assuming a bank, which made it low if the server banks less: this
    // interval, measured without that assumption (see `measure`), may raise it, never lower it.
    const m = measure(c, { ...s, bankShort: true }, now, at)
    if (m === undefined || s.ceiling === null || m.rate <= s.ceiling) return { ...next, rate: plateauOf(c, next) }
    const raised: AimdState = { ...next, ceiling: clamp(c, Math.min(at, m.rate)), ceilingMeasured: false }
    return { ...raised, rate: plateauOf(c, raised) }
  }
  const m = measure(c, s, now, at)
  const pauseS = Math.min(BANK_MS, Math.max(0, cooldownUntil - now)) / 1000
  if (m !== undefined && (s.phase === "recovery" || s.phase === "probe")) {
    // Met on purpose, above the last plateau: the measured throughput is the new ceiling.
    const ceiling = clamp(c, Math.min(at, m.rate))
    const measured: AimdState = {
      ...decreased,
      ceiling,
      ceilingMeasured: m.lowerBound && m.rate < at,
      banked: s.bankShort ? 0 : ceiling * pauseS,
      phase: "steady"
    }
    return measured.banked > 0 ? drain(c, measured, cooldownUntil) : { ...measured, rate: plateauOf(c, measured) }
  }
  // The first wall, or one at a rate sustained before (the limit dropped, or the estimate was high):
  // the measurement may span two limits, so the plateau keeps its margin.
  const ceiling = clamp(c, Math.min(at, m?.rate ?? at))
  // Never below what the server was measured to accept (less the margin, and 5% below the wall):
  // halving a rate it just sustained only leaves its bucket to overflow while the rate climbs back.
  const floor = m === undefined ? 0 : Math.min(m.rate * (1 - c.ceilingMargin), at * 0.95)
  return {
    ...decreased,
    rate: clamp(c, Math.max(ceiling * c.decreaseFactor, floor)),
    phase: "recovery",
    probeStartedAt: null,
    ceiling,
    ceilingMeasured: false,
    // Spent if the climb back reaches the plateau without a wall (if the limit dropped, the wall
    // comes first, measures it, and brings its own bank).
    banked: s.bankShort ? 0 : ceiling * pauseS
  }
}

/**
 * The server's refill rate measured between the previous wall and this one (see the module doc), or
 * `undefined` when that interval is too short or too empty to tell. `lowerBound`: nothing but lost
 * tokens can make it wrong, and they make it low.
 */
const measure = (
  c: AimdConfig,
  s: AimdState,
  now: number,
  at: number
): { readonly rate: number; readonly lowerBound: boolean } | undefined => {
  if (s.lastDecreaseAt === null) return undefined
  const elapsed = now - s.lastDecreaseAt
  const accepted = s.successesSinceDecrease
  if (elapsed < MIN_ESTIMATE_MS || accepted < MIN_ESTIMATE_SUCCESSES) return undefined
  const paused = Math.max(0, Math.min(s.cooldownUntil, now) - s.lastDecreaseAt)
  const banked = paused > 0 && s.bankShort !== true
  // The server refilled for the whole interval, less what a pause it could not bank lost.
  const seconds = (elapsed - (banked ? Math.max(0, paused - BANK_MS) : 0)) / 1000
  // What the server refilled while the client paced below `x` and its bucket was full overflowed:
  // after a banked pause the bucket is full; after a wall without one it is empty and holds (at
  // least, assumed) a second of rate before it overflows.
  const overflow = (x: number) => {
    let deficit = 0
    for (const [pace, ms] of s.paceLog ?? []) deficit += Math.max(0, x - pace) * (ms / 1000)
    return paused > 0 ? deficit : Math.max(0, deficit - (x * BANK_MS) / 1000)
  }
  // The rate consistent with what was accepted plus what overflowed at that rate (a fixed point:
  // the more time was paced below x, the more a higher x explains), never above the wall rate.
  let rate = accepted / seconds
  for (let i = 0; i < 50 && rate < at; i++) {
    const next = (accepted + overflow(rate)) / seconds
    if (next - rate <= rate * 1e-4) break
    rate = next
  }
  rate = Math.min(rate, at)
  if (paused > 0 && !banked) {
    // The pause's tokens were lost (the server does not bank them): `rate` is too low by an unknown
    // amount and the wall rate too high. The midpoint; the next wall narrows the bracket again.
    return { rate: rate + (at - rate) * PAUSE_WEIGHT, lowerBound: false }
  }
  // Traffic after the pause shorter than half of it: the bank assumption carries most of the figure.
  if (elapsed - paused < paused / 2 && rate < at * c.decreaseFactor) return { rate: at * c.decreaseFactor, lowerBound: false }
  return { rate, lowerBound: paused <= BANK_MS }
}

/**
 * Rate-limit headers observed at `now`. Paces at `remaining / time-to-reset` (clamped), takes
 * `limit / window` as the ceiling when known, and cools down until the reset when nothing remains.
 * Whatever the headers say, the pause ends within `maxQuotaWaitMs` and the pace is at least one
 * request per `maxQuotaWaitMs` (the parser already drops a reset beyond that bound as malformed).
 * Headers that allow no pacing decision (e.g. only a limit without window) leave the state alone.
 *
 * @since 0.1.0
 * @category transitions
 */
export const onHeaders = (c: AimdConfig, s: AimdState, info: RateLimitInfo, now: number): AimdState => {
  const sustained = info.limit !== undefined && info.window !== undefined && info.window > 0
    ? info.limit / (info.window / 1000)
    : undefined
  if (info.remaining !== undefined && info.remaining < 1 && info.resetAt !== undefined && info.resetAt > now) {
    const until = Math.min(info.resetAt, now + c.maxQuotaWaitMs)
    return {
      ...s,
      cooldownUntil: Math.max(s.cooldownUntil, until),
      phase: "header",
      source: "header",
      banked: 0,
      ceiling: sustained ?? s.ceiling,
      headerUntil: Math.max(s.headerUntil, until + c.headerStaleMs),
      lastSuccessAt: null
    }
  }
  const pace = headerPace(info, now)
  if (pace === undefined) return s
  let target = pace
  if (sustained !== undefined) {
    // While more than a reserve of the quota remains, spend at the sustained rate at least:
    // `remaining / time-to-reset` under-paces a quota that refills continuously (a token bucket
    // reporting its reset as "full again", often in whole seconds), and against a fixed window it
    // only spends early what the reserve, paced by `remaining / time-to-reset`, then stretches
    // to the reset. A quota about to reset may be spent fast, but not above twice the sustained
    // rate (a near-zero time-to-reset would otherwise ask for any rate).
    const reserve = Math.max(1, (info.limit ?? 0) * HEADER_RESERVE)
    if (info.remaining !== undefined && info.remaining >= reserve) target = Math.max(pace, sustained)
    target = Math.min(target, 2 * sustained)
  }
  const until = now + c.headerStaleMs
  const partitioned = info.partition === undefined
    ? { partitions: s.partitions, rate: target }
    : Partitions.record(s.partitions, info.partition, target, until, now)
  return {
    ...s,
    // A quota paced slower than one request per `maxQuotaWaitMs` would be a lockout in disguise.
    rate: clamp(c, Math.max(partitioned.rate, 1000 / c.maxQuotaWaitMs)),
    partitions: partitioned.partitions,
    phase: "header",
    source: "header",
    banked: 0,
    ceiling: sustained ?? s.ceiling,
    headerUntil: until,
    lastSuccessAt: null
  }
}

/**
 * The plain seed-style AIMD, kept as the benchmark baseline: `+increaseStep` per success,
 * `× decreaseFactor` per backoff, clamped to `[minRate, maxRate]`. No slow start, no memory, no
 * same-burst filter, no headers.
 *
 * @since 0.1.0
 * @category baseline
 */
export const seedAimd = (
  c: Pick<AimdConfig, "minRate" | "maxRate" | "increaseStep" | "decreaseFactor">,
  rate: number,
  outcome: "success" | "backoff"
): number =>
  Math.min(
    c.maxRate,
    Math.max(c.minRate, outcome === "success" ? rate + c.increaseStep : rate * c.decreaseFactor)
  )
