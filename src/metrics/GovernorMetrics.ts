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
import { Array as Arr, Duration, Effect, FiberRef, Metric, MetricBoundaries, MetricLabel } from "effect"
import type { StaleReason } from "../cache/status.js"

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

const seconds = (d: Duration.DurationInput): number => Duration.toMillis(Duration.decode(d)) / 1000

// The registry caches a metric's hook by the identity of its label array, so every helper updates
// with label arrays kept per API (and extra labels): a fresh array per update (what `Metric.tagged`
// does, merging with the fiber's labels) means a key hash and a registry lookup each time.
const labelArrays = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
const labelsFor = (api: string, ...extra: ReadonlyArray<readonly [string, string]>): ReadonlyArray<MetricLabel.MetricLabel> => {
  const k = extra.length === 0 ? api : `${api}\u0000${extra.map(([key, value]) => `${key}=${value}`).join("\u0000")}`
  let labels = labelArrays.get(k)
  if (labels === undefined) {
    labels = [MetricLabel.make("api", api), ...extra.map(([key, value]) => MetricLabel.make(key, value))]
    labelArrays.set(k, labels)
  }
  return labels
}

/**
 * Metric updates of one API for the request hot path: plain calls, no Effect built. `labels` are the
 * calling fiber's own metric labels (`Effect.tagMetrics`, usually none), added as `Metric.update`
 * would. The label arrays are kept per API because the registry caches a metric's hook by the
 * identity of its label array: a fresh array per update means a key hash and a registry lookup.
 *
 * @since 0.1.0
 */
export interface ApiRecorder {
  readonly request: (
    outcome: RequestOutcome,
    status: number | undefined,
    seconds: number,
    labels: ReadonlyArray<MetricLabel.MetricLabel>
  ) => void
  readonly rateLimited: (labels: ReadonlyArray<MetricLabel.MetricLabel>) => void
  readonly limiterWait: (seconds: number, labels: ReadonlyArray<MetricLabel.MetricLabel>) => void
}

const withFiberLabels = (
  own: ReadonlyArray<MetricLabel.MetricLabel>,
  fiber: ReadonlyArray<MetricLabel.MetricLabel>
): ReadonlyArray<MetricLabel.MetricLabel> => fiber.length === 0 ? own : Arr.union(own, fiber)

const recorders = new Map<string, ApiRecorder>()

/**
 * The recorder of `api` (one per API name, kept for the life of the process like the metrics).
 *
 * @since 0.1.0
 */
export const recorderFor = (api: string): ApiRecorder => {
  const known = recorders.get(api)
  if (known !== undefined) return known
  const apiLabels = labelsFor(api)
  // Per request: a lookup in a small map of its own rather than a JSON key.
  const requestLabels = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
  const requestLabelsOf = (outcome: RequestOutcome, cls: string) => {
    const k = `${outcome}|${cls}`
    let labels = requestLabels.get(k)
    if (labels === undefined) {
      labels = labelsFor(api, ["outcome", outcome], ["status_class", cls])
      requestLabels.set(k, labels)
    }
    return labels
  }
  const recorder: ApiRecorder = {
    request: (outcome, status, secs, labels) => {
      GovernorMetrics.requests.unsafeUpdate(1, withFiberLabels(requestLabelsOf(outcome, statusClass(status)), labels))
      GovernorMetrics.requestDuration.unsafeUpdate(secs, withFiberLabels(apiLabels, labels))
    },
    rateLimited: (labels) => GovernorMetrics.rateLimited.unsafeUpdate(1, withFiberLabels(apiLabels, labels)),
    limiterWait: (secs, labels) => GovernorMetrics.limiterWait.unsafeUpdate(secs, withFiberLabels(apiLabels, labels))
  }
  recorders.set(api, recorder)
  return recorder
}

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
