/**
 * Client statistics as in the seeds: totals, retries, breaker trips and the delays of the last
 * request's retries. Pure accumulation; the client keeps one value in a Ref.
 *
 * @since 0.1.0
 */
import { Duration } from "effect"

/**
 * @since 0.1.0
 * @category models
 */
export interface ClientStats {
  readonly totalRequests: number
  readonly successful: number
  readonly failed: number
  readonly totalRetries: number
  /** totalRetries / totalRequests (0 when nothing was sent). */
  readonly averageRetries: number
  readonly rateLimited: number
  readonly cacheHits: number
  readonly breakerTrips: number
  /** Delays (ms) slept before each retry of the most recent request that finished. */
  readonly lastRetryDelaysMs: ReadonlyArray<number>
}

/** @since 0.1.0 */
export const emptyStats: ClientStats = {
  totalRequests: 0,
  successful: 0,
  failed: 0,
  totalRetries: 0,
  averageRetries: 0,
  rateLimited: 0,
  cacheHits: 0,
  breakerTrips: 0,
  lastRetryDelaysMs: []
}

/**
 * One finished logical request (all its attempts).
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestOutcome {
  readonly ok: boolean
  readonly retryDelays: ReadonlyArray<Duration.Duration | number>
  readonly rateLimitedResponses: number
  readonly cacheHit: boolean
}

const noDelays: ReadonlyArray<number> = []

const toMs = (d: Duration.Duration | number): number => typeof d === "number" ? d : Duration.toMillis(d)

/**
 * @since 0.1.0
 * @category combinators
 */
export const record = (stats: ClientStats, outcome: RequestOutcome): ClientStats => {
  const totalRequests = stats.totalRequests + 1
  const totalRetries = stats.totalRetries + outcome.retryDelays.length
  // Every field spelled out: this runs once per request, and V8's spread-with-overrides is slow.
  return {
    totalRequests,
    successful: stats.successful + (outcome.ok ? 1 : 0),
    failed: stats.failed + (outcome.ok ? 0 : 1),
    totalRetries,
    averageRetries: totalRetries / totalRequests,
    rateLimited: stats.rateLimited + outcome.rateLimitedResponses,
    cacheHits: stats.cacheHits + (outcome.cacheHit ? 1 : 0),
    breakerTrips: stats.breakerTrips,
    lastRetryDelaysMs: outcome.retryDelays.length === 0 ? noDelays : outcome.retryDelays.map(toMs)
  }
}
