/**
 * The `ResponseCache` service: an HTTP-aware response cache in front of any `send` function.
 *
 * `cached(request, send)` is the integration point for the client (step 1 of the request flow:
 * before breaker and limiter, so a hit costs no quota). It
 * - serves fresh entries without calling `send` (`x-cache: HIT`);
 * - revalidates stale entries that have an `ETag` / `Last-Modified` with a conditional request
 *   (`If-None-Match` / `If-Modified-Since`); a `304` refreshes the entry and returns the cached body
 *   (`x-cache: REVALIDATED`). Many APIs (GitHub among them) do not count a `304` against the rate
 *   limit, so revalidation is cheaper than a refetch in quota as well as bandwidth;
 * - stores cacheable responses (`x-cache: MISS`); the body is read once and the caller receives a
 *   response served from the stored bytes, whose body accessors can be used any number of times;
 * - makes identical concurrent lookups share one upstream call (single flight): waiters receive
 *   the leader's result (`x-cache: COALESCED`, or `HIT`/`REVALIDATED`) or its failure, which a waiter
 *   holding a `stale-if-error` entry answers from it (an error status too: one request per key in an
 *   outage); if the leader is interrupted, a waiter takes over instead of hanging;
 * - serves stale entries as RFC 5861 allows (`x-cache: STALE`, {@link staleReason} says why): within
 *   `stale-while-revalidate` at once, refreshing the entry in the background (in the cache's scope,
 *   through `send`, one refresh per key, `maxBackgroundRefreshes` at once); within `stale-if-error`
 *   when `send` fails (any typed failure: retries exhausted, circuit open, deadline, transport) or
 *   answers 429, 500, 502, 503 or 504. The windows come from the response's directives, else from
 *   the policy (`staleWhileRevalidate`, `staleIfError`, default off), never against `must-revalidate`,
 *   `no-cache` or `no-store`, and never for a request that asks for revalidation;
 * - leaves everything else alone: requests it does not handle (unsafe methods, `no-store`,
 *   caller-managed conditional/range headers, unparsable URL) and responses it would not store are
 *   passed through untouched and carry no marker. Waiters whose leader got such a response send
 *   their own request, since a response that may not be stored is not shared either;
 * - never stores a response whose headers or body contain a known secret (`knownSecrets`, e.g. the
 *   client's token): it is passed through (from the bytes already read), like any response it may
 *   not store. `Vary` values are stored as fingerprints (see `varyValues`), never as the value.
 *
 * The marker header name is configurable (`markerHeader`, default `"x-cache"`, `false` to omit);
 * {@link cacheStatus} reads the status of a response independently of the header. Each request the
 * cache sends carries its own {@link SendReason} as `send`'s second argument (`miss`, `revalidate`,
 * `refresh` in the background, `bypass`), so a caller's attempt log never has to guess it from the
 * request's headers.
 *
 * A store failure never fails a request: lookups degrade to misses, writes are skipped, and both
 * are logged at warning level and counted in `stats.storeErrors`.
 *
 * @since 0.1.0
 */
import type { FileSystem } from "@effect/platform"
import type { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type { ResponseError } from "@effect/platform/HttpClientError"
import { Context, Duration, Effect, Layer, Option, type Redacted, type Scope } from "effect"
import type { CacheEntry, CacheStore } from "./CacheStore.js"
import { CacheStoreError, InvalidCacheOptions } from "./CacheStore.js"
import { makeCounters, type ResponseCacheStats, statsOf } from "./counters.js"
import type { FileStoreOptions } from "./FileStore.js"
import { makeFileStore } from "./FileStore.js"
import type { MemoryStoreOptions } from "./MemoryStore.js"
import { makeMemoryStore } from "./MemoryStore.js"
import { type CachedOptions, type CallOptions, decodeCall, decodePrewarm, resolve, type ResponseCacheOptions } from "./options.js"
import { prewarm as prewarmAll, type PrewarmReport } from "./prewarm.js"
import { makeCached } from "./serve.js"
import { makeRefresher } from "./staleServing.js"
import { makeStoreAccess } from "./storeAccess.js"
import type { Send } from "./upstream.js"

export type { CachedOptions, ResponseCacheOptions } from "./options.js"
export type { RequestCounters, ResponseCacheStats } from "./counters.js"
export type { PrewarmReport } from "./prewarm.js"
export { cacheStatus, countsAsHit, staleReason } from "./status.js"
export type { CacheStatus, SendReason, StaleReason } from "./status.js"
export type { Send } from "./upstream.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ResponseCacheService {
  readonly store: CacheStore
  /** The key of a request, or `None` when the cache does not handle it. */
  readonly keyFor: (
    request: HttpClientRequest.HttpClientRequest,
    options?: CachedOptions
  ) => Option.Option<string>
  readonly get: (key: string) => Effect.Effect<Option.Option<CacheEntry>, CacheStoreError>
  readonly set: (key: string, entry: CacheEntry, ttl: Duration.DurationInput) => Effect.Effect<void, CacheStoreError>
  /** Removes the entry of a key or of a request (`false` when there was none). */
  readonly invalidate: (
    keyOrRequest: string | HttpClientRequest.HttpClientRequest,
    options?: CachedOptions
  ) => Effect.Effect<boolean, CacheStoreError | InvalidCacheOptions>
  readonly clear: Effect.Effect<void, CacheStoreError>
  readonly cleanupExpired: Effect.Effect<number, CacheStoreError>
  readonly stats: Effect.Effect<ResponseCacheStats, CacheStoreError>
  /**
   * See the module documentation. `send` is everything the cache stands in front of (in the client:
   * breaker, limiter, retries, deadline), so a stale entry answers for all of its failures; its second
   * argument says why the cache sends ({@link SendReason}). `options` override the cache's own for this
   * call and are decoded like them: a bad one fails with `InvalidCacheOptions` naming it.
   */
  readonly cached: <E, R>(
    request: HttpClientRequest.HttpClientRequest,
    send: Send<E, R>,
    options?: CachedOptions
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, E | ResponseError | InvalidCacheOptions, R>
  /**
   * Runs each request through {@link ResponseCacheService.cached} with `send` (pass one that goes
   * through the limiter) so later calls hit; stale entries are refreshed, not served. Fails only with
   * `InvalidCacheOptions` (a bad option): failures of requests are reported per request.
   */
  readonly prewarm: <E, R>(
    requests: Iterable<HttpClientRequest.HttpClientRequest>,
    send: Send<E, R>,
    options?: CachedOptions & { readonly concurrency?: number | undefined }
  ) => Effect.Effect<PrewarmReport<E | ResponseError>, InvalidCacheOptions, R>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class ResponseCache extends Context.Tag("effect-governor/ResponseCache")<ResponseCache, ResponseCacheService>() {}

/**
 * Builds the service over a store. Background refreshes (`stale-while-revalidate`) run in the
 * scope this is built in and stop with it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  store: CacheStore,
  options: ResponseCacheOptions = {}
): Effect.Effect<ResponseCacheService, InvalidCacheOptions, Scope.Scope> =>
  Effect.gen(function*() {
    const resolved = yield* resolve(options)
    const counters = makeCounters()
    const access = makeStoreAccess(store, counters)
    const refresher = makeRefresher(yield* Effect.scope, resolved.maxBackgroundRefreshes, counters)
    const cachedWith = makeCached(resolved, access, counters, refresher)
    const keyFor = resolved.keyFor

    const keyOf = (request: HttpClientRequest.HttpClientRequest, o?: CallOptions) => Option.fromNullable(keyFor(request, o))

    const service: ResponseCacheService = {
      store,
      keyFor: keyOf,
      get: store.get,
      set: (key, entry, ttl) => store.set(key, entry, Duration.decode(ttl)),
      invalidate: (keyOrRequest, o) =>
        typeof keyOrRequest === "string"
          ? store.delete(keyOrRequest)
          : Effect.flatMap(decodeCall(o), (d) =>
            Option.match(keyOf(keyOrRequest, d), { onNone: () => Effect.succeed(false), onSome: (key) => store.delete(key) })),
      clear: store.clear,
      cleanupExpired: store.cleanupExpired,
      stats: Effect.map(store.stats, (s) => statsOf(counters, s)),
      cached: (request, send, o) => Effect.flatMap(decodeCall(o), (d) => cachedWith(request, send, d, true)),
      prewarm: (requests, send, o) =>
        Effect.flatMap(decodePrewarm(o), (d) => prewarmAll(requests, (r) => cachedWith(r, send, d, false), d.concurrency))
    }
    return service
  })

/**
 * `cache` with `secrets` added to the known secrets of every call: for a cache built elsewhere (e.g.
 * on the Redis store) and handed to a client that knows its own token. Store, counters and single
 * flight stay shared with `cache`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withKnownSecrets = (
  cache: ResponseCacheService,
  secrets: ReadonlyArray<string | Redacted.Redacted<string>>
): ResponseCacheService => {
  if (secrets.length === 0) return cache
  const add = <O extends CachedOptions>(o: O | undefined): O & CachedOptions => ({
    ...o as O,
    knownSecrets: [...secrets, ...(o?.knownSecrets ?? [])]
  })
  return {
    ...cache,
    cached: (request, send, o) => cache.cached(request, send, add(o)),
    prewarm: (requests, send, o) => cache.prewarm(requests, send, add(o))
  }
}

/**
 * A `ResponseCache` over a given store (or an effect building one, e.g. a Redis store).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <E = never, R = never>(
  store: CacheStore | Effect.Effect<CacheStore, E, R>,
  options: ResponseCacheOptions = {}
): Layer.Layer<ResponseCache, E | InvalidCacheOptions, R> =>
  Layer.scoped(
    ResponseCache,
    Effect.flatMap(Effect.isEffect(store) ? store : Effect.succeed(store), (s) => make(s, options))
  )

/**
 * A `ResponseCache` in memory (LRU bounded by entries and bytes).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (
  options: ResponseCacheOptions & MemoryStoreOptions = {}
): Layer.Layer<ResponseCache, InvalidCacheOptions> => layer(makeMemoryStore(options), options)

/**
 * A `ResponseCache` on disk; requires `FileSystem` (e.g. `NodeFileSystem.layer`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFileSystem = (
  options: ResponseCacheOptions & FileStoreOptions
): Layer.Layer<ResponseCache, InvalidCacheOptions | CacheStoreError, FileSystem.FileSystem> =>
  layer(makeFileStore(options), options)

/**
 * `ResponseCache.cached` as a function of the environment.
 *
 * @since 0.1.0
 * @category accessors
 */
export const cached = <E, R>(
  request: HttpClientRequest.HttpClientRequest,
  send: Send<E, R>,
  options?: CachedOptions
): Effect.Effect<HttpClientResponse.HttpClientResponse, E | ResponseError | InvalidCacheOptions, R | ResponseCache> =>
  Effect.flatMap(ResponseCache, (c) => c.cached(request, send, options))

/**
 * `ResponseCache.prewarm` as a function of the environment.
 *
 * @since 0.1.0
 * @category accessors
 */
export const prewarm = <E, R>(
  requests: Iterable<HttpClientRequest.HttpClientRequest>,
  send: Send<E, R>,
  options?: CachedOptions & { readonly concurrency?: number | undefined }
): Effect.Effect<PrewarmReport<E | ResponseError>, InvalidCacheOptions, R | ResponseCache> =>
  Effect.flatMap(ResponseCache, (c) => c.prewarm(requests, send, options))
