/**
 * The resilient client: an ordinary `HttpClient` from `@effect/platform` that, per request, runs
 *
 * ```
 * cache (safe methods) → [ breaker admits → bulkhead → limiter acquires → send → feedback ] × retry schedule
 * ```
 *
 * all under an overall deadline. Each part is a service built from the per-API config, or taken from
 * the environment when the program provides its own (e.g. a Redis `RateLimiter`, a file
 * `ResponseCache`), so tests and production swap any one of them.
 *
 * @since 0.1.0
 */
import { FileSystem, type HttpBody, HttpClient, HttpClientError, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import {
  Cause,
  Clock,
  Config,
  Context,
  DefaultServices,
  Duration,
  Effect,
  Exit,
  FiberRef,
  Layer,
  LogLevel,
  type MetricLabel,
  Option,
  type ParseResult,
  Predicate,
  Redacted,
  Runtime,
  type Scope,
  Stream,
  Tracer
} from "effect"
import * as Adaptive from "../adaptive/AdaptiveController.js"
import * as Breaker from "../breaker/CircuitBreaker.js"
import type { CircuitOpenError, InvalidCircuitBreakerOptions } from "../breaker/errors.js"
import * as Bulkhead from "../bulkhead/Bulkhead.js"
import * as DeadlineTimer from "./DeadlineTimer.js"
import * as AbortableSend from "./abortableSend.js"
import { MissingToken, RefusedUrl } from "./errors.js"
import * as Origin from "./origin.js"
import * as RedactErrors from "./redactErrors.js"
import { type BulkheadFull, DeadlineExceeded, type InvalidBulkheadOptions } from "../bulkhead/errors.js"
import * as Timeouts from "../bulkhead/timeouts.js"
import { type CacheStoreError, type InvalidCacheOptions } from "../cache/CacheStore.js"
import { makeFileStore } from "../cache/FileStore.js"
import { makeMemoryStore } from "../cache/MemoryStore.js"
import * as Cache from "../cache/ResponseCache.js"
import { CREDENTIAL_HEADERS } from "../internal/credentials.js"
import type { ApiConfig, ApiConfigEncoded } from "../config/ApiConfig.js"
import * as ApiConfigModule from "../config/ApiConfig.js"
import * as ConfigRegistry from "../config/ConfigRegistry.js"
import { InvalidConfig as ConfigError, UnknownApiConfig } from "../config/errors.js"
import * as Loader from "../config/load.js"
import * as Presets from "../config/presets.js"
import type { AcquireError } from "../limiter/errors.js"
import { makeMemory } from "../limiter/memory.js"
import { type Cost, RateLimiter, type RateLimiterShape } from "../limiter/RateLimiter.js"
import * as KnownSecrets from "../logging/KnownSecrets.js"
import { defaultRedactor } from "../logging/redact.js"
import * as Redaction from "../logging/Redaction.js"
import * as RequestLog from "../logging/RequestLog.js"
import * as Metrics from "../metrics/GovernorMetrics.js"
import * as Tracing from "../metrics/Tracing.js"
import type { InvalidRetryPolicy, RetriesExhausted } from "../retry/errors.js"
import * as RetryPolicy from "../retry/RetryPolicy.js"
import { type RetryEvent, retryRequest } from "../retry/retryRequest.js"
import * as Stats from "./stats.js"

/**
 * Every error the governor adds to the transport's `HttpClientError`.
 *
 * @since 0.1.0
 * @category errors
 */
export type GovernorError =
  | AcquireError
  | CircuitOpenError
  | BulkheadFull
  | DeadlineExceeded
  | RetriesExhausted<unknown>
  | Timeouts.AttemptTimeout
  | RefusedUrl

/** @since 0.1.0 */
export { MissingToken, RefusedUrl }

/** What a request through the composed client can fail with. */
type SendError = HttpClientError.HttpClientError | GovernorError

/** What one attempt can fail with. */
type AttemptError = HttpClientError.HttpClientError | AcquireError | DeadlineExceeded | Timeouts.AttemptTimeout

const GOVERNOR_TAGS: ReadonlySet<string> = new Set([
  "RateLimitExceeded",
  "CostExceedsCapacity",
  "InvalidCost",
  "RateLimiterUnavailable",
  "CircuitOpenError",
  "BulkheadFull",
  "DeadlineExceeded",
  "RetriesExhausted",
  "AttemptTimeout",
  "RefusedUrl"
])

/**
 * @since 0.1.0
 * @category guards
 */
export const isGovernorError = (u: unknown): u is GovernorError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && GOVERNOR_TAGS.has(u._tag)

/**
 * Options that only make sense in code (functions, secrets), next to the data-only `ApiConfig`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResilientClientOptions {
  /** Credential sent as configured by `config.auth` (default `Authorization: Bearer …`). */
  readonly token?: Redacted.Redacted<string> | undefined
  /** Limiter key of a request (entity/resource buckets). Default: the API name. */
  readonly key?: ((request: HttpClientRequest.HttpClientRequest) => string) | undefined
  /** Limiter cost of a request (e.g. `{ rpm: 1, tpm: estimate }`). Default 1. */
  readonly cost?: ((request: HttpClientRequest.HttpClientRequest) => Cost) | undefined
  /** Custom retry decision hook (see `RetryPolicyOptions.decide`). */
  readonly decide?: RetryPolicy.RetryPolicyOptions["decide"]
  /** Store for the adaptive controller's learned rate (e.g. Redis, shared by all workers). */
  readonly adaptiveStore?: Adaptive.ControllerStore | undefined
}

/**
 * Everything the client did and knows, as plain data.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientSnapshot {
  readonly api: string
  readonly stats: Stats.ClientStats
  readonly limiter: import("../limiter/RateLimiter.js").LimiterSnapshot
  readonly adaptive: Adaptive.Snapshot | null
  readonly breaker: Breaker.BreakerSnapshot | null
  readonly cache: Cache.ResponseCacheStats | null
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ResilientClientService {
  readonly config: ApiConfig
  /** The composed client, with the governor's typed errors. */
  readonly client: HttpClient.HttpClient.With<HttpClientError.HttpClientError | GovernorError>
  readonly limiter: RateLimiterShape
  readonly adaptive: Adaptive.AdaptiveControllerShape | null
  readonly breaker: Breaker.CircuitBreakerShape | null
  readonly cache: Cache.ResponseCacheService | null
  readonly stats: Effect.Effect<Stats.ClientStats>
  readonly snapshot: (key?: string) => Effect.Effect<ClientSnapshot, AcquireError>
  /** Fill the cache with these requests ahead of use; they go through the limiter. */
  readonly prewarm: (
    requests: Iterable<HttpClientRequest.HttpClientRequest>
  ) => Effect.Effect<Cache.PrewarmReport<unknown> | null>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class ResilientClient extends Context.Tag("effect-governor/ResilientClient")<
  ResilientClient,
  ResilientClientService
>() {}


/**
 * Resolve the token: the explicit option, else the variable named by `auth.env` (default
 * `GOVERNOR_<NAME>_TOKEN`). With `auth` configured, an unset or empty variable fails construction,
 * unless `auth.optional`: requests must never go out silently unauthenticated.
 */
const resolveToken = (
  config: ApiConfig,
  options: ResilientClientOptions
): Effect.Effect<Option.Option<Redacted.Redacted<string>>, MissingToken> => {
  if (options.token !== undefined) return Effect.succeed(Option.some(options.token))
  const auth = config.auth
  if (auth === undefined) return Effect.succeed(Option.none())
  const variable = auth.env ?? Loader.defaultTokenVariable(config.name)
  return Effect.flatMap(Effect.option(Config.redacted(variable)), (found) => {
    if (Option.isSome(found) && Redacted.value(found.value).trim() !== "") return Effect.succeed(found)
    return auth.optional
      ? Effect.succeed(Option.none())
      : Effect.fail(new MissingToken({ api: config.name, variable, reason: Option.isNone(found) ? "Unset" : "Empty" }))
  })
}

const authorize = (config: ApiConfig, token: Option.Option<Redacted.Redacted<string>>) =>
(request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest => {
  if (Option.isNone(token)) return request
  const auth = config.auth ?? { scheme: "bearer" as const, header: "Authorization" }
  const value = Redacted.value(token.value)
  return HttpClientRequest.setHeader(request, auth.header, auth.scheme === "bearer" ? `Bearer ${value}` : value)
}

/**
 * Invalid options of one of the parts, found while building the client.
 *
 * @since 0.1.0
 * @category errors
 */
export type GovernorSetupError =
  | ParseResult.ParseError
  | InvalidRetryPolicy
  | InvalidCircuitBreakerOptions
  | Adaptive.InvalidAdaptiveOptions
  | InvalidBulkheadOptions
  | InvalidCacheOptions
  | CacheStoreError
  | ConfigError
  | MissingToken

const cacheStoreError = (config: ApiConfig, expected: string) =>
  new ConfigError({
    source: `ApiConfig "${config.name}"`,
    path: "cache.store",
    segments: ["cache", "store"],
    expected,
    issues: []
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

/** The metrics outcome of a failed logical request. */
const outcomeOfError = (error: unknown): Metrics.RequestOutcome => {
  const tag = Predicate.hasProperty(error, "_tag") ? error._tag : undefined
  switch (tag) {
    case "CircuitOpenError":
      return "circuit_open"
    case "RateLimitExceeded":
    case "CostExceedsCapacity":
    case "BulkheadFull":
      return "limiter_rejected"
    case "AttemptTimeout":
    case "DeadlineExceeded":
    case "TimeoutException":
      return "timeout"
    case "RetriesExhausted": {
      const status = (error as RetriesExhausted<unknown>).lastStatus
      return status === undefined ? "transport_error" : Metrics.outcomeOfStatus(status)
    }
    default:
      return "transport_error"
  }
}

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
 * The cache the config asks for: one already in the environment wins; "file" needs a `FileSystem`
 * in the environment, "redis" a `ResponseCache` built on the Redis store. Either way the token is a
 * known secret of this client's calls: a response echoing it is never stored.
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

/** Gauges of what the adaptive controller just decided. */
const reportAdaptive = (api: string, snap: Adaptive.Snapshot, now: number) =>
  Effect.all([
    Metrics.setAdaptiveRate(api, snap.currentRate),
    Metrics.setCooldown(api, snap.cooldownUntil !== null && snap.cooldownUntil > now),
    snap.tokens === null ? Effect.void : Metrics.setTokens(api, "tightest", snap.tokens)
  ], { discard: true })

/**
 * A request body as the request line logs it (redacted there, only when `logging.bodies` is on): text
 * and JSON bytes decoded, anything else (binary, form data, streams) left to its size or left out.
 */
const loggableBody = (body: HttpBody.HttpBody): unknown => {
  if (body._tag === "Raw") return typeof body.body === "string" ? body.body : undefined
  if (body._tag !== "Uint8Array") return undefined
  return /json|text|x-www-form-urlencoded/i.test(body.contentType) ? new TextDecoder().decode(body.body) : body.body
}

const headerRecord = (response: HttpClientResponse.HttpClientResponse): Record<string, string> =>
  response.headers as unknown as Record<string, string>

/**
 * Build the client from a decoded config. Services already in the environment (`RateLimiter`,
 * `ResponseCache`) are used as they are; the rest are built from the config.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: ApiConfig,
  options: ResilientClientOptions = {}
): Effect.Effect<ResilientClientService, GovernorSetupError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    // First: a missing credential fails construction before any part is built.
    const token = yield* resolveToken(config, options)
    // Known to every redacting logger (the program's own lines too) while this client is open.
    if (Option.isSome(token)) yield* KnownSecrets.register(token.value)
    // The platform's own span records the raw `url.full` (query tokens included) and headers; ours
    // (Tracing.withRequestSpan / withAttemptSpan) carry the same OTel attributes, redacted.
    const transport = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true))
    const api = config.name
    const providedLimiter = yield* Effect.serviceOption(RateLimiter)
    const limiter: RateLimiterShape = Option.isSome(providedLimiter) ? providedLimiter.value : yield* makeMemory({
      limits: config.limits,
      throttle: config.throttle === false ? false : { threshold: config.throttle.threshold },
      minInterval: config.minInterval
    })
    // An external limiter (e.g. Redis) does not know this API's limits: pass them on every call.
    const perCallLimits = Option.isSome(providedLimiter) && config.limits.length > 0 ? config.limits : undefined

    const adaptive = config.adaptive.enabled
      ? yield* (options.adaptiveStore !== undefined
        ? Adaptive.makeWithStore(adaptiveOptions(config), options.adaptiveStore)
        : Adaptive.make(adaptiveOptions(config))).pipe(Effect.provideService(RateLimiter, limiter))
      : null

    const breaker = config.breaker.enabled
      ? yield* Breaker.make({
        name: api,
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
      : null

    const bulkhead = config.bulkhead.maxConcurrent !== undefined
      ? yield* Bulkhead.make({ maxConcurrent: config.bulkhead.maxConcurrent, maxQueue: config.bulkhead.maxQueue })
      : null

    const policy = yield* RetryPolicy.make({
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
      decide: options.decide
    })

    const cache = yield* buildCache(config, token)
    // This API's request/response lines: redacted with the config's extra rules and mask, the token as a
    // known secret wherever it appears, and filtered by the config's level on top of the program's.
    const redaction = Redaction.make({
      mask: config.logging.maskStyle,
      rules: {
        headers: [...config.logging.redactHeaders, ...(config.auth === undefined ? [] : [config.auth.header])],
        queryParams: config.logging.redactQueryParams,
        secrets: Option.toArray(token)
      },
      requestLog: { bodies: config.logging.bodies }
    })
    // Errors and responses leave the client with redacted copies of the request (/ response) they carry.
    const outgoing = RedactErrors.make(redaction.redactor)
    const apiLevel = LogLevel.fromLiteral(LOG_LEVEL_LITERALS[config.logging.level])
    // Lines are written at the request's effective level (the API's filter on top of the program's,
    // read once per request), with this API's redaction in context; a line below it is never built.
    const effectiveLevel = (programMin: LogLevel.LogLevel): LogLevel.LogLevel =>
      LogLevel.greaterThan(apiLevel, programMin) ? apiLevel : programMin
    const writeLine = (
      effective: LogLevel.LogLevel,
      level: LogLevel.LogLevel,
      line: () => Effect.Effect<void>
    ): Effect.Effect<void> | undefined =>
      LogLevel.greaterThan(effective, level) ? undefined : Effect.locally(line(), FiberRef.currentMinimumLogLevel, effective).pipe(
        Effect.provideService(Redaction.Redaction, redaction)
      )
    /** `effect`, after `line` when there is one. */
    const after = <A, E>(line: Effect.Effect<void> | undefined, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      line === undefined ? effect : Effect.zipRight(line, effect)
    // Plain state: every update is one synchronous step, so a Ref would add cost and no safety.
    let stats: Stats.ClientStats = Stats.emptyStats
    const recorder = Metrics.recorderFor(api)
    const keyOf = options.key ?? (() => api)
    if (adaptive !== null) {
      // Best effort: with a store that is down right now (Redis), the first response applies the rate.
      yield* adaptive.prime(api).pipe(
        Effect.catchAll((e) => Effect.logWarning("adaptive controller could not apply the initial rate", e))
      )
    }
    if (breaker !== null) {
      // Breaker state and trips as metrics, from the breaker's own transition stream.
      yield* Metrics.setBreakerState(api, "closed")
      const changes = yield* breaker.subscribe
      yield* changes.pipe(
        Stream.runForEach((change) => Metrics.setBreakerState(api, change.to, { trip: change.to === "open" })),
        Effect.forkScoped
      )
    }

    // One attempt: breaker → bulkhead → limiter → send (with the attempt timeout) → feedback.
    // This is the per-request hot path: plain flatMaps, clock reads and metric updates without
    // building effects, log lines built only when they will be written.
    const attemptMs = Duration.toMillis(config.timeouts.attempt)
    const overallMs = Duration.toMillis(config.timeouts.overall)
    const deadlineExceeded = Effect.fail(new DeadlineExceeded({ deadline: config.timeouts.overall }))
    const timer = yield* DeadlineTimer.make
    // The warning goes through the program's own logger (the runtime this client was built in).
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    const deadlineSend = AbortableSend.make(transport, timer, () =>
      runFork(Effect.logWarning(
        `The HTTP transport of "${api}" ignored an aborted request's AbortSignal: attempt timeouts now interrupt fibers instead`
      )))
    // Retries (and their backoff / Retry-After waits) stop at the deadline too.
    const deadlineBinds = overallMs <= Duration.toMillis(policy.totalBudget)
    const requestPolicy = deadlineBinds ? { ...policy, totalBudget: config.timeouts.overall } : policy

    /** What one logical request knows across its attempts. */
    interface RequestState {
      readonly clock: Clock.Clock
      readonly startedAt: number
      readonly deadlineAt: number
      readonly labels: ReadonlyArray<MetricLabel.MetricLabel>
      readonly tracing: boolean
      readonly logLevel: LogLevel.LogLevel
      /** How the cache let this request through, for its attempt lines (none without a cache). */
      readonly cache: RequestLog.CacheStatus | undefined
      rateLimited: number
      delays: ReadonlyArray<Duration.Duration>
    }

    const debugLevel = LogLevel.Debug
    const sendAttempt = (state: RequestState, request: HttpClientRequest.HttpClientRequest, attemptNumber: number, sentAt: number) => {
      // One timer per attempt: the attempt timeout, or the time left until the deadline if sooner.
      const leftMs = state.deadlineAt - sentAt
      const sent = deadlineSend.send(
        request,
        sentAt + Math.max(0, Math.min(attemptMs, leftMs)),
        (): Timeouts.AttemptTimeout | DeadlineExceeded =>
          leftMs < attemptMs
            ? new DeadlineExceeded({ deadline: config.timeouts.overall })
            : new Timeouts.AttemptTimeout({ timeout: config.timeouts.attempt })
      )
      return state.tracing
        ? sent.pipe(
          // The span records the attempt's exit: redacted like the errors the caller gets.
          Effect.mapError(outgoing.error),
          Effect.tap((response) => Tracing.annotateResponse(response.status)),
          Tracing.withAttemptSpan({ api, method: request.method, url: request.url, redactor: redaction.redactor }, attemptNumber)
        )
        : sent
    }

    const afterResponse = (
      state: RequestState,
      request: HttpClientRequest.HttpClientRequest,
      attemptNumber: number,
      key: string,
      sentAt: number,
      exit: Exit.Exit<HttpClientResponse.HttpClientResponse, unknown>,
      limiterWait: Duration.Duration,
      breakerState: RequestLog.BreakerStateLabel | undefined
    ): Effect.Effect<void> | undefined => {
      const duration = () => Duration.millis(state.clock.unsafeCurrentTimeMillis() - sentAt)
      if (Exit.isFailure(exit)) {
        return writeLine(state.logLevel, LogLevel.Warning, () =>
          RequestLog.logResponse({
            api,
            method: request.method,
            url: request.url,
            attempt: attemptNumber,
            cache: state.cache,
            limiterWait,
            breaker: breakerState,
            duration: duration(),
            error: Cause.squash(exit.cause)
          }))
      }
      const response = exit.value
      if (response.status === 429) {
        state.rateLimited++
        recorder.rateLimited(state.labels)
      }
      const line = writeLine(state.logLevel, response.status >= 500 ? LogLevel.Warning : LogLevel.Info, () =>
        RequestLog.logResponse({
          api,
          method: request.method,
          url: request.url,
          attempt: attemptNumber,
          cache: state.cache,
          limiterWait,
          breaker: breakerState,
          status: response.status,
          duration: duration(),
          headers: response.headers
        }))
      if (adaptive === null) return line
      const feedback = adaptive.observe(key, { status: response.status, headers: headerRecord(response), sentAt }).pipe(
        Effect.flatMap((snap) => reportAdaptive(api, snap, sentAt)),
        Effect.catchAll((e) => Effect.logWarning("adaptive controller could not apply feedback", e))
      )
      return line === undefined ? feedback : Effect.zipRight(feedback, line)
    }

    const run = (
      state: RequestState,
      request: HttpClientRequest.HttpClientRequest,
      attemptNumber: number,
      key: string,
      probe: boolean | undefined
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, AttemptError> =>
      Effect.suspend(() => {
        // The overall deadline is enforced by arithmetic wherever possible (a limiter wait that cannot
        // end in time fails at once; the attempt timer stops at the deadline; retries stop at it).
        const left = state.deadlineAt - state.clock.unsafeCurrentTimeMillis()
        if (left <= 0) return deadlineExceeded
        return Effect.matchCauseEffect(
          limiter.acquire({ key, cost: options.cost?.(request), limits: perCallLimits, maxWait: left }),
          {
            onFailure: (cause): Effect.Effect<HttpClientResponse.HttpClientResponse, AttemptError> =>
              Cause.isFailType(cause) && cause.error._tag === "RateLimitExceeded" ? deadlineExceeded : Effect.failCause(cause),
            onSuccess: (granted) => {
              recorder.limiterWait(Duration.toMillis(granted.waited) / 1000, state.labels)
              const breakerState = probe === undefined ? undefined : probe ? "half-open" : "closed"
              const sendAndObserve = () => {
                const sentAt = state.clock.unsafeCurrentTimeMillis()
                return Effect.matchCauseEffect(sendAttempt(state, request, attemptNumber, sentAt), {
                  onFailure: (cause) => {
                    const exit = Exit.failCause(cause)
                    return after(afterResponse(state, request, attemptNumber, key, sentAt, exit, granted.waited, breakerState), exit)
                  },
                  onSuccess: (response) =>
                    after(
                      afterResponse(state, request, attemptNumber, key, sentAt, Exit.succeed(response), granted.waited, breakerState),
                      Effect.succeed(response)
                    )
                })
              }
              const line = writeLine(state.logLevel, debugLevel, () =>
                RequestLog.logRequest({
                  api,
                  method: request.method,
                  url: request.url,
                  attempt: attemptNumber,
                  cache: state.cache,
                  limiterWait: granted.waited,
                  breaker: breakerState,
                  headers: request.headers,
                  body: loggableBody(request.body)
                }))
              return line === undefined ? sendAndObserve() : Effect.zipRight(line, Effect.suspend(sendAndObserve))
            }
          }
        )
      })

    const guarded = (
      state: RequestState,
      request: HttpClientRequest.HttpClientRequest,
      attemptNumber: number,
      probe: boolean | undefined
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, AttemptError | BulkheadFull> => {
      const attemptRun = run(state, request, attemptNumber, keyOf(request), probe)
      if (bulkhead === null) return attemptRun
      // Only a bulkhead queue wait needs a real timer for the deadline.
      return Effect.suspend(() =>
        Timeouts.withDeadline(
          bulkhead.run(attemptRun),
          Duration.millis(Math.max(0, state.deadlineAt - state.clock.unsafeCurrentTimeMillis()))
        ).pipe(
          Effect.mapError((e) => e._tag === "DeadlineExceeded" ? new DeadlineExceeded({ deadline: config.timeouts.overall }) : e)
        )
      )
    }

    const attempt = (state: RequestState) =>
    (
      request: HttpClientRequest.HttpClientRequest,
      attemptNumber: number
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, AttemptError | BulkheadFull | CircuitOpenError> =>
      breaker === null
        ? guarded(state, request, attemptNumber, undefined)
        : breaker.withPermit((probe) => guarded(state, request, attemptNumber, probe))

    const finish = (state: RequestState, exit: Exit.Exit<HttpClientResponse.HttpClientResponse, unknown>): void => {
      const seconds = (state.clock.unsafeCurrentTimeMillis() - state.startedAt) / 1000
      if (Exit.isSuccess(exit)) {
        recorder.request(Metrics.outcomeOfStatus(exit.value.status), exit.value.status, seconds, state.labels)
      } else {
        const failure = Cause.failureOption(exit.cause)
        recorder.request(Option.isNone(failure) ? "transport_error" : outcomeOfError(failure.value), undefined, seconds, state.labels)
      }
      stats = Stats.record(stats, {
        ok: Exit.isSuccess(exit) && exit.value.status < 400,
        retryDelays: state.delays,
        rateLimitedResponses: state.rateLimited,
        cacheHit: false
      })
    }

    const isBudgetExhausted = (cause: Cause.Cause<unknown>): boolean =>
      Cause.isFailType(cause) && Predicate.isTagged(cause.error, "RetriesExhausted") &&
      (cause.error as RetriesExhausted).reason === "Budget"

    const onRetry = (event: RetryEvent) => Metrics.recordRetry(api, event.delay)

    const send = (request: HttpClientRequest.HttpClientRequest, cacheStatus?: RequestLog.CacheStatus) =>
      Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, SendError>((fiber) => {
        const services = fiber.getFiberRef(DefaultServices.currentServices)
        const clock = Context.get(services, Clock.Clock)
        const startedAt = clock.unsafeCurrentTimeMillis()
        const state: RequestState = {
          clock,
          startedAt,
          deadlineAt: startedAt + overallMs,
          labels: fiber.getFiberRef(FiberRef.currentMetricLabels),
          tracing: Tracing.isTracing(Context.get(services, Tracer.Tracer)),
          logLevel: effectiveLevel(fiber.getFiberRef(FiberRef.currentMinimumLogLevel)),
          cache: cacheStatus,
          rateLimited: 0,
          delays: []
        }
        return Effect.matchCauseEffect(
          retryRequest(requestPolicy, request, attempt(state), {
            onRetry,
            onDone: (summary) =>
              Effect.sync(() => {
                state.delays = summary.delays
              })
          }),
          {
            onFailure: (cause) => {
              const exit = deadlineBinds && isBudgetExhausted(cause)
                ? Exit.fail(new DeadlineExceeded({ deadline: config.timeouts.overall }))
                : Exit.failCause(cause)
              finish(state, exit)
              return exit
            },
            onSuccess: (response) => {
              finish(state, Exit.succeed(response))
              return Effect.succeed(response)
            }
          }
        )
      })

    // The cache says why it sends (miss, revalidate, refresh, bypass): the attempt lines carry it.
    const sendFromCache = (request: HttpClientRequest.HttpClientRequest, reason: Cache.SendReason) => send(request, reason)
    /** The line of a response served without an attempt of its own (fresh entry, or another's flight). */
    const logHit = (request: HttpClientRequest.HttpClientRequest, response: HttpClientResponse.HttpClientResponse, startedAt: number) =>
      Effect.flatMap(FiberRef.get(FiberRef.currentMinimumLogLevel), (min) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          writeLine(effectiveLevel(min), LogLevel.Info, () =>
            RequestLog.logCacheHit({
              api,
              method: request.method,
              url: request.url,
              status: response.status,
              duration: Duration.millis(now - startedAt)
            })) ?? Effect.void))

    const withCache = (request: HttpClientRequest.HttpClientRequest) => {
      if (cache === null) return send(request)
      return Effect.flatMap(Clock.currentTimeMillis, (startedAt) =>
        cache.cached(request, sendFromCache, { partition: api }).pipe(
          Effect.tap((response) =>
            Option.match(Cache.cacheStatus(response), {
              onNone: () => Effect.void,
              onSome: (s) =>
                s === "STALE"
                  ? Option.match(Cache.staleReason(response), { onNone: () => Effect.void, onSome: (reason) => Metrics.recordCacheStale(api, reason) })
                  : s === "HIT" || s === "REVALIDATED" || s === "COALESCED"
                  ? Effect.zipRight(
                    Metrics.recordCacheHit(api),
                    Effect.suspend(() => {
                      if (s === "HIT") stats = Stats.record(stats, { ok: true, retryDelays: [], rateLimitedResponses: 0, cacheHit: true })
                      // A revalidation logged its own attempt line (cache=stale).
                      return s === "REVALIDATED" ? Effect.void : logHit(request, response, startedAt)
                    })
                  )
                  : Metrics.recordCacheMiss(api)
            })
          )
        ))
    }

    // Base URL, default headers (the request's own win) and the credential, applied before the cache
    // so its credential partition sees the Authorization header.
    const withToken = authorize(config, token)
    const hasDefaultHeaders = Object.keys(config.headers).length > 0
    const prepare = (request: HttpClientRequest.HttpClientRequest) => {
      // Absolute URLs (pagination links) stay as they are; `guard` refuses any other origin.
      const prefixed = Origin.isAbsolute(request.url) ? request : HttpClientRequest.prependUrl(request, config.baseUrl)
      return withToken(
        hasDefaultHeaders ? HttpClientRequest.setHeaders(prefixed, { ...config.headers, ...request.headers }) : prefixed
      )
    }

    // The final URL is checked last (after every mapRequest), so the credential never leaves baseUrl's origin.
    const guard = Origin.makeGuard(config.baseUrl)
    const checked = <E>(
      request: HttpClientRequest.HttpClientRequest,
      f: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E>
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | RefusedUrl> => {
      const refused = guard(request.url)
      return refused === undefined ? f(request) : Effect.fail(refused)
    }
    const sendOut = (request: HttpClientRequest.HttpClientRequest) => Effect.mapError(send(request), outgoing.error)
    const client = HttpClient.transform(transport, (_effect, request) =>
      checked(request, (r) =>
        withCache(r).pipe(
          Effect.mapBoth({ onFailure: outgoing.error, onSuccess: outgoing.returned }),
          Tracing.withRequestSpan({ api, method: r.method, url: r.url, redactor: redaction.redactor })
        ))).pipe(HttpClient.mapRequest(prepare))

    const statsWithTrips = breaker === null
      ? Effect.sync(() => stats)
      : Effect.map(breaker.state, (b) => ({ ...stats, breakerTrips: b.trips }))

    const service: ResilientClientService = {
      config,
      client,
      limiter,
      adaptive,
      breaker,
      cache,
      stats: statsWithTrips,
      snapshot: (key = api) =>
        Effect.all({
          api: Effect.succeed(api),
          stats: statsWithTrips,
          limiter: limiter.snapshot(key),
          adaptive: adaptive === null ? Effect.succeed(null) : adaptive.snapshot(key),
          breaker: breaker === null ? Effect.succeed(null) : breaker.state,
          cache: cache === null ? Effect.succeed(null) : Effect.orElseSucceed(cache.stats, () => null)
        }),
      prewarm: (requests) =>
        cache === null
          ? Effect.succeed(null)
          // `send`, not `client.execute`: the cache itself is the caller here.
          : cache.prewarm(Array.from(requests, prepare), (r) => checked(r, sendOut), { partition: api }).pipe(
            // The report's requests are the prepared ones: the caller gets redacted copies.
            Effect.map((report) => ({
              ...report,
              failures: report.failures.map((f) => ({ request: outgoing.request(f.request), error: f.error }))
            }))
          )
    }
    return service
  })

/**
 * The client as a plain `HttpClient.HttpClient` (the platform's own contract): governor errors become
 * `RequestError { reason: "Transport" }` whose `cause` is the tagged error (`RateLimitExceeded`,
 * `CircuitOpenError`, `RetriesExhausted`, …), so code written against `HttpClient` keeps working and
 * can still inspect why.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toHttpClient = (
  client: HttpClient.HttpClient.With<HttpClientError.HttpClientError | GovernorError>
): HttpClient.HttpClient => {
  // `request` here is the prepared one (credential included): the error carries a redacted copy,
  // masked by header name and by the tokens of the open clients.
  const redactor = KnownSecrets.follow(defaultRedactor)
  // `transform` types its result as `E | E1`; every governor error is caught below, so the cast only
  // drops what cannot occur.
  return HttpClient.transform(client, (effect, request) =>
    Effect.catchIf(
      effect,
      isGovernorError,
      (error) =>
        Effect.fail(
          new HttpClientError.RequestError({
            request: RedactErrors.make(redactor()).request(request),
            reason: "Transport",
            cause: error,
            description: error.message
          })
        )
    )) as HttpClient.HttpClient
}

/**
 * The tag's service plus the platform `HttpClient` tag, built from `config`; needs the transport
 * (`NodeHttpClient.layerUndici`, `FetchHttpClient.layer`, …).
 *
 * @example
 * ```ts
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { Layer } from "effect"
 * import { Presets, ResilientClient } from "effect-governor"
 * const Live = ResilientClient.layer(Presets.presets.notion).pipe(Layer.provide(NodeHttpClient.layerUndici))
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: ApiConfig,
  options: ResilientClientOptions = {}
): Layer.Layer<ResilientClient | HttpClient.HttpClient, GovernorSetupError, HttpClient.HttpClient> =>
  Layer.scopedContext(
    Effect.map(make(config, options), (service) =>
      Context.make(ResilientClient, service).pipe(Context.add(HttpClient.HttpClient, toHttpClient(service.client))))
  )

/**
 * Deep-partial JSON overrides of a config (`{ adaptive: { maxRate: 10 } }`).
 *
 * @since 0.1.0
 * @category models
 */
export type ConfigOverrides = { readonly [K in keyof ApiConfigEncoded]?: unknown }

/**
 * The config of `name`: a config registered in the `ConfigRegistry` when one is provided, else a
 * built-in preset; `overrides` are merged into its JSON form and the result decoded again (so an
 * override error names its field).
 *
 * @since 0.1.0
 * @category constructors
 */
export const configFor = (
  name: string,
  overrides?: ConfigOverrides
): Effect.Effect<ApiConfig, UnknownApiConfig | ConfigError> =>
  Effect.gen(function*() {
    const registry = yield* Effect.serviceOption(ConfigRegistry.ConfigRegistry)
    const base = Option.isSome(registry)
      ? yield* registry.value.get(name)
      : yield* Option.match(Option.fromNullable(Presets.getPreset(name)), {
        onNone: () => Effect.fail(new UnknownApiConfig({ name, known: [...Presets.presetNames] })),
        onSome: Effect.succeed
      })
    if (overrides === undefined) return base
    const encoded = yield* ApiConfigModule.encode(base)
    return yield* ApiConfigModule.decode(Loader.mergeJson(encoded, overrides), `overrides of "${name}"`)
  })

/**
 * One-liner: `makeClientFor("notion")` gives the composed client for a preset or registered config.
 * @example
 * ```ts
 * import { ResilientClient } from "effect-governor"
 * const notion = yield* ResilientClient.makeClientFor("notion", { adaptive: { maxRate: 5 } })
 * const page = yield* notion.client.get("/pages/abc")
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeClientFor = (
  name: string,
  overrides?: ConfigOverrides,
  options: ResilientClientOptions = {}
): Effect.Effect<
  ResilientClientService,
  GovernorSetupError | UnknownApiConfig,
  HttpClient.HttpClient | Scope.Scope
> => Effect.flatMap(configFor(name, overrides), (config) => make(config, options))

/**
 * `layer` for a preset or registered config by name.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFor = (
  name: string,
  overrides?: ConfigOverrides,
  options: ResilientClientOptions = {}
): Layer.Layer<ResilientClient | HttpClient.HttpClient, GovernorSetupError | UnknownApiConfig, HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(configFor(name, overrides), (config) => layer(config, options)))
