/**
 * The governor's Effect `Metric`s, every one tagged with the API name (`api` label), and small
 * recording helpers the client calls. Durations are recorded in seconds (Prometheus convention).
 *
 * | metric                                   | type      | labels                          |
 * |------------------------------------------|-----------|---------------------------------|
 * | `governor_requests_total`                | counter   | api, outcome, status_class      |
 * | `governor_rate_limited_total` (429s)     | counter   | api                             |
 * | `governor_retries_total`                 | counter   | api                             |
 * | `governor_retry_delay_seconds`           | histogram | api                             |
 * | `governor_request_duration_seconds`      | histogram | api                             |
 * | `governor_limiter_wait_seconds`          | histogram | api                             |
 * | `governor_adaptive_rate`                 | gauge     | api (requests per second)       |
 * | `governor_limiter_tokens`                | gauge     | api, limit                      |
 * | `governor_cooldown_active`               | gauge     | api (0 / 1)                     |
 * | `governor_cache_hits_total` / `_misses_total` / `_evictions_total` | counter | api     |
 * | `governor_cache_stale_total` (answers from a stale entry) | counter | api, reason (`while-revalidate` / `if-error`) |
 * | `governor_breaker_state`                 | gauge     | api (0 closed, 1 half-open, 2 open) |
 * | `governor_breaker_trips_total`           | counter   | api                             |
 * | `governor_limiter_redis_timeouts_total`  | counter   | operation (no api: one Redis limiter serves many) |
 *
 * @since 0.1.0
 */
import { Duration, Effect, FiberRef, Metric, MetricLabel } from "effect"
import type { StaleReason } from "../cache/status.js"
import { GovernorMetrics, type RequestOutcome } from "./definitions.js"
import { labelsFor, recorderFor, withFiberLabels } from "./recorder.js"

export { GovernorMetrics, outcomeOfStatus, type RequestOutcome, requestOutcomes, statusClass } from "./definitions.js"

const seconds = (d: Duration.DurationInput): number => Duration.toMillis(Duration.decode(d)) / 1000

const recordWith = (f: (labels: ReadonlyArray<MetricLabel.MetricLabel>) => void): Effect.Effect<void> =>
  FiberRef.getWith(FiberRef.currentMetricLabels, (labels) => Effect.sync(() => f(labels)))

/** `Metric.update` of `metric` for `api` (plus `extra` labels), with the fiber's labels as usual. */
const updateFor = <Type, In, Out>(
  metric: Metric.Metric<Type, In, Out>,
  api: string,
  value: In,
  ...extra: ReadonlyArray<readonly [string, string]>
): Effect.Effect<void> => recordWith((labels) => metric.unsafeUpdate(value, withFiberLabels(labelsFor(api, ...extra), labels)))

/**
 * Records a finished logical request: the counter by outcome and status class, and the duration.
 *
 * @since 0.1.0
 */
export const recordRequest = (
  api: string,
  result: {
    readonly outcome: RequestOutcome
    readonly status?: number | undefined
    readonly duration: Duration.DurationInput
  }
): Effect.Effect<void> =>
  recordWith((labels) => recorderFor(api).request(result.outcome, result.status, seconds(result.duration), labels))

/**
 * Records one HTTP 429 response (call it for every attempt that got one).
 *
 * @since 0.1.0
 */
export const recordRateLimited = (api: string): Effect.Effect<void> =>
  recordWith((labels) => recorderFor(api).rateLimited(labels))

/**
 * Records a scheduled retry and its delay.
 *
 * @since 0.1.0
 */
export const recordRetry = (api: string, delay: Duration.DurationInput): Effect.Effect<void> =>
  Effect.zipRight(
    updateFor(GovernorMetrics.retries, api, 1),
    updateFor(GovernorMetrics.retryDelay, api, seconds(delay))
  )

/**
 * Records the time a request waited for the rate limiter (zero included).
 *
 * @since 0.1.0
 */
export const recordLimiterWait = (api: string, wait: Duration.DurationInput): Effect.Effect<void> =>
  recordWith((labels) => recorderFor(api).limiterWait(seconds(wait), labels))

/**
 * Sets the current adaptive rate (requests per second).
 *
 * @since 0.1.0
 */
export const setAdaptiveRate = (api: string, perSecond: number): Effect.Effect<void> =>
  updateFor(GovernorMetrics.adaptiveRate, api, perSecond)

/**
 * Sets the tokens available in one limit of an API.
 *
 * @since 0.1.0
 */
export const setTokens = (api: string, limit: string, tokens: number): Effect.Effect<void> =>
  updateFor(GovernorMetrics.tokens, api, tokens, ["limit", limit])

/**
 * Sets whether a cooldown (Retry-After, exhausted rate-limit window) is active.
 *
 * @since 0.1.0
 */
export const setCooldown = (api: string, active: boolean): Effect.Effect<void> =>
  updateFor(GovernorMetrics.cooldownActive, api, active ? 1 : 0)

/**
 * Records a cache hit.
 *
 * @since 0.1.0
 */
export const recordCacheHit = (api: string): Effect.Effect<void> =>
  updateFor(GovernorMetrics.cacheHits, api, 1)

/**
 * Records a cache miss.
 *
 * @since 0.1.0
 */
export const recordCacheMiss = (api: string): Effect.Effect<void> =>
  updateFor(GovernorMetrics.cacheMisses, api, 1)

/**
 * Records an answer from a stale cache entry, by the response's `ResponseCache.staleReason`.
 *
 * @since 0.1.0
 */
export const recordCacheStale = (api: string, reason: StaleReason): Effect.Effect<void> =>
  updateFor(GovernorMetrics.cacheStale, api, 1, ["reason", reason])

/**
 * Records `count` cache evictions.
 *
 * @since 0.1.0
 */
export const recordCacheEvictions = (api: string, count = 1): Effect.Effect<void> =>
  updateFor(GovernorMetrics.cacheEvictions, api, count)

/**
 * Circuit breaker states as gauge values.
 *
 * @since 0.1.0
 */
export const breakerStateValue = { closed: 0, "half-open": 1, open: 2 } as const

/**
 * Sets the breaker state gauge; a transition to `open` also counts a trip when `trip` is true.
 *
 * @since 0.1.0
 */
export const setBreakerState = (
  api: string,
  state: keyof typeof breakerStateValue,
  options: { readonly trip?: boolean | undefined } = {}
): Effect.Effect<void> =>
  Effect.zipRight(
    updateFor(GovernorMetrics.breakerState, api, breakerStateValue[state]),
    options.trip === true ? updateFor(GovernorMetrics.breakerTrips, api, 1) : Effect.void
  )

const operationLabels = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()

/**
 * Counts a Redis rate-limiter call (`operation`: acquire, adjust, cooldown, rate, snapshot) that got
 * no answer within the command timeout. Not labelled by API: the Redis limiter store does not know
 * which client calls it (the fiber's own metric labels are added as usual).
 *
 * @since 0.1.0
 */
export const recordLimiterRedisTimeout = (operation: string): Effect.Effect<void> =>
  recordWith((labels) => {
    let own = operationLabels.get(operation)
    if (own === undefined) {
      own = [MetricLabel.make("operation", operation)]
      operationLabels.set(operation, own)
    }
    GovernorMetrics.limiterRedisTimeouts.unsafeUpdate(1, withFiberLabels(own, labels))
  })
