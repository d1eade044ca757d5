/**
 * The counters behind `RateLimiter.stats`, kept the same way by every limiter, and the permit an
 * admission yields.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration } from "effect"
import type { Permit } from "./RateLimiter.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Counters {
  acquired: number
  /** Admissions that had to wait. */
  waited: number
  totalWaitMs: number
  rejected: number
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const makeCounters = (): Counters => ({ acquired: 0, waited: 0, totalWaitMs: 0, rejected: 0 })

const NO_WAIT = Duration.zero

/**
 * Count an admission that waited `waitedMs` and build its permit.
 *
 * @since 0.1.0
 * @category permits
 */
export const admit = (
  counters: Counters,
  key: string,
  costs: Readonly<Record<string, number>>,
  waitedMs: number
): Permit => {
  counters.acquired++
  if (waitedMs > 0) {
    counters.waited++
    counters.totalWaitMs += waitedMs
  }
  return { key, costs, waited: waitedMs > 0 ? Duration.millis(waitedMs) : NO_WAIT }
}
