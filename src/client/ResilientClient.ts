/**
 * The resilient client: an ordinary `HttpClient` from `@effect/platform` that, per request, runs
 *
 * ```
 * withCache → withMetrics → withDeadline → withRetry → [ withBreaker → withBulkhead → withRateLimiter
 *   → withAdaptiveFeedback → withRequestLog → withAttemptTimeout → transport ] per attempt
 * ```
 *
 * each step an `HttpClient` combinator of its own module (README: "Compose the combinators
 * yourself"). `make(config)` turns the config into the steps' services (each taken from the
 * environment when the program provides it: a Redis `RateLimiter`, a shared `CircuitBreaker`, a file
 * `ResponseCache`, …) and composes the standard pipe (`standardPipe.ts`): the combinators' own steps,
 * given the services, as plain functions (the literal pipe with the parts provided per request costs
 * measurably more; see there).
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientError, HttpClientRequest } from "@effect/platform"
import { Context, Effect, Layer, Option, Predicate, type Redacted, Runtime, type Scope } from "effect"
import type * as Adaptive from "../adaptive/AdaptiveController.js"
import type * as Breaker from "../breaker/CircuitBreaker.js"
import type { CircuitOpenError, InvalidCircuitBreakerOptions } from "../breaker/errors.js"
import type { BulkheadShape } from "../bulkhead/Bulkhead.js"
import type { BulkheadFull, DeadlineExceeded, InvalidBulkheadOptions } from "../bulkhead/errors.js"
import type * as Timeouts from "../bulkhead/timeouts.js"
import type { CacheStoreError, InvalidCacheOptions } from "../cache/CacheStore.js"
import type * as Cache from "../cache/ResponseCache.js"
import type { ApiConfig, ApiConfigEncoded } from "../config/ApiConfig.js"
import * as ApiConfigModule from "../config/ApiConfig.js"
import * as ConfigRegistry from "../config/ConfigRegistry.js"
import { InvalidConfig as ConfigError, UnknownApiConfig } from "../config/errors.js"
import * as Loader from "../config/load.js"
import * as Presets from "../config/presets.js"
import type { AcquireError, InvalidRateLimiterOptions } from "../limiter/errors.js"
import type { Cost, LimiterSnapshot, RateLimiterShape } from "../limiter/RateLimiter.js"
import * as KnownSecrets from "../logging/KnownSecrets.js"
import { defaultRedactor } from "../logging/redact.js"
import * as Tracing from "../metrics/Tracing.js"
import type { InvalidRetryPolicy, RetriesExhausted } from "../retry/errors.js"
import type * as RetryPolicy from "../retry/RetryPolicy.js"
import { preparer, resolveToken } from "./credentials.js"
import { MissingToken, RefusedUrl } from "./errors.js"
import * as Origin from "./origin.js"
import * as RedactErrors from "./redactErrors.js"
import * as Services from "./services.js"
import type * as Stats from "./stats.js"
import * as StandardPipe from "./standardPipe.js"

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
  readonly limiter: LimiterSnapshot
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
  readonly bulkhead: BulkheadShape | null
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
 * Invalid options of one of the parts, found while building the client.
 *
 * @since 0.1.0
 * @category errors
 */
export type GovernorSetupError =
  | InvalidRateLimiterOptions
  | InvalidRetryPolicy
  | InvalidCircuitBreakerOptions
  | Adaptive.InvalidAdaptiveOptions
  | InvalidBulkheadOptions
  | InvalidCacheOptions
  | CacheStoreError
  | ConfigError
  | MissingToken

/**
 * Build the client from a decoded config. Parts already in the environment (`RateLimiter`,
 * `CircuitBreaker`, `Bulkhead`, `AdaptiveController`, `ResponseCache`, `DeadlineTimer`) are used as
 * they are; the rest are built from the config.
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
    const parts = yield* Services.parts(config, token, options.adaptiveStore)
    const policy = yield* Services.retryPolicyFor(config, options.decide)
    const observer = Services.observerFor(config, token)
    yield* Services.start(api, parts)
    // The warning goes through the program's own logger (the runtime this client was built in).
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    const piped = StandardPipe.make<GovernorError>(transport, {
      config,
      key: options.key,
      cost: options.cost,
      parts,
      policy,
      observer,
      onIgnoredAbort: () =>
        runFork(Effect.logWarning(
          `The HTTP transport of "${api}" ignored an aborted request's AbortSignal: attempt timeouts now interrupt fibers instead`
        ))
    })
    const { outgoing, redaction } = observer
    // The final URL is checked last (after every mapRequest), so the credential never leaves baseUrl's origin.
    const guard = Origin.makeGuard(config.baseUrl)
    const checked = <A, E, R>(request: HttpClientRequest.HttpClientRequest, effect: Effect.Effect<A, E, R>) => {
      const refused = guard(request.url)
      return refused === undefined ? effect : Effect.fail(refused) as Effect.Effect<A, E | RefusedUrl, R>
    }
    const prepare = preparer(config, token)
    const client = HttpClient.transform(transport, (_, r) =>
      checked(
        r,
        piped.client(r).pipe(
          Effect.mapBoth({ onFailure: outgoing.error, onSuccess: outgoing.returned }),
          Tracing.withRequestSpan({ api, method: r.method, url: r.url, redactor: redaction.redactor })
        )
      )).pipe(HttpClient.mapRequest(prepare)) as HttpClient.HttpClient.With<HttpClientError.HttpClientError | GovernorError>
    const stats = parts.breaker === null
      ? Effect.sync(() => observer.stats.current)
      : Effect.map(parts.breaker.state, (b) => ({ ...observer.stats.current, breakerTrips: b.trips }))
    const { adaptive, breaker, bulkhead, cache, limiter } = parts
    const service: ResilientClientService = {
      config,
      client,
      limiter,
      adaptive,
      breaker,
      bulkhead,
      cache,
      stats,
      snapshot: (key = api) =>
        Effect.all({
          api: Effect.succeed(api),
          stats,
          limiter: limiter.snapshot(key),
          adaptive: adaptive === null ? Effect.succeed(null) : adaptive.snapshot(key),
          breaker: breaker === null ? Effect.succeed(null) : breaker.state,
          cache: cache === null ? Effect.succeed(null) : Effect.orElseSucceed(cache.stats, () => null)
        }),
      prewarm: (requests) =>
        cache === null
          ? Effect.succeed(null)
          // The steps below the cache, not `client.execute`: the cache itself is the caller here.
          : cache.prewarm(Array.from(requests, prepare), (r) => checked(r, Effect.mapError(piped.belowCache(r), outgoing.error)), {
            partition: api
          }).pipe(
            // Its only option is the API's name as the partition, a string the cache never refuses.
            Effect.orDie,
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
 * `make` for a preset or registered config by name: the service (client, parts, stats, snapshot).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFor = (
  name: string,
  overrides?: ConfigOverrides,
  options: ResilientClientOptions = {}
): Effect.Effect<ResilientClientService, GovernorSetupError | UnknownApiConfig, HttpClient.HttpClient | Scope.Scope> =>
  Effect.flatMap(configFor(name, overrides), (config) => make(config, options))

/**
 * One-liner: the composed client for a preset or registered config (`makeFor` for its snapshot).
 * @example
 * ```ts
 * import { ResilientClient } from "effect-governor"
 * const notion = yield* ResilientClient.makeClientFor("notion", { adaptive: { maxRate: 5 } })
 * const page = yield* notion.get("/pages/abc")
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeClientFor = (
  name: string,
  overrides?: ConfigOverrides,
  options: ResilientClientOptions = {}
): Effect.Effect<
  HttpClient.HttpClient.With<HttpClientError.HttpClientError | GovernorError>,
  GovernorSetupError | UnknownApiConfig,
  HttpClient.HttpClient | Scope.Scope
> => Effect.map(makeFor(name, overrides, options), (service) => service.client)

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
