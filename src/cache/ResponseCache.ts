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
 *   the leader's result (`x-cache: COALESCED`, or `HIT`/`REVALIDATED`) or its failure; if the leader
 *   is interrupted, a waiter takes over instead of hanging;
 * - leaves everything else alone: requests it does not handle (unsafe methods, `no-store`,
 *   caller-managed conditional/range headers, unparsable URL) and responses it would not store are
 *   passed through untouched and carry no marker. Waiters whose leader got such a response send
 *   their own request, since a response that may not be stored is not shared either;
 * - never stores a response whose headers or body contain a known secret (`knownSecrets`, e.g. the
 *   client's token): it is passed through (from the bytes already read), like any response it may
 *   not store. `Vary` values are stored as fingerprints (see `varyValues`), never as the value.
 *
 * The marker header name is configurable (`markerHeader`, default `"x-cache"`, `false` to omit);
 * {@link cacheStatus} reads the status of a response independently of the header.
 *
 * A store failure never fails a request: lookups degrade to misses, writes are skipped, and both
 * are logged at warning level and counted in `stats.storeErrors`.
 *
 * @since 0.1.0
 */
import type { FileSystem } from "@effect/platform"
import { HttpClientRequest } from "@effect/platform"
import type { HttpClientResponse } from "@effect/platform"
import type { ResponseError } from "@effect/platform/HttpClientError"
import { Cause, Clock, Context, Deferred, Duration, Effect, Layer, Option, type Redacted, Ref } from "effect"
import type { CacheEntry, CacheStore, CacheStoreStats } from "./CacheStore.js"
import { CacheStoreError, InvalidCacheOptions } from "./CacheStore.js"
import type { FileStoreOptions } from "./FileStore.js"
import * as CachedResponse from "./CachedResponse.js"
import { makeFileStore } from "./FileStore.js"
import { deriveKey, normalizeHeaderNames, varyValues } from "./key.js"
import type { MemoryStoreOptions } from "./MemoryStore.js"
import { makeMemoryStore } from "./MemoryStore.js"
import type { CachePolicy } from "./policy.js"
import { conditionalHeaders, decideRequest, decideResponse, hopByHopHeaders, makePolicy, mergeNotModified } from "./policy.js"
import { containsSecret, secretFormsOf } from "./secrets.js"

/**
 * How a response was produced, as carried by the marker header and {@link cacheStatus}:
 * - `HIT`: served from a fresh entry, `send` not called;
 * - `MISS`: fetched upstream (and stored);
 * - `REVALIDATED`: stale entry confirmed by a `304`, cached body returned;
 * - `COALESCED`: an identical concurrent request fetched it; this caller shared the result.
 *
 * @since 0.1.0
 * @category models
 */
export type CacheStatus = "HIT" | "MISS" | "REVALIDATED" | "COALESCED"

/**
 * @since 0.1.0
 * @category models
 */
export interface ResponseCacheOptions {
  /** Cacheability rules; unspecified fields default to `defaultPolicy`. */
  readonly policy?: Partial<CachePolicy> | undefined
  /** Request headers always part of the key (list here what your API varies on, e.g. `accept`). */
  readonly vary?: ReadonlyArray<string> | undefined
  /** Headers that carry credentials (partition the cache); default `defaultCredentialHeaders`. */
  readonly credentialHeaders?: ReadonlyArray<string> | undefined
  /** An extra key partition, e.g. the API name. */
  readonly partition?: string | undefined
  /** Response header carrying the {@link CacheStatus}; default `"x-cache"`, `false` for none. */
  readonly markerHeader?: string | false | undefined
  /** Responses whose `Content-Length` exceeds this are passed through unbuffered; default 8 MiB. */
  readonly maxBodyBytes?: number | undefined
  /**
   * Secrets (e.g. the client's token) whose presence in a response's headers or body, raw,
   * URL-encoded or JSON-escaped, means it is never stored (nor stored redacted).
   */
  readonly knownSecrets?: ReadonlyArray<string | Redacted.Redacted<string>> | undefined
}

/**
 * Per-call overrides of {@link ResponseCacheOptions} (e.g. from a per-API config).
 *
 * @since 0.1.0
 * @category models
 */
export interface CachedOptions {
  readonly policy?: Partial<CachePolicy> | undefined
  readonly vary?: ReadonlyArray<string> | undefined
  readonly partition?: string | undefined
  /** Known secrets added to the cache's own for this call. */
  readonly knownSecrets?: ReadonlyArray<string | Redacted.Redacted<string>> | undefined
}

/**
 * Request-level counters next to the store's own figures. Every request the cache handles ends as
 * exactly one of: `hits` (fresh entry, `send` not called), `notModified` (stale entry confirmed by
 * a 304), `misses` (full upstream response), `coalesced` (shared a concurrent leader's result) or
 * `bypassed` (not a cache matter). `revalidations` counts conditional requests sent (answered by
 * a 304 or a full response); `notStored` responses not stored (refused by the policy, too large, or
 * containing a known secret); `storeErrors` store
 * failures absorbed. `hitRate` is `hits / (hits + notModified + misses)`. `entries`, `bytes` and
 * `evictions` come from the store (`store` has its raw figures, whose hits/misses count lookups).
 *
 * @since 0.1.0
 * @category models
 */
export interface ResponseCacheStats extends RequestCounters {
  readonly hitRate: number
  readonly entries: number
  readonly bytes: number
  readonly evictions: number
  readonly store: CacheStoreStats
}

/**
 * Outcome of {@link ResponseCacheService.prewarm}.
 *
 * @since 0.1.0
 * @category models
 */
export interface PrewarmReport<E> {
  readonly requested: number
  /** Fetched or revalidated upstream. */
  readonly fetched: number
  /** Already fresh in the cache. */
  readonly alreadyFresh: number
  /** Answered, but not cacheable (bypassed or not storable). */
  readonly notCacheable: number
  readonly failures: ReadonlyArray<{ readonly request: HttpClientRequest.HttpClientRequest; readonly error: E }>
}

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
  ) => Effect.Effect<boolean, CacheStoreError>
  readonly clear: Effect.Effect<void, CacheStoreError>
  readonly cleanupExpired: Effect.Effect<number, CacheStoreError>
  readonly stats: Effect.Effect<ResponseCacheStats, CacheStoreError>
  /** See the module documentation. */
  readonly cached: <E, R>(
    request: HttpClientRequest.HttpClientRequest,
    send: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
    options?: CachedOptions
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, E | ResponseError, R>
  /**
   * Runs each request through {@link ResponseCacheService.cached} with `send` (pass one that goes
   * through the limiter) so later calls hit. Never fails: failures are reported per request.
   */
  readonly prewarm: <E, R>(
    requests: Iterable<HttpClientRequest.HttpClientRequest>,
    send: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
    options?: CachedOptions & { readonly concurrency?: number | undefined }
  ) => Effect.Effect<PrewarmReport<E | ResponseError>, never, R>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class ResponseCache extends Context.Tag("effect-governor/ResponseCache")<ResponseCache, ResponseCacheService>() {}

// ---------------------------------------------------------------------------------------------

const statuses = new WeakMap<HttpClientResponse.HttpClientResponse, CacheStatus>()

/**
 * The {@link CacheStatus} of a response returned by the cache; `None` for a response the cache
 * passed through untouched.
 *
 * @since 0.1.0
 * @category accessors
 */
export const cacheStatus = (response: HttpClientResponse.HttpClientResponse): Option.Option<CacheStatus> =>
  Option.fromNullable(statuses.get(response))

/** What the single-flight leader hands to waiters. */
type FlightOutcome =
  | { readonly _tag: "Shared"; readonly entry: CacheEntry; readonly status: CacheStatus }
  | { readonly _tag: "SendYourself" }
  | { readonly _tag: "Failed"; readonly cause: Cause.Cause<unknown> }
  | { readonly _tag: "Retry" }

/** What the leader's work produced for itself. */
type LeaderResult =
  | { readonly _tag: "Shared"; readonly entry: CacheEntry; readonly status: CacheStatus }
  | { readonly _tag: "PassThrough"; readonly response: HttpClientResponse.HttpClientResponse }

/**
 * Request-level counters of the cache.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestCounters {
  readonly hits: number
  readonly misses: number
  readonly revalidations: number
  readonly notModified: number
  readonly coalesced: number
  readonly bypassed: number
  readonly notStored: number
  readonly storeErrors: number
}
const zeroCounters: RequestCounters = {
  hits: 0,
  misses: 0,
  revalidations: 0,
  notModified: 0,
  coalesced: 0,
  bypassed: 0,
  notStored: 0,
  storeErrors: 0
}

const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** What one call runs under: the cacheability rules and the forms of the known secrets. */
interface Settings {
  readonly policy: CachePolicy
  readonly secretForms: ReadonlyArray<string>
}

/**
 * Builds the service over a store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  store: CacheStore,
  options: ResponseCacheOptions = {}
): Effect.Effect<ResponseCacheService, InvalidCacheOptions> =>
  Effect.gen(function*() {
    const marker = options.markerHeader === undefined ? "x-cache" : options.markerHeader
    if (marker !== false && !HEADER_TOKEN.test(marker)) {
      return yield* new InvalidCacheOptions({ option: "markerHeader", reason: `not a header name: ${JSON.stringify(marker)}` })
    }
    const markerName = marker === false ? undefined : marker.toLowerCase()
    const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024
    if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
      return yield* new InvalidCacheOptions({ option: "maxBodyBytes", reason: `expected a positive integer, got ${maxBodyBytes}` })
    }
    const basePolicy = makePolicy(options.policy ?? {})
    for (const s of basePolicy.cacheableStatuses) {
      // 304 is an answer about a stored response, 206 a fragment of one: neither is a response to store.
      if (!Number.isInteger(s) || s < 200 || s > 599 || s === 206 || s === 304) {
        return yield* new InvalidCacheOptions({ option: "policy.cacheableStatuses", reason: `status ${s} cannot be cached` })
      }
    }
    const counters = yield* Ref.make(zeroCounters)
    const count = (field: keyof RequestCounters) => Ref.update(counters, (c) => ({ ...c, [field]: c[field] + 1 }))
    const flights = new Map<string, Deferred.Deferred<FlightOutcome>>()

    const baseSecrets = options.knownSecrets ?? []
    const baseSettings: Settings = { policy: basePolicy, secretForms: secretFormsOf(baseSecrets) }
    const settingsFor = (o: CachedOptions | undefined): Settings => {
      const extra = o?.knownSecrets ?? []
      if (o?.policy === undefined && extra.length === 0) return baseSettings
      return {
        policy: o?.policy === undefined ? basePolicy : makePolicy({ ...basePolicy, ...o.policy }),
        secretForms: extra.length === 0 ? baseSettings.secretForms : secretFormsOf([...baseSecrets, ...extra])
      }
    }

    const keyFor = (request: HttpClientRequest.HttpClientRequest, o?: CachedOptions): Option.Option<string> =>
      Option.map(HttpClientRequest.toUrl(request), (url) =>
        deriveKey({
          method: request.method,
          url,
          headers: request.headers,
          vary: [...(options.vary ?? []), ...(o?.vary ?? [])],
          credentialHeaders: options.credentialHeaders,
          partition: o?.partition ?? options.partition
        }))

    // Store access from the request path: a failing store degrades to a miss / skipped write.
    const storeGet = (key: string) =>
      store.get(key).pipe(
        Effect.catchAll((e) =>
          Effect.zipRight(
            Effect.zipRight(count("storeErrors"), Effect.logWarning(`response cache: ${e.message}`)),
            Effect.succeed(Option.none<CacheEntry>())
          )
        )
      )
    const storeSet = (key: string, entry: CacheEntry, retainMs: number) =>
      store.set(key, entry, Duration.millis(Math.max(0, retainMs))).pipe(
        Effect.catchAll((e) => Effect.zipRight(count("storeErrors"), Effect.logWarning(`response cache: ${e.message}`)))
      )

    const toResponse = (
      request: HttpClientRequest.HttpClientRequest,
      entry: CacheEntry,
      status: CacheStatus
    ): HttpClientResponse.HttpClientResponse => {
      const headers = markerName === undefined ? entry.headers : { ...entry.headers, [markerName]: status }
      const response = CachedResponse.make(request, entry.status, headers, entry.body)
      statuses.set(response, status)
      return response
    }

    const storableHeaders = (headers: Readonly<Record<string, string>>): Record<string, string> => {
      const out: Record<string, string> = {}
      for (const [k, v] of Object.entries(headers)) {
        const name = k.toLowerCase()
        if (!hopByHopHeaders.has(name) && name !== markerName) out[name] = v
      }
      return out
    }

    /** The entry if it matches the variant the request asks for. */
    const matchesVariant = (entry: CacheEntry, request: HttpClientRequest.HttpClientRequest): boolean => {
      if (entry.vary === undefined) return true
      const current = varyValues(request.headers, Object.keys(entry.vary))
      return Object.entries(entry.vary).every(([k, v]) => current[k] === v)
    }

    const lookup = (key: string, request: HttpClientRequest.HttpClientRequest) =>
      Effect.map(storeGet(key), Option.filter((e) => matchesVariant(e, request)))

    /** A full upstream response: stored and shared when storable, else passed through. */
    const handleFull = (
      key: string,
      request: HttpClientRequest.HttpClientRequest,
      response: HttpClientResponse.HttpClientResponse,
      settings: Settings
    ): Effect.Effect<LeaderResult, ResponseError> =>
      Effect.gen(function*() {
        yield* count("misses")
        const now = yield* Clock.currentTimeMillis
        const decision = decideResponse(
          { method: request.method, status: response.status, headers: response.headers, now },
          settings.policy
        )
        const declared = Number(response.headers["content-length"])
        if (decision._tag === "NotStorable" || (Number.isFinite(declared) && declared > maxBodyBytes)) {
          yield* count("notStored")
          return { _tag: "PassThrough", response } as const
        }
        const body = new Uint8Array(yield* response.arrayBuffer)
        if (containsSecret(settings.secretForms, response.headers, body)) {
          // Never stored nor shared; the caller gets the bytes already read.
          yield* count("notStored")
          const passed = CachedResponse.make(request, response.status, response.headers, body)
          return { _tag: "PassThrough", response: passed } as const
        }
        const vary = normalizeHeaderNames([...decision.vary])
        const entry: CacheEntry = {
          status: response.status,
          headers: storableHeaders(response.headers),
          body,
          storedAt: decision.storedAt,
          expiresAt: decision.expiresAt,
          ...(decision.etag !== undefined ? { etag: decision.etag } : {}),
          ...(decision.lastModified !== undefined ? { lastModified: decision.lastModified } : {}),
          ...(vary.length > 0 ? { vary: varyValues(request.headers, vary) } : {})
        }
        if (body.byteLength <= maxBodyBytes) yield* storeSet(key, entry, decision.retainUntil - now)
        else yield* count("notStored")
        return { _tag: "Shared", entry, status: "MISS" } as const
      })

    /** Leader: revalidate a stale entry or fetch. */
    const lead = <E, R>(
      key: string,
      request: HttpClientRequest.HttpClientRequest,
      send: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
      candidate: Option.Option<CacheEntry>,
      settings: Settings,
      revalidate: boolean
    ): Effect.Effect<LeaderResult, E | ResponseError, R> =>
      Effect.gen(function*() {
        // Re-check: another leader may have stored the entry since our lookup.
        const recheck = yield* lookup(key, request)
        const now = yield* Clock.currentTimeMillis
        if (!revalidate && Option.isSome(recheck) && now < recheck.value.expiresAt) {
          yield* count("hits")
          return { _tag: "Shared", entry: recheck.value, status: "HIT" } as const
        }
        const stale = Option.orElse(recheck, () => candidate)
        if (Option.isSome(stale) && (stale.value.etag !== undefined || stale.value.lastModified !== undefined)) {
          yield* count("revalidations")
          const conditional = HttpClientRequest.setHeaders(request, conditionalHeaders(stale.value))
          const response = yield* send(conditional)
          if (response.status !== 304) return yield* handleFull(key, request, response, settings)
          yield* count("notModified")
          const at = yield* Clock.currentTimeMillis
          const headers = storableHeaders(mergeNotModified(stale.value.headers, response.headers))
          const decision = decideResponse(
            { method: request.method, status: stale.value.status, headers, now: at },
            settings.policy
          )
          const refreshed: CacheEntry = {
            ...stale.value,
            headers,
            storedAt: at,
            expiresAt: decision._tag === "Storable" ? decision.expiresAt : at,
            etag: headers["etag"],
            lastModified: headers["last-modified"]
          }
          if (decision._tag === "Storable" && !containsSecret(settings.secretForms, headers, new Uint8Array())) {
            yield* storeSet(key, refreshed, decision.retainUntil - at)
          } else {
            // The server confirmed the body but now forbids storing it (or its headers carry a known
            // secret): serve it once, then drop it.
            yield* count("notStored")
            yield* Effect.ignore(store.delete(key))
          }
          return { _tag: "Shared", entry: refreshed, status: "REVALIDATED" } as const
        }
        return yield* handleFull(key, request, yield* send(request), settings)
      })

    const cached = <E, R>(
      request: HttpClientRequest.HttpClientRequest,
      send: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
      o?: CachedOptions
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | ResponseError, R> =>
      Effect.suspend(() => {
        const settings = settingsFor(o)
        const decision = decideRequest(request.method, request.headers, settings.policy)
        const key = decision._tag === "Lookup" ? keyFor(request, o) : Option.none()
        if (decision._tag === "Bypass" || Option.isNone(key)) return Effect.zipRight(count("bypassed"), send(request))
        const revalidate = decision.revalidate

        return Effect.gen(function*() {
          const found = yield* lookup(key.value, request)
          const now = yield* Clock.currentTimeMillis
          if (!revalidate && Option.isSome(found) && now < found.value.expiresAt) {
            yield* count("hits")
            return toResponse(request, found.value, "HIT")
          }
          return yield* flight(key.value, request, send, found, settings, revalidate, o)
        })
      })

    /** Single flight per key: one leader does the work, the others wait for its outcome. */
    const flight = <E, R>(
      key: string,
      request: HttpClientRequest.HttpClientRequest,
      send: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
      candidate: Option.Option<CacheEntry>,
      settings: Settings,
      revalidate: boolean,
      o: CachedOptions | undefined
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | ResponseError, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          // Check-and-register in one synchronous step so two fibers cannot both become leader.
          const role = yield* Effect.fiberIdWith((id) =>
            Effect.sync(() => {
              const existing = flights.get(key)
              if (existing !== undefined) return { leader: false, deferred: existing } as const
              const deferred = Deferred.unsafeMake<FlightOutcome>(id)
              flights.set(key, deferred)
              return { leader: true, deferred } as const
            })
          )
          if (!role.leader) {
            const outcome = yield* restore(Deferred.await(role.deferred))
            switch (outcome._tag) {
              case "Shared": {
                const status: CacheStatus = outcome.status === "MISS" ? "COALESCED" : outcome.status
                yield* count("coalesced")
                return toResponse(request, outcome.entry, status)
              }
              case "SendYourself":
                return yield* restore(send(request))
              case "Failed":
                return yield* Effect.failCause(outcome.cause as Cause.Cause<E | ResponseError>)
              case "Retry":
                // The leader was interrupted: start over (this fiber may become the leader).
                return yield* restore(cached(request, send, o))
            }
          }
          const deferred = role.deferred
          const exit = yield* Effect.exit(restore(lead(key, request, send, candidate, settings, revalidate)))
          flights.delete(key)
          const outcome: FlightOutcome = exit._tag === "Success"
            ? (exit.value._tag === "Shared" ? exit.value : { _tag: "SendYourself" })
            : Cause.isInterruptedOnly(exit.cause)
            ? { _tag: "Retry" }
            : { _tag: "Failed", cause: exit.cause }
          yield* Deferred.succeed(deferred, outcome)
          if (exit._tag === "Failure") return yield* Effect.failCause(exit.cause)
          const result = exit.value
          if (result._tag === "PassThrough") return result.response
          return toResponse(request, result.entry, result.status)
        })
      )

    const invalidate = (keyOrRequest: string | HttpClientRequest.HttpClientRequest, o?: CachedOptions) =>
      typeof keyOrRequest === "string"
        ? store.delete(keyOrRequest)
        : Option.match(keyFor(keyOrRequest, o), {
          onNone: () => Effect.succeed(false),
          onSome: (key) => store.delete(key)
        })

    const stats = Effect.gen(function*() {
      const c = yield* Ref.get(counters)
      const s = yield* store.stats
      const answered = c.hits + c.misses + c.notModified
      const result: ResponseCacheStats = {
        ...c,
        hitRate: answered === 0 ? 0 : c.hits / answered,
        entries: s.entries,
        bytes: s.bytes,
        evictions: s.evictions,
        store: s
      }
      return result
    })

    const prewarm = <E, R>(
      requests: Iterable<HttpClientRequest.HttpClientRequest>,
      send: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
      o?: CachedOptions & { readonly concurrency?: number | undefined }
    ): Effect.Effect<PrewarmReport<E | ResponseError>, never, R> =>
      Effect.gen(function*() {
        const list = Array.from(requests)
        const results = yield* Effect.forEach(
          list,
          (request) =>
            cached(request, send, o).pipe(
              Effect.tap((response) =>
                // Drain pass-through bodies so connections are released.
                Option.isNone(cacheStatus(response)) ? Effect.ignore(response.arrayBuffer) : Effect.void
              ),
              Effect.map((response) => Option.getOrUndefined(cacheStatus(response))),
              Effect.either
            ),
          { concurrency: o?.concurrency ?? 4 }
        )
        let fetched = 0
        let alreadyFresh = 0
        let notCacheable = 0
        const failures: Array<{ request: HttpClientRequest.HttpClientRequest; error: E | ResponseError }> = []
        results.forEach((r, i) => {
          if (r._tag === "Left") failures.push({ request: list[i]!, error: r.left })
          else if (r.right === "HIT") alreadyFresh++
          else if (r.right === undefined) notCacheable++
          else fetched++
        })
        return { requested: list.length, fetched, alreadyFresh, notCacheable, failures }
      })

    const service: ResponseCacheService = {
      store,
      keyFor,
      get: store.get,
      set: (key, entry, ttl) => store.set(key, entry, Duration.decode(ttl)),
      invalidate,
      clear: store.clear,
      cleanupExpired: store.cleanupExpired,
      stats,
      cached,
      prewarm
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
  Layer.effect(
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
  send: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
  options?: CachedOptions
): Effect.Effect<HttpClientResponse.HttpClientResponse, E | ResponseError, R | ResponseCache> =>
  Effect.flatMap(ResponseCache, (c) => c.cached(request, send, options))

/**
 * `ResponseCache.prewarm` as a function of the environment.
 *
 * @since 0.1.0
 * @category accessors
 */
export const prewarm = <E, R>(
  requests: Iterable<HttpClientRequest.HttpClientRequest>,
  send: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
  options?: CachedOptions & { readonly concurrency?: number | undefined }
): Effect.Effect<PrewarmReport<E | ResponseError>, never, R | ResponseCache> =>
  Effect.flatMap(ResponseCache, (c) => c.prewarm(requests, send, options))
