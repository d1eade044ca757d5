/**
 * Exponential backoff with jitter, as a pure function of the retry number and a random draw.
 *
 * @since 0.1.0
 */

/**
 * How the computed delay is randomised:
 * - `"none"`: exactly `min(max, initial * multiplier^(attempt-1))`
 * - `"full"`: uniform in `[0, that)` (AWS "full jitter": spreads a thundering herd best)
 * - `"proportional"`: uniform in `that * [1 - jitterFraction, 1 + jitterFraction)`, never above `max`
 *
 * @since 0.1.0
 */
export type Jitter = "none" | "full" | "proportional"

/**
 * Backoff parameters, all in milliseconds.
 *
 * @since 0.1.0
 */
export interface BackoffOptions {
  /** Delay before the first retry (before jitter). */
  readonly initial: number
  /** Cap on every delay (after jitter). */
  readonly max: number
  /** Growth factor per retry, >= 1. */
  readonly multiplier: number
  readonly jitter: Jitter
  /** For `"proportional"` jitter: the spread, in [0, 1]. Default 0.2 (±20%). */
  readonly jitterFraction?: number | undefined
}

/**
 * Default spread of proportional jitter (the same 0.8–1.2 band as `Schedule.jittered`).
 *
 * @since 0.1.0
 */
export const DEFAULT_JITTER_FRACTION = 0.2

/**
 * The un-jittered, capped delay before retry number `attempt` (1 = first retry).
 *
 * @since 0.1.0
 */
export const baseDelay = (options: BackoffOptions, attempt: number): number => {
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1
  // multiplier^(n-1) may overflow to Infinity for large n; min() then yields the cap.
  const raw = options.initial * Math.pow(options.multiplier, n - 1)
  return Math.min(options.max, Number.isNaN(raw) ? options.max : raw)
}

/**
 * The delay in milliseconds before retry number `attempt` (1 = the first retry, i.e. the wait
 * before the second attempt). `random` is a draw in [0, 1) (values outside are clamped), so the
 * caller owns the randomness and tests can pin it.
 *
 * Guarantees, for valid options: `0 <= delay <= max`; with `jitter: "none"` the delay is
 * non-decreasing in `attempt` and reaches `max` once `initial * multiplier^(attempt-1) >= max`.
 * Internal: the public form of these delays is `RetryPolicy.schedule`.
 *
 * @since 0.1.0
 * @internal
 */
export const backoffDelay = (options: BackoffOptions, attempt: number, random: number): number => {
  const base = baseDelay(options, attempt)
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0
  let delay: number
  switch (options.jitter) {
    case "none":
      delay = base
      break
    case "full":
      delay = base * r
      break
    case "proportional": {
      const f = options.jitterFraction ?? DEFAULT_JITTER_FRACTION
      delay = base * (1 - f + 2 * f * r)
      break
    }
  }
  return Math.round(Math.min(options.max, Math.max(0, delay)))
}
