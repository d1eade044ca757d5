/**
 * The hidden token bucket of the simulated API, as pure functions (time passed in as epoch ms).
 * Rejected requests cost nothing; a limit change keeps the current tokens (capped at the new burst).
 *
 * Any burst from one request up works: 0.1 s to 2 s of the rate covers what APIs run (a burst of a
 * tenth of a second is a strict pacer, two seconds a generous bucket).
 *
 * @since 0.1.0
 */
import type { QuotaView } from "./quota.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface HiddenBucket {
  /** Sustained rate, tokens per second. */
  readonly rate: number
  /** Capacity (tokens available at once). */
  readonly burst: number
  readonly tokens: number
  readonly updatedAt: number
}

/**
 * A full bucket at `now`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (rate: number, burst: number, now: number): HiddenBucket => ({
  rate,
  burst,
  tokens: burst,
  updatedAt: now
})

/**
 * The bucket brought up to `now` (a clock going backwards refills nothing).
 *
 * @since 0.1.0
 * @category math
 */
export const refill = (b: HiddenBucket, now: number): HiddenBucket => {
  if (now <= b.updatedAt) return b
  return { ...b, tokens: Math.min(b.burst, b.tokens + (b.rate * (now - b.updatedAt)) / 1000), updatedAt: now }
}

/**
 * Try to take one token at `now`: the new bucket and whether the request is admitted.
 *
 * @since 0.1.0
 * @category math
 */
export const take = (b: HiddenBucket, now: number): readonly [HiddenBucket, boolean] => {
  const r = refill(b, now)
  // A millionth of a token absorbs float error at the instant one completes (epoch ms near 1e12 are
  // only exact to ~1e-4 ms), so a client that waits exactly `msUntilToken` is admitted.
  return r.tokens >= 1 - 1e-6 ? [{ ...r, tokens: r.tokens - 1 }, true] : [r, false]
}

/**
 * Change the limit at `now`, keeping the tokens earned so far (capped at the new burst).
 *
 * @since 0.1.0
 * @category math
 */
export const setLimit = (b: HiddenBucket, rate: number, burst: number, now: number): HiddenBucket => {
  const r = refill(b, now)
  return { rate, burst, tokens: Math.min(burst, r.tokens), updatedAt: r.updatedAt }
}

/**
 * Milliseconds until one token is available (0 when one is).
 *
 * @since 0.1.0
 * @category math
 */
export const msUntilToken = (b: HiddenBucket, now: number): number => {
  const r = refill(b, now)
  // One microsecond more than exact: at epoch ms near 1e12 a float instant is only exact to ~1e-4 ms,
  // so the exact instant can land a hair early (seen with fast-check: rate 21.26, t = 5.5e11).
  return r.tokens >= 1 ? 0 : ((1 - r.tokens) / r.rate) * 1000 + 1e-3
}

/**
 * Milliseconds until the bucket is full again: the "reset" the simulated API reports in its headers.
 *
 * @since 0.1.0
 * @category math
 */
export const msUntilFull = (b: HiddenBucket, now: number): number => {
  const r = refill(b, now)
  return Math.max(0, ((r.burst - r.tokens) / r.rate) * 1000)
}

/**
 * The bucket reported as a quota of `burst` requests fully restored after {@link msUntilFull}, its
 * policy window the time the rate takes to fill it (at least 1 s).
 *
 * @since 0.1.0
 * @category math
 */
export const view = (b: HiddenBucket, now: number): QuotaView => {
  const r = refill(b, now)
  return {
    limit: Math.floor(r.burst),
    remaining: Math.max(0, Math.floor(r.tokens + 1e-9)),
    resetMs: msUntilFull(r, now),
    windowS: Math.max(1, Math.round(r.burst / r.rate))
  }
}
