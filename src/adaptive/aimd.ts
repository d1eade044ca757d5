/**
 * The adaptive-rate state machine: pure functions of (config, state, event, now).
 *
 * ## Algorithm
 *
 * The controller owns one number, the pace in requests per second that the limiter enforces, and
 * moves it with what each response says. Increases are time-based (rps per second of clean traffic),
 * not per success: a per-success step grows the rate in proportion to the rate itself and to the
 * number of concurrent callers, which makes the overshoot at the wall — and so the number of 429s —
 * depend on load. Each success advances the clock of the curve by the time since the previous
 * success, capped at two request intervals, so a client that does not use its rate (idle, or
 * app-limited) does not grow it without evidence.
 *
 * 1. **Slow start.** From `initialRate` (the documented limit) the rate doubles every
 *    `slowStartDoublingMs` until the first backoff: a documented limit that is 5x too low is left
 *    behind in ~2.3 doublings, instead of the minutes an additive step needs.
 * 2. **Decrease.** A backoff status (default 429 and 503) remembers a *ceiling* — the best estimate
 *    of the real limit — and sets the rate to `ceiling × decreaseFactor` (floored at `minRate`), or
 *    to the throughput the server was measured to accept since the previous wall (less
 *    `ceilingMargin`) when that is higher: that rate is known to be safe. The
 *    ceiling is the rate at the wall, or, when the previous wall is ≥ 1 s back, the throughput the
 *    server actually accepted in between if lower: the server's bucket is empty at both 429s, so
 *    accepted/elapsed is its refill rate, free of the burst that makes the sending rate overshoot.
 *    (When a Retry-After pause lay in between, the bucket may have overflowed during it, so the
 *    ceiling is the midpoint of that lower bound and the wall rate.) A 429 for a request sent before
 *    the last decrease (`sentAt`), or within `holdMs` of it when `sentAt` is unknown, belongs to the
 *    burst already acted on and is ignored. A Retry-After sets `cooldownUntil`, during which the rate
 *    never increases.
 * 3. **Recovery.** The rate climbs back towards the plateau `ceiling × (1 − ceilingMargin)` along a
 *    concave (exponential) curve covering ~95% of the gap in `recoveryMs`: quick while far below,
 *    cautious close to the wall (CUBIC's concave region).
 * 4. **Steady, then probe.** On the plateau the rate holds for `steadyMs`, then creeps up, slowly at
 *    first (`increaseStep` rps per second) and faster the longer no backoff comes (the slope grows by
 *    `increaseStep` every `probeAccelMs`: CUBIC's convex region), so a raised limit is found again
 *    within seconds while an unchanged one is met with one 429 every `steadyMs` + a few seconds.
 * 5. **Header pacing.** When responses carry rate-limit headers the controller stops guessing: it
 *    paces at `remaining / time-to-reset` (so the quota lasts exactly until it is restored and the
 *    client never meets the wall), takes `limit / window` as the authoritative ceiling when the
 *    headers say both — and then paces at that sustained rate at least while more than 10% of the
 *    quota remains (a bucket that refills continuously, reported with a whole-second reset, would
 *    otherwise be under-used: the pace would follow every dip of `remaining`) — and pauses until
 *    the reset when `remaining` is 0. Without headers for
 *    `headerStaleMs` it falls back to probing from the header ceiling.
 *
 * The rate always stays in `[minRate, maxRate]`; `maxRate` bounds how far above the documented rate
 * the controller ever probes.
 *
 * @since 0.1.0
 */
import { headerPace, type RateLimitInfo } from "./headers.js"

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
export type Phase = "slow-start" | "recovery" | "probe" | "steady" | "header"

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
  /** The rate at the moment of the last decrease (before multiplying). */
  readonly lastDecreaseRate: number | null
  readonly lastDecreaseAt: number | null
  /** Successes counted since the last decrease (for the accepted-throughput estimate). */
  readonly successesSinceDecrease: number
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
  headerStaleMs: 2000
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
  lastDecreaseRate: null,
  lastDecreaseAt: null,
  successesSinceDecrease: 0,
  probeStartedAt: null,
  lastSuccessAt: null,
  cooldownUntil: 0,
  holdUntil: 0,
  headerUntil: 0,
  decreases: 0
})

/** Share of the header quota paced by `remaining / time-to-reset` only (see `onHeaders`). */
const HEADER_RESERVE = 0.1

/**
 * Where in the bracket [accepted throughput, rate at the wall] the ceiling is put when a
 * Retry-After pause lay between two walls (see `onBackoff`).
 */
const PAUSE_WEIGHT = 0.5

/** Minimum time between two decreases for the accepted-throughput estimate to be used. */
const MIN_ESTIMATE_MS = 1000
/** …and the minimum number of successes in that interval. */
const MIN_ESTIMATE_SUCCESSES = 5

/**
 * A successful (non-backoff) response observed at `now`. Advances the increase curve unless the key
 * is cooling down or paced by headers.
 *
 * @since 0.1.0
 * @category transitions
 */
export const onSuccess = (c: AimdConfig, s: AimdState, now: number): AimdState => {
  const counted = { ...s, successesSinceDecrease: s.successesSinceDecrease + 1 }
  if (now < s.cooldownUntil) return { ...counted, lastSuccessAt: null }
  if (s.phase === "header") {
    if (now <= s.headerUntil) return counted
    // Headers stopped: hold the last header rate, then probe from it.
    return { ...counted, phase: "steady", probeStartedAt: now, lastSuccessAt: now, source: "learned" }
  }
  if (s.lastSuccessAt === null || now <= s.lastSuccessAt) return { ...counted, lastSuccessAt: now }
  const gap = now - s.lastSuccessAt
  // App-limited guard: a gap longer than two request intervals means the rate is not being used.
  const dt = gap > 2000 / s.rate ? 0 : Math.min(gap, 1000)
  const next: AimdState = { ...counted, lastSuccessAt: now }
  if (dt === 0) return next
  switch (s.phase) {
    case "slow-start": {
      const rate = clamp(c, s.rate * Math.pow(2, dt / c.slowStartDoublingMs))
      return { ...next, rate }
    }
    case "recovery": {
      const plateau = clamp(c, (s.ceiling ?? s.rate) * (1 - c.ceilingMargin))
      const tau = c.recoveryMs / 3
      const rate = clamp(c, s.rate + Math.max(0, plateau - s.rate) * (1 - Math.exp(-dt / tau)))
      const reached = rate >= plateau * 0.995
      return reached ? { ...next, rate, phase: "steady", probeStartedAt: now } : { ...next, rate }
    }
    case "steady": {
      if (now - (s.probeStartedAt ?? now) < c.steadyMs) return next
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
 * decrease; `cooldownUntil` is extended by the Retry-After either way.
 *
 * @since 0.1.0
 * @category transitions
 */
export const onBackoff = (c: AimdConfig, s: AimdState, now: number, info: BackoffInfo = {}): AimdState => {
  const cooldownUntil = info.retryAfterMs !== undefined && info.retryAfterMs > 0
    ? Math.max(s.cooldownUntil, now + info.retryAfterMs)
    : s.cooldownUntil
  const sameBurst = info.sentAt !== undefined
    ? s.lastDecreaseAt !== null && info.sentAt < s.lastDecreaseAt
    : now < s.holdUntil
  if (sameBurst) return { ...s, cooldownUntil, lastSuccessAt: null }
  const at = s.rate
  let ceiling = at
  // The throughput the server is known to sustain, when measured: a safe rate to resume at.
  let floor = 0
  if (
    s.lastDecreaseAt !== null && now - s.lastDecreaseAt >= MIN_ESTIMATE_MS &&
    s.successesSinceDecrease >= MIN_ESTIMATE_SUCCESSES
  ) {
    // The server's bucket was empty at both walls, so what it accepted in between is its refill
    // rate (a lower bound of it if the bucket overflowed on the way): free of the burst that makes
    // the sending rate at the wall overshoot, and of the Retry-After pauses.
    const elapsed = now - s.lastDecreaseAt
    const low = s.successesSinceDecrease / (elapsed / 1000)
    // A Retry-After pause in between may have overflowed the bucket (tokens lost, so `low` is too
    // low) or not (then it is exact): without knowing the burst, split the difference with the rate
    // at the wall, which is too high; the next wall narrows the bracket again.
    const paused = Math.max(0, Math.min(s.cooldownUntil, now) - s.lastDecreaseAt)
    ceiling = Math.min(at, paused > elapsed / 10 ? low + (at - low) * PAUSE_WEIGHT : low)
    // …and at least 5% below the rate that just met the wall.
    floor = Math.min(low * (1 - c.ceilingMargin), at * 0.95)
  }
  ceiling = clamp(c, ceiling)
  // The multiplicative decrease applies to the best estimate of what the server accepts, but never
  // below what it was measured to accept: halving a rate the server just sustained for a second or
  // more only leaves its bucket to overflow while the rate climbs back (goodput lost for nothing).
  const rate = clamp(c, Math.max(ceiling * c.decreaseFactor, floor))
  return {
    ...s,
    rate,
    phase: "recovery",
    source: "learned",
    ceiling,
    lastDecreaseRate: at,
    lastDecreaseAt: now,
    successesSinceDecrease: 0,
    probeStartedAt: null,
    lastSuccessAt: null,
    cooldownUntil,
    holdUntil: Math.max(now + c.holdMs, cooldownUntil),
    headerUntil: 0,
    decreases: s.decreases + 1
  }
}

/**
 * Rate-limit headers observed at `now`. Paces at `remaining / time-to-reset` (clamped), takes
 * `limit / window` as the ceiling when known, and cools down until the reset when nothing remains.
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
    return {
      ...s,
      cooldownUntil: Math.max(s.cooldownUntil, info.resetAt),
      phase: "header",
      source: "header",
      ceiling: sustained ?? s.ceiling,
      headerUntil: Math.max(s.headerUntil, info.resetAt + c.headerStaleMs),
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
  return {
    ...s,
    rate: clamp(c, target),
    phase: "header",
    source: "header",
    ceiling: sustained ?? s.ceiling,
    headerUntil: now + c.headerStaleMs,
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
