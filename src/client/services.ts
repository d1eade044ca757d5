/**
 * Config to services: each part of the client is the one in the environment when the program
 * provides it (a Redis `RateLimiter`, a shared `CircuitBreaker`, a file `ResponseCache`, …), else
 * built from its section of the `ApiConfig` (or absent when the section is off).
 *
 * @since 0.1.0
 * @internal
 */
import { FileSystem } from "@effect/platform"
import { type Context, Effect, Exit, LogLevel, Option, Predicate, type Redacted, Stream } from "effect"
import * as Adaptive from "../adaptive/AdaptiveController.js"
import * as Breaker from "../breaker/CircuitBreaker.js"
import * as Bulkhead from "../bulkhead/Bulkhead.js"
import { makeFileStore } from "../cache/FileStore.js"
import { makeMemoryStore } from "../cache/MemoryStore.js"
import * as Cache from "../cache/ResponseCache.js"
import type { ApiConfig } from "../config/ApiConfig.js"
import { InvalidConfig as ConfigError } from "../config/errors.js"
import { CREDENTIAL_HEADERS } from "../internal/credentials.js"
import type { Limit } from "../limiter/Limit.js"
import { makeMemory } from "../limiter/memory.js"
import { RateLimiter, type RateLimiterShape } from "../limiter/RateLimiter.js"
import * as Redaction from "../logging/Redaction.js"
import * as Metrics from "../metrics/GovernorMetrics.js"
import * as RetryPolicy from "../retry/RetryPolicy.js"
import * as DeadlineTimer from "./DeadlineTimer.js"
import * as Observer from "./Observer.js"

/**
 * The parts of one client.
 *
 * @since 0.1.0
 * @internal
 */
export interface Parts {
  readonly limiter: RateLimiterShape
  /** Limits passed on every call: a provided limiter (e.g. Redis) does not know this API's. */
  readonly perCallLimits: ReadonlyArray<Limit> | undefined
  readonly adaptive: Adaptive.AdaptiveControllerShape | null
  readonly breaker: Breaker.CircuitBreakerShape | null
  readonly bulkhead: Bulkhead.BulkheadShape | null
  readonly cache: Cache.ResponseCacheService | null
  readonly timer: DeadlineTimer.DeadlineTimerShape
  /** Whether the adaptive controller was built here (then the client primes it). */
  readonly ownAdaptive: boolean
}

/** The provided service of `tag`, else `build` (`null` when its section is off). */
const providedOr = <I, S, E, R>(
  tag: Context.Tag<I, S>,
  build: Effect.Effect<S | null, E, R>
): Effect.Effect<S | null, E, R> =>
  Effect.flatMap(Effect.serviceOption(tag), (found) => Option.isSome(found) ? Effect.succeed(found.value) : build)

/**
 * The config's adaptive section as controller options (`useHeaders` → `respectHeaders`), with the
 * bounds on server-imposed waits: the retry section's `maxRetryAfter` caps a Retry-After cooldown too.
 */
const adaptiveOptions = (config: ApiConfig): Adaptive.Options => ({
  initialRate: config.adaptive.initialRate,
  minRate: config.adaptive.minRate,
  maxRate: config.adaptive.maxRate,
  backoffStatuses: config.adaptive.backoffStatuses,
  respectHeaders: config.adaptive.useHeaders,
  maxRetryAfter: config.retry.maxRetryAfter,
  maxQuotaWait: config.adaptive.maxQuotaWait
})

const breakerFor = (config: ApiConfig) =>
  Breaker.make({
    name: config.name,
    failureThreshold: config.breaker.failureThreshold,
    failureRate: config.breaker.failureRate,
    windowSize: config.breaker.windowSize,
    minimumCalls: config.breaker.minimumCalls,
    successThreshold: config.breaker.successThreshold,
    recoveryTimeout: config.breaker.recoveryTimeout,
    halfOpenMaxProbes: config.breaker.halfOpenMaxProbes,
    // With the adaptive controller on, a backoff status (429, and 503 by default: nginx answers
    // congestion with bare 503s) is pacing feedback the controller acts on, not a sign the API is
    // broken: a burst of them at the wall must not open the circuit (measured: nginx-style 503s
    // with a doubled documented rate kept it open, 0% goodput). Other 5xx still count.
    classify: config.adaptive.enabled
      ? (exit) =>
        Exit.isSuccess(exit) && Predicate.hasProperty(exit.value, "status") &&
          config.adaptive.backoffStatuses.includes(exit.value.status as number)
          ? "ignore"
          : Breaker.defaultClassify(exit)
      : undefined
  })

const cacheStoreError = (config: ApiConfig, expected: string) =>
  new ConfigError({ source: `ApiConfig "${config.name}"`, path: "cache.store", segments: ["cache", "store"], expected, issues: [] })

/**
 * The headers that carry this API's credentials: the built-in list plus `auth.header` and
 * `logging.redactHeaders`, the same exact names the logger masks (its substring rules stay its own).
 */
const credentialHeadersOf = (config: ApiConfig): ReadonlyArray<string> =>
  Array.from(
    new Set(
      [...CREDENTIAL_HEADERS, ...(config.auth === undefined ? [] : [config.auth.header]), ...config.logging.redactHeaders]
        .map((name) => name.toLowerCase())
    )
  )

/**
 * The cache the config asks for: "file" needs a `FileSystem` in the environment, "redis" a provided
 * `ResponseCache` built on the Redis store. Either way the token is a known secret of this client's
 * calls: a response echoing it is never stored.
 */
const buildCache = (config: ApiConfig, token: Option.Option<Redacted.Redacted<string>>) =>
  Effect.gen(function*() {
    const provided = yield* Effect.serviceOption(Cache.ResponseCache)
    if (Option.isSome(provided)) return Cache.withKnownSecrets(provided.value, Option.toArray(token))
    const c = config.cache
    if (!c.enabled) return null
    const options: Cache.ResponseCacheOptions = {
      policy: {
        shared: c.shared,
        defaultTtl: c.defaultTtl,
        allowSetCookie: c.cacheSetCookie,
        staleWhileRevalidate: c.staleWhileRevalidate,
        staleIfError: c.staleIfError
      },
      vary: c.varyHeaders,
      credentialHeaders: credentialHeadersOf(config),
      knownSecrets: Option.toArray(token)
    }
    if (c.store === "memory") {
      return yield* Cache.make(yield* makeMemoryStore({ maxEntries: c.maxEntries, maxBytes: c.maxBytes }), options)
    }
    if (c.store === "file") {
      const fs = yield* Effect.serviceOption(FileSystem.FileSystem)
      if (Option.isNone(fs) || c.directory === undefined) {
        return yield* cacheStoreError(config, "store \"file\" needs `cache.directory` and a FileSystem layer (NodeFileSystem.layer)")
      }
      const store = yield* makeFileStore({ directory: c.directory }).pipe(Effect.provideService(FileSystem.FileSystem, fs.value))
      return yield* Cache.make(store, options)
    }
    return yield* cacheStoreError(config, "store \"redis\" needs a ResponseCache layer on the Redis store in the environment")
  })

/**
 * The parts of a client for `config`, provided ones first.
 *
 * @since 0.1.0
 * @internal
 */
export const parts = (
  config: ApiConfig,
  token: Option.Option<Redacted.Redacted<string>>,
  adaptiveStore: Adaptive.ControllerStore | undefined
) =>
  Effect.gen(function*() {
    const providedLimiter = yield* Effect.serviceOption(RateLimiter)
    const limiter: RateLimiterShape = Option.isSome(providedLimiter) ? providedLimiter.value : yield* makeMemory({
      limits: config.limits,
      throttle: config.throttle === false ? false : { threshold: config.throttle.threshold },
      minInterval: config.minInterval
    })
    const providedAdaptive = yield* Effect.serviceOption(Adaptive.AdaptiveController)
    const adaptive = Option.isSome(providedAdaptive) ? providedAdaptive.value : config.adaptive.enabled
      ? yield* (adaptiveStore !== undefined
        ? Adaptive.makeWithStore(adaptiveOptions(config), adaptiveStore)
        : Adaptive.make(adaptiveOptions(config))).pipe(Effect.provideService(RateLimiter, limiter))
      : null
    const parts: Parts = {
      limiter,
      perCallLimits: Option.isSome(providedLimiter) && config.limits.length > 0 ? config.limits : undefined,
      adaptive,
      breaker: yield* providedOr(Breaker.CircuitBreaker, config.breaker.enabled ? breakerFor(config) : Effect.succeed(null)),
      bulkhead: yield* providedOr(
        Bulkhead.Bulkhead,
        config.bulkhead.maxConcurrent !== undefined
          ? Bulkhead.make({ maxConcurrent: config.bulkhead.maxConcurrent, maxQueue: config.bulkhead.maxQueue })
          : Effect.succeed(null)
      ),
      cache: yield* buildCache(config, token),
      timer: (yield* providedOr(DeadlineTimer.DeadlineTimer, DeadlineTimer.make))!,
      ownAdaptive: Option.isNone(providedAdaptive) && adaptive !== null
    }
    return parts
  })

const LOG_LEVEL_LITERALS = {
  all: "All",
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warning: "Warning",
  error: "Error",
  fatal: "Fatal",
  none: "None"
} as const satisfies Record<ApiConfig["logging"]["level"], LogLevel.Literal>

/**
 * This API's request/response lines: redacted with the config's extra rules and mask, the token as a
 * known secret wherever it appears, and filtered by the config's level on top of the program's.
 *
 * @since 0.1.0
 * @internal
 */
export const observerFor = (config: ApiConfig, token: Option.Option<Redacted.Redacted<string>>): Observer.Observer =>
  Observer.make({
    api: config.name,
    level: LogLevel.fromLiteral(LOG_LEVEL_LITERALS[config.logging.level]),
    redaction: Redaction.make({
      mask: config.logging.maskStyle,
      rules: {
        headers: [...config.logging.redactHeaders, ...(config.auth === undefined ? [] : [config.auth.header])],
        queryParams: config.logging.redactQueryParams,
        secrets: Option.toArray(token)
      },
      requestLog: { bodies: config.logging.bodies }
    })
  })

/**
 * @since 0.1.0
 * @internal
 */
export const retryPolicyFor = (config: ApiConfig, decide: RetryPolicy.RetryPolicyOptions["decide"]) =>
  RetryPolicy.make({
    maxRetries: config.retry.maxRetries,
    initialDelay: config.retry.initialDelay,
    maxDelay: config.retry.maxDelay,
    multiplier: config.retry.multiplier,
    jitter: config.retry.jitter,
    totalBudget: config.retry.totalBudget,
    retryOnStatus: config.retry.retryOnStatus,
    retryOnTransport: config.retry.retryOnTransport,
    respectRetryAfter: config.retry.respectRetryAfter,
    maxRetryAfter: config.retry.maxRetryAfter,
    retryNonIdempotent: config.retry.retryNonIdempotent,
    idempotencyKey: config.retry.idempotencyKey,
    decide
  })

// What runs alongside the client: the adaptive controller's initial rate, the breaker's state as metrics.
/**
 * @since 0.1.0
 * @internal
 */
export const start = (api: string, parts: Parts) =>
  Effect.gen(function*() {
    if (parts.ownAdaptive && parts.adaptive !== null) {
      // Best effort: with a store that is down right now (Redis), the first response applies the rate.
      yield* parts.adaptive.prime(api).pipe(
        Effect.catchAll((e) => Effect.logWarning("adaptive controller could not apply the initial rate", e))
      )
    }
    if (parts.breaker !== null) {
      yield* Metrics.setBreakerState(api, "closed")
      const changes = yield* parts.breaker.subscribe
      yield* changes.pipe(
        Stream.runForEach((change) => Metrics.setBreakerState(api, change.to, { trip: change.to === "open" })),
        Effect.forkScoped
      )
    }
  })

