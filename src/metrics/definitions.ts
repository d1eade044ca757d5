/**
 * The governor's metrics and the request outcome they are labelled with (re-exported by
 * `GovernorMetrics`, which documents them); kept apart so the client's fast path (`recorder.ts`) and
 * the Effect recorders both build on them without an import cycle.
 *
 * @since 0.1.0
 * @internal
 */
import { Metric, MetricBoundaries } from "effect"

/**
 * How a logical request (all its attempts) ended.
 *
 * @since 0.1.0
 */
export type RequestOutcome =
  | "success" // 1xx-3xx
  | "client_error" // 4xx other than 429
  | "rate_limited" // 429 after retries ran out
  | "server_error" // 5xx
  | "transport_error" // no response
  | "timeout"
  | "circuit_open" // refused by the breaker
  | "limiter_rejected" // refused by the rate limiter (maxWait exceeded)

/**
 * Every outcome.
 *
 * @since 0.1.0
 */
export const requestOutcomes: ReadonlyArray<RequestOutcome> = [
  "success",
  "client_error",
  "rate_limited",
  "server_error",
  "transport_error",
  "timeout",
  "circuit_open",
  "limiter_rejected"
]

/**
 * The status class label: `"2xx"` for 200-299 …, `"none"` without a status, `"invalid"` for a
 * number outside 100-599.
 *
 * @since 0.1.0
 */
export const statusClass = (status: number | undefined): string => {
  if (status === undefined) return "none"
  if (!Number.isInteger(status) || status < 100 || status > 599) return "invalid"
  return `${Math.floor(status / 100)}xx`
}

/**
 * The outcome implied by a final status (for callers that only have a status).
 *
 * @since 0.1.0
 */
export const outcomeOfStatus = (status: number): RequestOutcome =>
  status === 429 ? "rate_limited" : status >= 500 ? "server_error" : status >= 400 ? "client_error" : "success"

const latencyBuckets = MetricBoundaries.fromIterable([
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60
])
const delayBuckets = MetricBoundaries.fromIterable([0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300])
const waitBuckets = MetricBoundaries.fromIterable([0, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])

/**
 * The metrics (untagged; the helpers add the `api` label).
 *
 * @since 0.1.0
 */
export const GovernorMetrics = {
  requests: Metric.counter("governor_requests_total", {
    description: "Logical requests by final outcome and status class",
    incremental: true
  }),
  rateLimited: Metric.counter("governor_rate_limited_total", {
    description: "HTTP 429 responses received (every attempt)",
    incremental: true
  }),
  retries: Metric.counter("governor_retries_total", { description: "Retries scheduled", incremental: true }),
  retryDelay: Metric.histogram("governor_retry_delay_seconds", delayBuckets, "Delay before each retry"),
  requestDuration: Metric.histogram(
    "governor_request_duration_seconds",
    latencyBuckets,
    "Duration of logical requests, all attempts and waits included"
  ),
  limiterWait: Metric.histogram("governor_limiter_wait_seconds", waitBuckets, "Time spent waiting for the rate limiter"),
  adaptiveRate: Metric.gauge("governor_adaptive_rate", {
    description: "Current adaptive request rate (requests per second)"
  }),
  tokens: Metric.gauge("governor_limiter_tokens", { description: "Tokens currently available in a limit" }),
  cooldownActive: Metric.gauge("governor_cooldown_active", {
    description: "1 while a Retry-After / rate-limit cooldown is active"
  }),
  cacheHits: Metric.counter("governor_cache_hits_total", { description: "Response cache hits", incremental: true }),
  cacheMisses: Metric.counter("governor_cache_misses_total", {
    description: "Response cache misses",
    incremental: true
  }),
  cacheStale: Metric.counter("governor_cache_stale_total", {
    description: "Response cache answers from a stale entry (RFC 5861), by reason: while-revalidate or if-error",
    incremental: true
  }),
  cacheEvictions: Metric.counter("governor_cache_evictions_total", {
    description: "Response cache evictions",
    incremental: true
  }),
  breakerState: Metric.gauge("governor_breaker_state", {
    description: "Circuit breaker state: 0 closed, 1 half-open, 2 open"
  }),
  breakerTrips: Metric.counter("governor_breaker_trips_total", {
    description: "Circuit breaker transitions to open",
    incremental: true
  }),
  limiterRedisTimeouts: Metric.counter("governor_limiter_redis_timeouts_total", {
    description: "Redis rate-limiter calls Redis did not answer within the command timeout (decided by onUnavailable)",
    incremental: true
  })
} as const
