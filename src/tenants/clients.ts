/**
 * Calling a vendor API on behalf of many entities, each with its own credential: one governed client
 * per entity (its token from a per-entity provider, its admissions through the tenant limiter under
 * its key `entity@resource`), built on first use and closed after an idle while; and one `HttpClient`
 * that sends each request with the client of the entity the current fiber works for (`withEntity`).
 *
 * Because each entity has its own client, what the API answers one entity's token stays with that
 * entity: with `adaptive.enabled`, a 429 cools that entity's key only (its ancestors and siblings are
 * not paused), and its breaker, bulkhead, cache partition and learned rate are its own (a breaker,
 * bulkhead or controller in the environment is not inherited; pass `shared` to share one). No client hook is
 * needed: a client's `key` is its entity and its `RateLimiter` is the tenant limiter's view of the
 * resource.
 *
 * @since 0.1.0
 */
import { HttpClient, type HttpClientError, type HttpClientResponse } from "@effect/platform"
import { Context, Duration, Effect, FiberRef, Option, RcMap, type Redacted, Schema, type Scope } from "effect"
import { globalValue } from "effect/GlobalValue"
import { AdaptiveController, type AdaptiveControllerShape } from "../adaptive/AdaptiveController.js"
import { CircuitBreaker, type CircuitBreakerShape } from "../breaker/CircuitBreaker.js"
import { Bulkhead, type BulkheadShape } from "../bulkhead/Bulkhead.js"
import * as ResilientClient from "../client/ResilientClient.js"
import type { ApiConfig } from "../config/ApiConfig.js"
import { RateLimiter } from "../limiter/RateLimiter.js"
import { TenantLimiter } from "./TenantLimiter.js"

/**
 * The entity the current fiber's requests are made for (none by default).
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const CurrentEntity: FiberRef.FiberRef<Option.Option<string>> = globalValue(
  "effect-governor/tenants/CurrentEntity",
  () => FiberRef.unsafeMake<Option.Option<string>>(Option.none())
)

/**
 * Run `self` on behalf of `entity`: its requests through {@link TenantClients.client} use that
 * entity's client.
 *
 * @since 0.1.0
 * @category fiber refs
 */
export const withEntity = (entity: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.locally(self, CurrentEntity, Option.some(entity))

/**
 * A request was sent through {@link TenantClients.client} outside {@link withEntity}.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoEntity extends Schema.TaggedError<NoEntity>()("NoEntity", { url: Schema.String }) {
  override get message(): string {
    return `no entity for the request to ${this.url}: run it inside Tenants.withEntity(entity)`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TenantClientsOptions<E> {
  readonly config: ApiConfig
  /** The credential of an entity (its OAuth token), read when its client is built. */
  readonly token: (entity: string) => Effect.Effect<Redacted.Redacted<string>, E>
  /** The resource the admissions count against. Default: the API's name. */
  readonly resource?: string | undefined
  /** How long an entity's client stays open after its last request. Default 5 minutes. */
  readonly idleTimeToLive?: Duration.DurationInput | undefined
  /** The other options of each entity's client. */
  readonly client?: Omit<ResilientClient.ResilientClientOptions, "token" | "key"> | undefined
  /**
   * Parts every entity's client shares. By default each entity builds its own breaker, bulkhead and
   * adaptive controller from the config, even when the environment holds one (which would otherwise
   * make one customer's outage or 429s trip and slow all of them).
   */
  readonly shared?: {
    readonly breaker?: CircuitBreakerShape | undefined
    readonly bulkhead?: BulkheadShape | undefined
    readonly adaptive?: AdaptiveControllerShape | undefined
  } | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TenantClients<E> {
  /** The client of `entity` (built on first use), held while the scope is open. */
  readonly get: (
    entity: string
  ) => Effect.Effect<ResilientClient.ResilientClientService, E | ResilientClient.GovernorSetupError, Scope.Scope>
  /** Sends each request with the client of the current fiber's entity ({@link withEntity}). */
  readonly client: HttpClient.HttpClient.With<
    HttpClientError.HttpClientError | ResilientClient.GovernorError | E | ResilientClient.GovernorSetupError | NoEntity
  >
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = <E>(
  options: TenantClientsOptions<E>
): Effect.Effect<TenantClients<E>, never, TenantLimiter | HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const tenants = yield* TenantLimiter
    const shared = options.shared ?? {}
    // The parts an entity must not inherit from the environment by accident: only `shared` ones.
    const perEntity = (context: Context.Context<Scope.Scope>): Context.Context<Scope.Scope> => {
      let own = Context.omit(CircuitBreaker, Bulkhead, AdaptiveController)(context)
      if (shared.breaker !== undefined) own = Context.add(own, CircuitBreaker, shared.breaker)
      if (shared.bulkhead !== undefined) own = Context.add(own, Bulkhead, shared.bulkhead)
      if (shared.adaptive !== undefined) own = Context.add(own, AdaptiveController, shared.adaptive)
      return own
    }
    const transport = yield* HttpClient.HttpClient
    const limiter = tenants.forResource(options.resource ?? options.config.name)
    const clients = yield* RcMap.make({
      lookup: (entity: string) =>
        Effect.flatMap(options.token(entity), (token) =>
          ResilientClient.make(options.config, { ...options.client, token, key: () => entity }).pipe(
            Effect.provideService(RateLimiter, limiter),
            Effect.provideService(HttpClient.HttpClient, transport),
            Effect.mapInputContext(perEntity)
          )),
      idleTimeToLive: options.idleTimeToLive ?? Duration.minutes(5)
    })
    const get = (entity: string) => RcMap.get(clients, entity)
    type Failure = HttpClientError.HttpClientError | ResilientClient.GovernorError | E | ResilientClient.GovernorSetupError | NoEntity
    const client = HttpClient.transform(transport, (_unused, request) =>
      Effect.flatMap(FiberRef.get(CurrentEntity), (entity): Effect.Effect<HttpClientResponse.HttpClientResponse, Failure> =>
        Option.isNone(entity)
          ? Effect.fail(new NoEntity({ url: request.url }))
          : Effect.scoped(Effect.flatMap(get(entity.value), (c) => c.client.execute(request)))))
    return { get, client }
  })
