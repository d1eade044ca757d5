/**
 * The sane ranges of every number and duration a user can configure, in one place so the config schema
 * and the programmatic options (`RetryPolicy.make`, `CircuitBreaker.make`, `Bulkhead.make`, limiter calls)
 * refuse the same nonsense. Each bound is generous for real APIs and documented in the README; a value
 * outside it is a typo or a unit mistake (`"36500 days"`, `1e300`), not a need.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration } from "effect"

/** Largest bucket, in tokens: LLM token quotas per day reach billions; 1e12 keeps costs of 1 exact. */
export const MAX_LIMIT_AMOUNT = 1e12

/** Longest refill period of a limit: yearly quotas exist; `"36500 days"` does not. */
export const MAX_LIMIT_PERIOD = Duration.days(366)

/** Shortest refill period of a limit. */
export const MIN_LIMIT_PERIOD = Duration.millis(1)

/**
 * Longest wait within one request: timeouts, retry delays and budgets, an honoured Retry-After, the
 * breaker's recovery, the minimum spacing. A daily quota of 1 is reached within it.
 */
export const MAX_REQUEST_WAIT = Duration.days(1)

/** Longest default cache freshness (a year, like the longest `max-age` in practice). */
export const MAX_CACHE_TTL = Duration.days(366)

/** Slowest adaptive rate: one request a day. */
export const MIN_ADAPTIVE_RATE = 1 / 86_400

/** Fastest adaptive rate, in requests per second. */
export const MAX_ADAPTIVE_RATE = 1_000_000

/** Most retries of one request: a config can never ask for an endless loop. */
export const MAX_RETRIES = 100

/** Largest exponential backoff growth factor (any larger reaches maxDelay at the first retry anyway). */
export const MAX_BACKOFF_MULTIPLIER = 100

/** Largest breaker count (threshold, window, probes): the window is kept in memory. */
export const MAX_BREAKER_COUNT = 10_000

/** Largest bulkhead concurrency. */
export const MAX_CONCURRENT = 100_000

/** Largest bulkhead queue (each waiter is a suspended fiber). */
export const MAX_QUEUE = 1_000_000

/** Largest cache size in entries. */
export const MAX_CACHE_ENTRIES = 10_000_000

/** Largest cache size in bytes (1 TiB). */
export const MAX_CACHE_BYTES = 2 ** 40

/** Statuses that can mean "retry" or "slow down": client and server errors only, never a success. */
export const MIN_ERROR_STATUS = 400
export const MAX_ERROR_STATUS = 599

/** Is `n` an error status (400-599)? */
export const isErrorStatus = (n: unknown): boolean =>
  typeof n === "number" && Number.isInteger(n) && n >= MIN_ERROR_STATUS && n <= MAX_ERROR_STATUS
