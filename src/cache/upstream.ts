/**
 * The single-flight leader's work: revalidate a stale entry with a conditional request, or fetch,
 * and store what may be stored.
 *
 * @since 0.1.0
 * @internal
 */
import { HttpClientRequest } from "@effect/platform"
import type { HttpClientResponse } from "@effect/platform"
import type { ResponseError } from "@effect/platform/HttpClientError"
import { Clock, Effect, Option } from "effect"
import type { CacheEntry } from "./CacheStore.js"
import * as CachedResponse from "./CachedResponse.js"
import type { Counters } from "./counters.js"
import { parseResponse } from "./directives.js"
import { entryOf, keepParsed, storableHeaders, type Variant } from "./entries.js"
import type { LeaderResult } from "./flight.js"
import type { Settings } from "./options.js"
import { conditionalHeaders, decideResponse, mergeNotModified } from "./policy.js"
import { containsSecret } from "./secrets.js"
import type { SendReason } from "./status.js"
import type { StoreAccess } from "./storeAccess.js"

/**
 * What the cache stands in front of; `reason` says why the cache sends this request (a function
 * of the request alone is one too). Public as `ResponseCache.Send`: the `send` of `cached` and
 * `prewarm`.
 *
 * @since 0.1.0
 */
export type Send<E, R> = (
  request: HttpClientRequest.HttpClientRequest,
  reason: SendReason
) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>

/** What the leader works with. @internal */
export interface Upstream {
  readonly store: StoreAccess
  readonly counters: Counters
  readonly markerName: string | undefined
  readonly maxBodyBytes: number
}

/** The call a leader works for. @internal */
export interface LeadCall<E, R> {
  readonly key: string
  readonly request: HttpClientRequest.HttpClientRequest
  readonly send: Send<E, R>
  readonly settings: Settings
  /** The request asks for an end-to-end check (`no-cache`, `max-age=0`). */
  readonly revalidate: boolean
  readonly variant: Variant
}

/** A full upstream response: stored and shared when storable, else passed through. */
const handleFull = (
  u: Upstream,
  call: LeadCall<unknown, unknown>,
  response: HttpClientResponse.HttpClientResponse,
  requestTime: number
): Effect.Effect<LeaderResult, ResponseError> =>
  Effect.gen(function*() {
    const { request, settings } = call
    const now = yield* Clock.currentTimeMillis
    const parsed = parseResponse(response.headers, now)
    const decision = decideResponse(
      { method: request.method, status: response.status, headers: response.headers, now, requestTime, requestHeaders: request.headers },
      settings.policy,
      parsed
    )
    const declared = Number(response.headers["content-length"])
    if (decision._tag === "NotStorable" || (Number.isFinite(declared) && declared > u.maxBodyBytes)) {
      u.counters.notStored++
      return { _tag: "PassThrough", response } as const
    }
    const body = new Uint8Array(yield* response.arrayBuffer)
    if (containsSecret(settings.secretForms, response.headers, body)) {
      // Never stored nor shared; the caller gets the bytes already read.
      u.counters.notStored++
      return { _tag: "PassThrough", response: CachedResponse.make(request, response.status, response.headers, body) } as const
    }
    const headers = storableHeaders(response.headers, u.markerName)
    const entry = entryOf(decision, response.status, headers, body, call.variant, parsed.cacheControl)
    if (body.byteLength <= u.maxBodyBytes) yield* u.store.set(call.key, entry, decision.retainUntil - now)
    else u.counters.notStored++
    return { _tag: "Shared", entry, status: "MISS" } as const
  })

/** A 304 for `stale`: the entry refreshed with its headers, stored again when still storable. */
const handleNotModified = (
  u: Upstream,
  call: LeadCall<unknown, unknown>,
  stale: CacheEntry,
  response: HttpClientResponse.HttpClientResponse,
  requestTime: number
): Effect.Effect<LeaderResult> =>
  Effect.gen(function*() {
    const { request, settings } = call
    const at = yield* Clock.currentTimeMillis
    const headers = storableHeaders(mergeNotModified(stale.headers, response.headers), u.markerName)
    const parsed = parseResponse(headers, at)
    const decision = decideResponse(
      { method: request.method, status: stale.status, headers, now: at, requestTime, requestHeaders: request.headers },
      settings.policy,
      parsed
    )
    const refreshed = keepParsed({
      ...stale,
      headers,
      storedAt: at,
      expiresAt: decision._tag === "Storable" ? decision.expiresAt : at,
      etag: headers["etag"],
      lastModified: headers["last-modified"]
    }, parsed.cacheControl)
    if (decision._tag === "Storable" && !containsSecret(settings.secretForms, headers, new Uint8Array())) {
      yield* u.store.set(call.key, refreshed, decision.retainUntil - at)
    } else {
      // The server confirmed the body but now forbids storing it (or its headers carry a known
      // secret): serve it once, then drop it.
      u.counters.notStored++
      yield* u.store.delete(call.key)
    }
    return { _tag: "Shared", entry: refreshed, status: "REVALIDATED" } as const
  })

/**
 * Leader: serve an entry another leader stored since our lookup, else revalidate a stale entry
 * that has a validator, else fetch. `background`: a `stale-while-revalidate` refresh.
 *
 * @internal
 */
export const lead = <E, R>(
  u: Upstream,
  call: LeadCall<E, R>,
  candidate: Option.Option<CacheEntry>,
  background: boolean
): Effect.Effect<LeaderResult, E | ResponseError, R> =>
  Effect.gen(function*() {
    const { request, send } = call
    const recheck = Option.filter(yield* u.store.get(call.key), call.variant.matches)
    const now = yield* Clock.currentTimeMillis
    if (!call.revalidate && Option.isSome(recheck) && now < recheck.value.expiresAt) {
      return { _tag: "Shared", entry: recheck.value, status: "HIT" } as const
    }
    const stale = Option.orElse(recheck, () => candidate)
    if (Option.isSome(stale) && (stale.value.etag !== undefined || stale.value.lastModified !== undefined)) {
      u.counters.revalidations++
      const conditional = HttpClientRequest.setHeaders(request, conditionalHeaders(stale.value))
      const response = yield* send(conditional, background ? "refresh" : "revalidate")
      return response.status === 304
        ? yield* handleNotModified(u, call, stale.value, response, now)
        : yield* handleFull(u, call, response, now)
    }
    return yield* handleFull(u, call, yield* send(request, background ? "refresh" : "miss"), now)
  })
