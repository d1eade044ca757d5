/**
 * The sections of an `ApiConfig` (adaptive, retry, breaker, bulkhead, cache, timeouts, auth,
 * logging, throttle): each a Schema with its defaults, bounds and cross-field checks.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Schema } from "effect"
import {
  MAX_BACKOFF_MULTIPLIER,
  MAX_CACHE_ENTRIES,
  MAX_CACHE_TTL,
  MAX_CONCURRENT,
  MAX_QUEUE,
  MAX_RETRIES
} from "../internal/bounds.js"
import { AdaptiveRate, rateOrderCheck } from "../adaptive/options.js"
import * as BreakerDefaults from "../breaker/defaults.js"
import { BreakerCount, minimumCallsCheck } from "../breaker/options.js"
import { MaxConcurrent, MaxQueue } from "../bulkhead/Bulkhead.js"
import { CacheTtlJson, MaxBytes, MaxEntries } from "../cache/fields.js"
import { formatDuration } from "../internal/duration.js"
import { Fraction, HeaderName, NonEmptyTrimmedString, StatusList } from "../internal/schema.js"
import { delayOrderCheck, IdempotencyKeyMode, JitterMode, Multiplier, RetryCount } from "../retry/options.js"
import {
  COUNT_RANGE,
  EnvVarName,
  POSITIVE_WAIT_RANGE,
  PositiveRequestWait,
  QuotaWait,
  RATE_RANGE,
  RequestWait,
  STATUS_RANGE,
  WAIT_RANGE
} from "./internal/fieldSchemas.js"

// The fields of `AdaptiveOptionsSchema` that a config sets, with JSON durations.
export const AdaptiveSection = Schema.Struct({
  enabled: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false }).annotations({
    description: "Learn the rate the API accepts (AIMD) instead of only enforcing the configured limits."
  }),
  initialRate: Schema.optionalWith(AdaptiveRate, { exact: true, default: () => 5 }).annotations({
    description: `Starting rate in requests per second. ${RATE_RANGE}`
  }),
  minRate: Schema.optionalWith(AdaptiveRate, { exact: true }).annotations({
    description: `Lowest rate (requests/s) a decrease may reach. Default initialRate / 100. ${RATE_RANGE}`
  }),
  maxRate: Schema.optionalWith(AdaptiveRate, { exact: true }).annotations({
    description:
      `Highest rate (requests/s) probing may reach: how far above the documented limit it looks. Default 10 × initialRate. ${RATE_RANGE}`
  }),
  backoffStatuses: Schema.optionalWith(StatusList, { exact: true, default: () => [429, 503] }).annotations({
    description: `Statuses that mean "slow down" (${STATUS_RANGE}).`
  }),
  useHeaders: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true }).annotations({
    description: "Pace by X-RateLimit-* / IETF RateLimit headers when the API sends them."
  }),
  maxQuotaWait: Schema.optionalWith(QuotaWait, { exact: true, default: () => Duration.days(1) }).annotations({
    description:
      "Longest pause until a quota reset stated by rate-limit headers (at most 31 days): a reset further ahead is logged and ignored, and the header pace is never slower than one request per this."
  })
}).pipe(
  // Unset bounds default relative to initialRate (see the descriptions), which always satisfy the rule.
  Schema.filter((a) => rateOrderCheck(a.initialRate, a.minRate ?? a.initialRate / 100, a.maxRate ?? a.initialRate * 10))
)

// The fields of `RetryPolicyOptionsSchema` with the config's own defaults (initialDelay 500 ms where
// `RetryPolicy.make` takes 250 ms, ...) and JSON durations, totalBudget above 0: kept as they were (issue 14).
export const RetrySection = Schema.Struct({
  maxRetries: Schema.optionalWith(RetryCount, { exact: true, default: () => 3 }).annotations({
    description: `Retries after the first attempt (0 disables retries; at most ${MAX_RETRIES}).`
  }),
  initialDelay: Schema.optionalWith(RequestWait, { exact: true, default: () => Duration.millis(500) })
    .annotations({ description: `Backoff before the first retry (${WAIT_RANGE}).` }),
  maxDelay: Schema.optionalWith(RequestWait, { exact: true, default: () => Duration.seconds(30) }).annotations({
    description: `Upper bound of a single computed backoff delay (${WAIT_RANGE}).`
  }),
  multiplier: Schema.optionalWith(Multiplier, { exact: true, default: () => 2 }).annotations({
    description: `Growth factor of the exponential backoff (1 to ${MAX_BACKOFF_MULTIPLIER}).`
  }),
  jitter: Schema.optionalWith(JitterMode, { exact: true, default: () => "full" })
    .annotations({
      description: "\"full\": random delay in [0, d]; \"proportional\": d ± a fraction; \"none\": exactly d."
    }),
  totalBudget: Schema.optionalWith(PositiveRequestWait, { exact: true, default: () => Duration.minutes(1) })
    .annotations({ description: `Total time all retries of one request may spend waiting (${POSITIVE_WAIT_RANGE}).` }),
  retryOnStatus: Schema.optionalWith(StatusList, {
    exact: true,
    default: () => [408, 425, 429, 500, 502, 503, 504]
  }).annotations({ description: `Statuses that are retried (${STATUS_RANGE}); other statuses never are.` }),
  retryOnTransport: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true }).annotations({
    description: "Retry transient transport errors (connection reset/refused, timeouts)."
  }),
  respectRetryAfter: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true }).annotations({
    description: "A Retry-After header (seconds or HTTP-date) replaces the computed delay."
  }),
  maxRetryAfter: Schema.optionalWith(RequestWait, { exact: true, default: () => Duration.minutes(2) })
    .annotations({ description: `Longest Retry-After honoured; larger values are capped to this (${WAIT_RANGE}).` }),
  retryNonIdempotent: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false }).annotations({
    description: "Retry POST/PATCH even without an Idempotency-Key."
  }),
  idempotencyKey: Schema.optionalWith(IdempotencyKeyMode, { exact: true, default: () => "none" })
    .annotations({
      description: "\"generate\": add one Idempotency-Key to non-idempotent requests, reused on every attempt."
    })
}).pipe(
  Schema.filter((r) => delayOrderCheck(r.initialDelay, r.maxDelay))
)

// The fields of `CircuitBreakerOptionsSchema` with the config's own defaults: successThreshold 2 (two
// good probes before a deployed client trusts the API again) where `CircuitBreaker.make` takes 1, and a
// recoveryTimeout above 0 where the options also accept 0. Both kept as they were (issue 14).
export const BreakerSection = Schema.Struct({
  enabled: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true }).annotations({
    description: "Use a circuit breaker for this API."
  }),
  failureThreshold: Schema.optionalWith(BreakerCount, { exact: true, default: () => BreakerDefaults.FAILURE_THRESHOLD })
    .annotations({
      description:
        `Consecutive failures that open the circuit (${COUNT_RANGE}). The default is high enough that random errors never reach it: it catches a total outage.`
    }),
  failureRate: Schema.optionalWith(Fraction, { exact: true, default: () => BreakerDefaults.FAILURE_RATE }).annotations({
    description:
      "Also open when this fraction (0, 1] of the last windowSize calls failed (1: only when all of them did). With the defaults, 20% random failures never open the circuit."
  }),
  windowSize: Schema.optionalWith(BreakerCount, { exact: true, default: () => BreakerDefaults.WINDOW_SIZE }).annotations({
    description: `Calls in the sliding window used by failureRate (${COUNT_RANGE}).`
  }),
  minimumCalls: Schema.optionalWith(BreakerCount, { exact: true }).annotations({
    description:
      `Calls needed in the window before failureRate is evaluated (1 to windowSize). Default ${BreakerDefaults.MINIMUM_CALLS}, or windowSize when smaller.`
  }),
  successThreshold: Schema.optionalWith(BreakerCount, { exact: true, default: () => 2 }).annotations({
    description: `Successful probes in half-open that close the circuit (${COUNT_RANGE}).`
  }),
  recoveryTimeout: Schema.optionalWith(PositiveRequestWait, { exact: true, default: () => Duration.seconds(30) })
    .annotations({ description: `Time open before the circuit lets probes through (half-open; ${POSITIVE_WAIT_RANGE}).` }),
  halfOpenMaxProbes: Schema.optionalWith(BreakerCount, { exact: true, default: () => 1 }).annotations({
    description: `Probes allowed in flight at once while half-open (${COUNT_RANGE}).`
  })
}).pipe(
  Schema.filter((b) => minimumCallsCheck(b.windowSize, b.minimumCalls))
)

// The fields of `BulkheadOptionsSchema`; maxConcurrent is optional here (absent: no bulkhead) where `Bulkhead.make` needs it.
export const BulkheadSection = Schema.Struct({
  maxConcurrent: Schema.optionalWith(MaxConcurrent, { exact: true }).annotations({
    description: `Requests in flight at once (1 to ${MAX_CONCURRENT}; unlimited when absent).`
  }),
  maxQueue: Schema.optionalWith(MaxQueue, { exact: true, default: () => 100 }).annotations({
    description: `Requests waiting for a slot (0 to ${MAX_QUEUE}); when full, calls fail at once instead of queueing.`
  })
})

// The fields of the cache's option schemas (`ResponseCacheOptionsSchema`, `MemoryStoreOptionsSchema`,
// `FileStoreOptionsSchema`) with the config's own defaults (maxBytes 50 MiB where the memory store takes
// 64 MiB, defaultTtl 1 minute where the policy takes 0) and JSON durations.
export const CacheSection = Schema.Struct({
  enabled: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false }).annotations({
    description: "Cache responses of safe methods (GET, HEAD)."
  }),
  store: Schema.optionalWith(Schema.Literal("memory", "file", "redis"), { exact: true, default: () => "memory" })
    .annotations({ description: "Where entries live." }),
  directory: Schema.optionalWith(NonEmptyTrimmedString, { exact: true }).annotations({
    description: "Cache directory; required when store is \"file\"."
  }),
  defaultTtl: Schema.optionalWith(CacheTtlJson, { exact: true, default: () => Duration.minutes(1) })
    .annotations({
      description: `Freshness of a response that carries no Cache-Control/Expires (at most ${Duration.format(MAX_CACHE_TTL)}).`
    }),
  maxEntries: Schema.optionalWith(MaxEntries, { exact: true, default: () => 1000 }).annotations({
    description: `Entries kept before least-recently-used eviction (1 to ${MAX_CACHE_ENTRIES}).`
  }),
  maxBytes: Schema.optionalWith(MaxBytes, { exact: true, default: () => 50 * 1024 * 1024 }).annotations({
    description: `Total body bytes kept before least-recently-used eviction (1 to 2^40, 1 TiB).`
  }),
  shared: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false }).annotations({
    description: "Shared cache: responses marked Cache-Control: private are not stored."
  }),
  cacheSetCookie: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false }).annotations({
    description: "Store responses that carry Set-Cookie."
  }),
  varyHeaders: Schema.optionalWith(Schema.Array(HeaderName), { exact: true, default: () => [] }).annotations({
    description: "Request headers that are part of the cache key in addition to the response's Vary."
  }),
  staleWhileRevalidate: Schema.optionalWith(CacheTtlJson, { exact: true, default: () => Duration.zero })
    .annotations({
      description: "RFC 5861 stale-while-revalidate for responses that state none: past freshness, answer from the " +
        "entry at once (x-cache: STALE) and refresh it in the background. 0 is off; never against must-revalidate, " +
        "no-cache or no-store."
    }),
  staleIfError: Schema.optionalWith(CacheTtlJson, { exact: true, default: () => Duration.zero })
    .annotations({
      description: "RFC 5861 stale-if-error for responses that state none: past freshness, answer from the entry " +
        "when the request fails (retries exhausted, 429/5xx, circuit open, deadline). 0 is off; same limits."
    })
}).pipe(
  Schema.filter((c) =>
    c.store === "file" && c.directory === undefined
      ? { path: ["directory"], message: "directory is required when store is \"file\"" }
      : true
  )
)

export const TimeoutsSection = Schema.Struct({
  attempt: Schema.optionalWith(PositiveRequestWait, { exact: true, default: () => Duration.seconds(30) }).annotations({
    description: `Timeout of one attempt (one HTTP exchange; ${POSITIVE_WAIT_RANGE}).`
  }),
  overall: Schema.optionalWith(PositiveRequestWait, { exact: true, default: () => Duration.minutes(2) }).annotations({
    description: `Deadline of a whole request: limiter waits, attempts, retries and backoff (${POSITIVE_WAIT_RANGE}).`
  })
}).pipe(
  Schema.filter((t) =>
    Duration.lessThanOrEqualTo(t.attempt, t.overall)
      ? true
      : {
        path: ["attempt"],
        message: `attempt timeout (${formatDuration(t.attempt)}) must be <= overall (${formatDuration(t.overall)})`
      }
  )
)

export const AuthSection = Schema.Struct({
  scheme: Schema.Literal("bearer", "header").annotations({
    description: "\"bearer\": `<header>: Bearer <token>`; \"header\": `<header>: <token>`."
  }),
  header: Schema.optionalWith(HeaderName, { exact: true, default: () => "Authorization" }).annotations({
    description: "Header that carries the token."
  }),
  env: Schema.optionalWith(EnvVarName, { exact: true }).annotations({
    description: "Environment variable holding the token (default GOVERNOR_<NAME>_TOKEN). Never the token itself."
  }),
  optional: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false }).annotations({
    description:
      "The API also works without a token: an unset or empty variable sends no credential instead of failing client construction with MissingToken."
  })
})

export const LOG_LEVELS = ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"] as const

export const LoggingSection = Schema.Struct({
  level: Schema.optionalWith(Schema.Literal(...LOG_LEVELS), { exact: true, default: () => "all" }).annotations({
    description:
      "Minimum level of this API's request/response lines, on top of the program's own minimum (it can only make them quieter; \"all\" adds no filter)."
  }),
  bodies: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false }).annotations({
    description: "Log request bodies (text and JSON, redacted) on the debug request line; response bodies are never read for logging."
  }),
  maskStyle: Schema.optionalWith(Schema.Literal("full", "partial", "hash"), { exact: true, default: () => "full" })
    .annotations({
      description: "\"full\": [REDACTED]; \"partial\": first/last 4 chars of long values; \"hash\": short fingerprint."
    }),
  redactHeaders: Schema.optionalWith(Schema.Array(HeaderName), { exact: true, default: () => [] }).annotations({
    description: "Extra credential header names, on top of the built-in list: masked in logs and partitioning the response cache."
  }),
  redactQueryParams: Schema.optionalWith(Schema.Array(NonEmptyTrimmedString), { exact: true, default: () => [] })
    .annotations({ description: "Extra query parameter names to redact, on top of the built-in list." })
})

export const ThrottleSection = Schema.Union(
  Schema.Struct({
    threshold: Schema.optionalWith(Fraction, { exact: true, default: () => 0.8 }).annotations({
      description: "Fraction (0, 1] of a bucket's capacity in use beyond which requests are spread out evenly."
    })
  }),
  Schema.Literal(false)
)
