/**
 * `ApiConfig`: everything the governor needs to know about one upstream API, as a Schema that decodes
 * JSON-friendly input (numbers of milliseconds or strings like `"1 minute"` for durations) into typed
 * values. Every section is optional with safe, finite defaults, so `{ name, baseUrl }` is a full config.
 *
 * The token is never part of an `ApiConfig`: `auth` only says how to send it and which environment
 * variable holds it; the value enters as `Redacted` (see `tokenFromEnv`).
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Either, Layer, Schema } from "effect"
import {
  isErrorStatus,
  MAX_ADAPTIVE_RATE,
  MAX_BACKOFF_MULTIPLIER,
  MAX_BREAKER_COUNT,
  MAX_CACHE_BYTES,
  MAX_CACHE_ENTRIES,
  MAX_CACHE_TTL,
  MAX_CONCURRENT,
  MAX_ERROR_STATUS,
  MAX_LIMIT_AMOUNT,
  MAX_LIMIT_PERIOD,
  MAX_QUEUE,
  MAX_REQUEST_WAIT,
  MAX_RETRIES,
  MIN_ADAPTIVE_RATE,
  MIN_ERROR_STATUS,
  MIN_LIMIT_PERIOD
} from "../internal/bounds.js"
import * as BreakerDefaults from "../breaker/defaults.js"
import { durationUpTo, Fraction, intBetween, NonEmptyTrimmedString, numberBetween } from "../internal/schema.js"
import { CREDENTIAL_HEADERS } from "../internal/credentials.js"
import { isHeaderName } from "../internal/headerSyntax.js"
import { LimitFromJson, LimitList } from "../limiter/Limit.js"
import { MAX_PACING_MS } from "../limiter/pacing.js"
import { type InvalidConfig, fromParseError, singleIssue } from "./errors.js"

// ---------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------

const RetryCount = intBetween(0, MAX_RETRIES)

const BreakerCount = intBetween(1, MAX_BREAKER_COUNT)

// Only error statuses: retrying, or slowing down on, a success (`[200]`) is always a mistake.
const ErrorStatus = Schema.Number.pipe(
  Schema.filter(isErrorStatus, {
    message: (issue) =>
      `Expected an HTTP error status code (${MIN_ERROR_STATUS}-${MAX_ERROR_STATUS}), got ${String(issue.actual)}`
  })
)

const StatusList = Schema.Array(ErrorStatus)

/** A wait within one request: `>= 0` (or `> 0`), at most `MAX_REQUEST_WAIT`. */
const RequestWait = durationUpTo(MAX_REQUEST_WAIT)
const PositiveRequestWait = durationUpTo(MAX_REQUEST_WAIT, { positive: true })

/** Requests per second an adaptive rate may take: one a day to a million a second. */
const AdaptiveRate = numberBetween(MIN_ADAPTIVE_RATE, MAX_ADAPTIVE_RATE, { unit: "requests/s", minText: "1/86400 (one a day)" })

/** A server may pause a key until its quota resets, but never longer than the limiter accepts. */
const QuotaWait = durationUpTo(Duration.millis(MAX_PACING_MS), { positive: true })

const Multiplier = numberBetween(1, MAX_BACKOFF_MULTIPLIER)

// The ranges as the reference table shows them (descriptions are the README's source).
const WAIT_RANGE = `0 to ${Duration.format(MAX_REQUEST_WAIT)}`
const POSITIVE_WAIT_RANGE = `more than 0, at most ${Duration.format(MAX_REQUEST_WAIT)}`
const RATE_RANGE = `From one a day (1/86400) to ${MAX_ADAPTIVE_RATE}.`
const STATUS_RANGE = `${MIN_ERROR_STATUS}-${MAX_ERROR_STATUS}`
const COUNT_RANGE = `1 to ${MAX_BREAKER_COUNT}`

const HeaderName = Schema.String.pipe(
  Schema.filter((s) => isHeaderName(s), {
    message: (issue) => `Expected an HTTP header name (letters, digits, "-"...), got ${JSON.stringify(issue.actual)}`
  })
)

// The message never echoes the value: a header value may be a secret pasted by mistake.
const HeaderValue = Schema.String.pipe(
  Schema.filter((s) => !/[\r\n\0]/.test(s), {
    message: () => "Expected a header value without CR, LF or NUL characters"
  })
)

// Keys are checked by a filter rather than a refined key schema: with excess properties rejected, a bad key
// would otherwise be reported as merely "unexpected".
const Headers = Schema.Record({ key: Schema.String, value: HeaderValue }).pipe(
  Schema.filter((headers) => {
    const bad = Object.keys(headers).find((name) => !isHeaderName(name))
    return bad === undefined
      ? true
      : { path: [bad], message: `Expected an HTTP header name (letters, digits, "-"...), got ${JSON.stringify(bad)}` }
  })
)

// Upper case only: a token pasted here by mistake (ghp_…, sk_live_…) is then rejected instead of being
// used, and echoed, as a variable name. The message never repeats the value for the same reason.
const EnvVarName = Schema.String.pipe(
  Schema.filter((s) => /^[A-Z_][A-Z0-9_]*$/.test(s), {
    message: () =>
      "Expected the NAME of an environment variable (upper case letters, digits and _, e.g. NOTION_TOKEN), not the token itself"
  })
)

const BaseUrl = Schema.String.pipe(
  Schema.filter((s): Schema.FilterOutput => {
    let url: URL
    try {
      url = new URL(s)
    } catch {
      return `Expected an absolute http(s) URL such as "https://api.example.com/v1", got ${JSON.stringify(s)}`
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return `Expected an http or https URL, got protocol ${JSON.stringify(url.protocol)}`
    }
    // Credentials in the URL would end up in logs and cache keys; they belong in `auth`.
    if (url.username !== "" || url.password !== "") {
      return "baseUrl must not contain credentials (user:password@); use the auth section and an environment variable"
    }
    if (url.search !== "" || url.hash !== "") {
      return "baseUrl must not contain a query string or fragment"
    }
    return true
  })
).annotations({ identifier: "BaseUrl" })

// ---------------------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------------------

/**
 * A limit as written in a config file (shorthand or full form); see `Limit.LimitFromJson`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LimitJson = LimitFromJson

/** @since 0.1.0 */
export type { LimitJsonEncoded, LimitShorthandEncoded } from "../limiter/Limit.js"

// ---------------------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------------------

const AdaptiveSection = Schema.Struct({
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
  Schema.filter((a): Schema.FilterOutput => {
    // Unset bounds default relative to initialRate (see the descriptions), which always satisfy these.
    const minRate = a.minRate ?? a.initialRate / 100
    const maxRate = a.maxRate ?? a.initialRate * 10
    if (minRate > maxRate) {
      return { path: ["minRate"], message: `minRate ${minRate} must be <= maxRate ${maxRate}` }
    }
    if (a.initialRate < minRate) {
      return { path: ["initialRate"], message: `initialRate ${a.initialRate} must be >= minRate ${minRate}` }
    }
    if (a.initialRate > maxRate) {
      return { path: ["initialRate"], message: `initialRate ${a.initialRate} must be <= maxRate ${maxRate}` }
    }
    return true
  })
)

const RetrySection = Schema.Struct({
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
  jitter: Schema.optionalWith(Schema.Literal("none", "full", "proportional"), { exact: true, default: () => "full" })
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
  idempotencyKey: Schema.optionalWith(Schema.Literal("none", "generate"), { exact: true, default: () => "none" })
    .annotations({
      description: "\"generate\": add one Idempotency-Key to non-idempotent requests, reused on every attempt."
    })
}).pipe(
  Schema.filter((r) =>
    Duration.lessThanOrEqualTo(r.initialDelay, r.maxDelay)
      ? true
      : {
        path: ["maxDelay"],
        message: `maxDelay (${Duration.format(r.maxDelay)}) must be >= initialDelay (${Duration.format(r.initialDelay)})`
      }
  )
)

const BreakerSection = Schema.Struct({
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
  Schema.filter((b) =>
    b.minimumCalls === undefined || b.minimumCalls <= b.windowSize
      ? true
      : { path: ["minimumCalls"], message: `minimumCalls ${b.minimumCalls} must be <= windowSize ${b.windowSize}` }
  )
)

const BulkheadSection = Schema.Struct({
  maxConcurrent: Schema.optionalWith(intBetween(1, MAX_CONCURRENT), { exact: true }).annotations({
    description: `Requests in flight at once (1 to ${MAX_CONCURRENT}; unlimited when absent).`
  }),
  maxQueue: Schema.optionalWith(intBetween(0, MAX_QUEUE), { exact: true, default: () => 100 }).annotations({
    description: `Requests waiting for a slot (0 to ${MAX_QUEUE}); when full, calls fail at once instead of queueing.`
  })
})

const CacheSection = Schema.Struct({
  enabled: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false }).annotations({
    description: "Cache responses of safe methods (GET, HEAD)."
  }),
  store: Schema.optionalWith(Schema.Literal("memory", "file", "redis"), { exact: true, default: () => "memory" })
    .annotations({ description: "Where entries live." }),
  directory: Schema.optionalWith(NonEmptyTrimmedString, { exact: true }).annotations({
    description: "Cache directory; required when store is \"file\"."
  }),
  defaultTtl: Schema.optionalWith(durationUpTo(MAX_CACHE_TTL), { exact: true, default: () => Duration.minutes(1) })
    .annotations({
      description: `Freshness of a response that carries no Cache-Control/Expires (at most ${Duration.format(MAX_CACHE_TTL)}).`
    }),
  maxEntries: Schema.optionalWith(intBetween(1, MAX_CACHE_ENTRIES), { exact: true, default: () => 1000 }).annotations({
    description: `Entries kept before least-recently-used eviction (1 to ${MAX_CACHE_ENTRIES}).`
  }),
  maxBytes: Schema.optionalWith(intBetween(1, MAX_CACHE_BYTES), { exact: true, default: () => 50 * 1024 * 1024 }).annotations({
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
  staleWhileRevalidate: Schema.optionalWith(durationUpTo(MAX_CACHE_TTL), { exact: true, default: () => Duration.zero })
    .annotations({
      description: "RFC 5861 stale-while-revalidate for responses that state none: past freshness, answer from the " +
        "entry at once (x-cache: STALE) and refresh it in the background. 0 is off; never against must-revalidate, " +
        "no-cache or no-store."
    }),
  staleIfError: Schema.optionalWith(durationUpTo(MAX_CACHE_TTL), { exact: true, default: () => Duration.zero })
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

const TimeoutsSection = Schema.Struct({
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
        message: `attempt timeout (${Duration.format(t.attempt)}) must be <= overall (${Duration.format(t.overall)})`
      }
  )
)

const AuthSection = Schema.Struct({
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

const LOG_LEVELS = ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"] as const

const LoggingSection = Schema.Struct({
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

const ThrottleSection = Schema.Union(
  Schema.Struct({
    threshold: Schema.optionalWith(Fraction, { exact: true, default: () => 0.8 }).annotations({
      description: "Fraction (0, 1] of a bucket's capacity in use beyond which requests are spread out evenly."
    })
  }),
  Schema.Literal(false)
)

/**
 * Header names that carry credentials. They may not appear in `headers`: the token comes from the
 * environment through `auth`, never from the config file.
 */
const CREDENTIAL_HEADER_SET: ReadonlySet<string> = new Set(CREDENTIAL_HEADERS)

const section = <S extends Schema.Schema.AnyNoContext>(schema: S, description: string) =>
  Schema.optionalWith(schema, {
    exact: true,
    default: () => Schema.decodeUnknownSync(schema)({}) as Schema.Schema.Type<S>
  }).annotations({ description })

const ApiConfigSchema = Schema.Struct({
  name: Schema.propertySignature(NonEmptyTrimmedString).annotations({
    description: "Name of the API; the key in the registry, metrics and logs."
  }),
  baseUrl: Schema.propertySignature(BaseUrl).annotations({
    description: "Absolute http(s) URL that request paths are resolved against."
  }),
  limits: Schema.optionalWith(LimitList, { exact: true, default: () => [] }).annotations({
    description:
      `Token buckets: \`{ name, limit, per: "second"|"minute"|"hour"|"day", burst?, window? }\` or \`{ name, capacity, refillAmount, refillPeriod, window? }\`; unique names. Capacity (burst) 1 to ${MAX_LIMIT_AMOUNT} tokens, refillPeriod ${
        Duration.format(MIN_LIMIT_PERIOD)
      } to ${Duration.format(MAX_LIMIT_PERIOD)}, refilling at least one token per ${Duration.format(MAX_LIMIT_PERIOD)}.`
  }),
  adaptive: section(AdaptiveSection, "Adaptive rate (AIMD); minRate <= initialRate <= maxRate."),
  retry: section(RetrySection, "Retry policy."),
  breaker: section(BreakerSection, "Circuit breaker."),
  bulkhead: section(BulkheadSection, "Concurrency limit with a bounded wait queue."),
  cache: section(CacheSection, "Response cache."),
  timeouts: section(TimeoutsSection, "Timeouts; attempt <= overall."),
  headers: Schema.optionalWith(Headers, {
    exact: true,
    default: () => ({})
  }).annotations({ description: "Headers sent with every request (no credentials: use auth)." }),
  auth: Schema.optionalWith(AuthSection, { exact: true }).annotations({
    description: "How the token is sent; the token itself comes from the environment as a Redacted value."
  }),
  logging: section(LoggingSection, "Redacting request/response logger."),
  documentedLimit: Schema.optionalWith(Schema.String, { exact: true, default: () => "" }).annotations({
    description: "What the vendor documents about its limits, and where (free text)."
  }),
  throttle: Schema.optionalWith(ThrottleSection, { exact: true, default: () => ({ threshold: 0.8 }) }).annotations({
    description: "Spread requests out when a bucket runs low, or false to let bursts through."
  }),
  minInterval: Schema.optionalWith(RequestWait, { exact: true, default: () => Duration.zero }).annotations({
    description: `Minimum spacing between two requests (${WAIT_RANGE}).`
  })
}).pipe(
  Schema.filter((config): Schema.FilterOutput => {
    const authHeader = config.auth?.header.toLowerCase()
    for (const name of Object.keys(config.headers)) {
      const lower = name.toLowerCase()
      if (CREDENTIAL_HEADER_SET.has(lower) || lower === authHeader) {
        // Never echo the value: it is probably a secret.
        return {
          path: ["headers", name],
          message:
            `credentials must not be stored in the config: remove header ${JSON.stringify(name)} and use the auth section (the token comes from an environment variable)`
        }
      }
    }
    return true
  })
).annotations({
  identifier: "ApiConfig",
  description: "Configuration of one upstream API.",
  // Typos ("maxRetires") are errors, not silently ignored keys; every problem is reported at once.
  parseOptions: { onExcessProperty: "error", errors: "all" }
})

/**
 * The decoded, typed config of one API.
 *
 * @since 0.1.0
 * @category models
 */
export interface ApiConfig extends Schema.Schema.Type<typeof ApiConfigSchema> {}

/**
 * The JSON-friendly input form of an {@link ApiConfig} (what config files contain, what encoding produces).
 *
 * @since 0.1.0
 * @category models
 */
export interface ApiConfigEncoded extends Schema.Schema.Encoded<typeof ApiConfigSchema> {}

/**
 * The `ApiConfig` schema: decodes {@link ApiConfigEncoded} (JSON) into {@link ApiConfig}. Unknown keys are
 * errors and every issue is reported.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { ApiConfig } from "effect-governor"
 * const config = Schema.decodeUnknownSync(ApiConfig.ApiConfig)({ name: "acme", baseUrl: "https://api.acme.test" })
 * config.retry.maxRetries // 3
 * ```
 * @since 0.1.0
 * @category schemas
 */
export const ApiConfig: Schema.Schema<ApiConfig, ApiConfigEncoded> = ApiConfigSchema

/**
 * Section types, for consumers that take one section.
 *
 * @since 0.1.0
 * @category models
 */
export type AdaptiveSettings = ApiConfig["adaptive"]
/** @since 0.1.0 @category models */
export type RetrySettings = ApiConfig["retry"]
/** @since 0.1.0 @category models */
export type BreakerSettings = ApiConfig["breaker"]
/** @since 0.1.0 @category models */
export type BulkheadSettings = ApiConfig["bulkhead"]
/** @since 0.1.0 @category models */
export type CacheSettings = ApiConfig["cache"]
/** @since 0.1.0 @category models */
export type TimeoutSettings = ApiConfig["timeouts"]
/** @since 0.1.0 @category models */
export type AuthSettings = NonNullable<ApiConfig["auth"]>
/** @since 0.1.0 @category models */
export type LoggingSettings = ApiConfig["logging"]
/** @since 0.1.0 @category models */
export type ThrottleSettings = ApiConfig["throttle"]

/**
 * Decode untrusted input (parsed JSON, an object literal) into an `ApiConfig`. `source` labels the
 * error (a file path, `"env"`, …).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (input: unknown, source = "input"): Effect.Effect<ApiConfig, InvalidConfig> =>
  typeof input !== "object" || input === null || Array.isArray(input)
    ? Effect.fail(
      singleIssue(source, [], `Expected a JSON object with at least "name" and "baseUrl", got ${describe(input)}`)
    )
    : Schema.decodeUnknown(ApiConfig)(input).pipe(Effect.mapError((error) => fromParseError(source, error)))

const describe = (u: unknown): string => (u === null ? "null" : Array.isArray(u) ? "an array" : typeof u)

/**
 * Encode a config back to its JSON-friendly form (durations in milliseconds, limits in full form).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (config: ApiConfig): Effect.Effect<ApiConfigEncoded, InvalidConfig> =>
  Schema.encode(ApiConfig)(config).pipe(Effect.mapError((error) => fromParseError("encode", error)))

/**
 * Synchronous constructor from the JSON-friendly form. Throws the `InvalidConfig` itself on invalid input
 * (like `Limit.perSecond` and the other limit constructors); use {@link decode} for untrusted input.
 *
 * @example
 * ```ts
 * import { ApiConfig } from "effect-governor"
 * const config = ApiConfig.make({ name: "acme", baseUrl: "https://api.acme.test", retry: { maxRetries: 5 } })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: ApiConfigEncoded): ApiConfig =>
  Either.getOrThrowWith(Effect.runSync(Effect.either(decode(input, "ApiConfig.make"))), (error) => error)

/**
 * Is this value already a decoded, valid `ApiConfig` (durations as `Duration`, limits as `Limit`)?
 *
 * @since 0.1.0
 * @category guards
 */
export const isApiConfig: (u: unknown) => u is ApiConfig = Schema.is(Schema.typeSchema(ApiConfig))

/**
 * Accept either a decoded `ApiConfig` (validated again) or its JSON-friendly form (decoded).
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromUnknown = (input: unknown, source = "input"): Effect.Effect<ApiConfig, InvalidConfig> =>
  isApiConfig(input) ? Effect.succeed(input) : decode(input, source)

// ---------------------------------------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------------------------------------

/**
 * The config the current program runs with.
 *
 * @since 0.1.0
 * @category context
 */
export class CurrentApiConfig extends Context.Tag("effect-governor/CurrentApiConfig")<CurrentApiConfig, ApiConfig>() {}

/**
 * Provide an already decoded config.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: ApiConfig): Layer.Layer<CurrentApiConfig> => Layer.succeed(CurrentApiConfig, config)

/**
 * Decode untrusted input (parsed JSON) and provide it; fails the layer with an `InvalidConfig`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromJson = (input: unknown, source = "input"): Layer.Layer<CurrentApiConfig, InvalidConfig> =>
  Layer.effect(CurrentApiConfig, fromUnknown(input, source))
