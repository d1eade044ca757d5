/**
 * A sliding-window log: the server keeps the time of every admitted request and admits a new one
 * only while fewer than `quota` lie in the last `windowMs` (a Redis sorted set per client is the usual
 * implementation). No boundary to straddle: in any window of that length, at most `quota` requests
 * are admitted. Pure; time is passed in as epoch ms. Rejected requests are not logged.
 *
 * @since 0.1.0
 */
import type { Decision, QuotaView } from "./quota.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface SlidingLog {
  readonly quota: number
  readonly windowMs: number
  /** Admission times still in the window, oldest first (at most `quota` of them once pruned). */
  readonly log: ReadonlyArray<number>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (quota: number, windowMs: number): SlidingLog => ({ quota, windowMs, log: [] })

/**
 * The log without the entries that left the window `(now - windowMs, now]`.
 *
 * @since 0.1.0
 * @category math
 */
export const prune = (s: SlidingLog, now: number): SlidingLog => {
  const edge = now - s.windowMs
  let i = 0
  while (i < s.log.length && s.log[i]! <= edge) i++
  return i === 0 ? s : { ...s, log: s.log.slice(i) }
}

/**
 * @since 0.1.0
 * @category math
 */
export const take = (s: SlidingLog, now: number): readonly [SlidingLog, Decision] => {
  const p = prune(s, now)
  if (p.log.length < p.quota) return [{ ...p, log: [...p.log, now] }, { admitted: true, retryAfterMs: 0 }]
  // The entry that must leave for one more to fit: with a quota lowered below the log's length, not the oldest.
  const blocking = p.log[p.log.length - p.quota]!
  return [p, { admitted: false, retryAfterMs: Math.max(0, blocking + p.windowMs - now) }]
}

/**
 * The quota, what is left of it, and the time until the newest entry leaves (the whole quota is back).
 *
 * @since 0.1.0
 * @category math
 */
export const view = (s: SlidingLog, now: number): QuotaView => {
  const p = prune(s, now)
  const newest = p.log[p.log.length - 1]
  return {
    limit: p.quota,
    remaining: Math.max(0, p.quota - p.log.length),
    resetMs: newest === undefined ? 0 : Math.max(0, newest + p.windowMs - now),
    windowS: Math.max(1, Math.ceil(p.windowMs / 1000))
  }
}

/**
 * A new quota, in force at once; the log is kept.
 *
 * @since 0.1.0
 * @category math
 */
export const setQuota = (s: SlidingLog, quota: number): SlidingLog => ({ ...s, quota })
