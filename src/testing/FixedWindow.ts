/**
 * A fixed-window counter, as the in-memory stores of common Node middleware (express-rate-limit,
 * @fastify/rate-limit) and `INCR key:<window>` Redis recipes run it: at most `quota` requests per
 * window, the count reset to zero on the window's boundary. Pure; time is passed in as epoch ms.
 *
 * - `anchor: "first-request"`: a window opens at the first request after the previous one ended
 *   (express-rate-limit, @fastify/rate-limit).
 * - `anchor: "clock"`: windows are aligned to multiples of the window length since the epoch
 *   (`floor(now / window)`, the Redis recipe), so a burst may straddle a boundary and get twice the
 *   quota in a short time: that is the family's well-known edge.
 *
 * Rejected requests cost nothing. A clock going backwards never resets a window.
 *
 * @since 0.1.0
 */
import type { Decision, QuotaView } from "./quota.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Anchor = "first-request" | "clock"

/**
 * @since 0.1.0
 * @category models
 */
export interface FixedWindow {
  /** Requests admitted per window. */
  readonly quota: number
  readonly windowMs: number
  readonly anchor: Anchor
  /** Start of the current window (`-Infinity` before the first one). */
  readonly start: number
  /** Requests admitted in the current window. */
  readonly count: number
}

/**
 * No window open yet.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (quota: number, windowMs: number, anchor: Anchor): FixedWindow => ({
  quota,
  windowMs,
  anchor,
  start: -Infinity,
  count: 0
})

const startAt = (w: FixedWindow, now: number): number =>
  w.anchor === "clock" ? Math.floor(now / w.windowMs) * w.windowMs : now

/**
 * The window in force at `now`: the current one, or a fresh one when it has ended.
 *
 * @since 0.1.0
 * @category math
 */
export const roll = (w: FixedWindow, now: number): FixedWindow =>
  now >= w.start + w.windowMs ? { ...w, start: startAt(w, now), count: 0 } : w

/**
 * @since 0.1.0
 * @category math
 */
export const take = (w: FixedWindow, now: number): readonly [FixedWindow, Decision] => {
  const r = roll(w, now)
  if (r.count < r.quota) return [{ ...r, count: r.count + 1 }, { admitted: true, retryAfterMs: 0 }]
  return [r, { admitted: false, retryAfterMs: Math.max(0, r.start + r.windowMs - now) }]
}

/**
 * What the middleware reports: the window's quota, what is left of it, and the time to its end.
 * With no window open, a `"first-request"` window would last its whole length from now.
 *
 * @since 0.1.0
 * @category math
 */
export const view = (w: FixedWindow, now: number): QuotaView => {
  const open = now < w.start + w.windowMs
  const end = open ? w.start + w.windowMs : startAt(w, now) + w.windowMs
  return {
    limit: w.quota,
    remaining: Math.max(0, w.quota - (open ? w.count : 0)),
    resetMs: Math.max(0, end - now),
    windowS: Math.max(1, Math.ceil(w.windowMs / 1000))
  }
}

/**
 * A new quota, in force at once; the current window keeps its count and its end.
 *
 * @since 0.1.0
 * @category math
 */
export const setQuota = (w: FixedWindow, quota: number): FixedWindow => ({ ...w, quota })
