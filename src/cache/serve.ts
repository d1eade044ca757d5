/**
 * The request path of the response cache: lookup, fresh hit, stale answers (RFC 5861) and the
 * single flight around upstream work.
 *
 * @since 0.1.0
 * @internal
 */
import type { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type { ResponseError } from "@effect/platform/HttpClientError"
import { Effect, Option } from "effect"
import type { CacheEntry } from "./CacheStore.js"
import { servedAs } from "./CachedResponse.js"
import { countAnswer, type Counters } from "./counters.js"
import { cacheControlOf, responseOf, Variant } from "./entries.js"
import { makeFlights } from "./flight.js"
import type { CallOptions, Resolved } from "./options.js"
import { decideRequest, isImmutable } from "./policy.js"
import { staleAllowance } from "./stale.js"
import { orStale, type Refresher, staleAnswer } from "./staleServing.js"
import type { StoreAccess } from "./storeAccess.js"
import { lead, type LeadCall, type Send, type Upstream } from "./upstream.js"

type Response = HttpClientResponse.HttpClientResponse

/** One handled call: what every step of its path needs. */
interface Call<E, R> extends LeadCall<E, R> {
  readonly options: CallOptions | undefined
  /** Stale entries may answer (not for a prewarm). */
  readonly allowStale: boolean
}

/** @internal */
export type Cached = <E, R>(
  request: HttpClientRequest.HttpClientRequest,
  send: Send<E, R>,
  options: CallOptions | undefined,
  allowStale: boolean
) => Effect.Effect<Response, E | ResponseError, R>

/** @internal */
export const makeCached = (resolved: Resolved, access: StoreAccess, counters: Counters, refresher: Refresher): Cached => {
  const { keyFor, keyedNames, markerName, settingsFor } = resolved
  const u: Upstream = { store: access, counters, markerName, maxBodyBytes: resolved.maxBodyBytes }
  const flights = makeFlights()
  const count = (response: Response) =>
    Effect.sync(() => {
      const served = servedAs(response)
      countAnswer(counters, served?.status, served?.reason)
    })

  /**
   * Single flight around the leader's work; waiters get the leader's entry (or start over). `ifError`:
   * the caller's `stale-if-error` answer, given to a waiter whose leader got an error status.
   */
  const flight = <E, R>(
    call: Call<E, R>,
    candidate: Option.Option<CacheEntry>,
    background: boolean,
    ifError?: (error: string) => Effect.Effect<Response>
  ) => {
    const { request, send } = call
    return flights.run(
      call.key,
      lead(u, call, candidate, background),
      (result): Response =>
        result._tag === "PassThrough" ? result.response : responseOf(request, result.entry, result.status, markerName),
      (outcome): Effect.Effect<Response, E | ResponseError, R> => {
        switch (outcome._tag) {
          case "Shared":
            return Effect.succeed(
              responseOf(request, outcome.entry, outcome.status === "MISS" ? "COALESCED" : outcome.status, markerName)
            )
          case "SendYourself":
            return send(request, "miss")
          case "ErrorStatus":
            return ifError === undefined ? send(request, "miss") : ifError(`status ${outcome.status}`)
          case "Retry":
            // The leader was interrupted: start over (this fiber may become the leader).
            return lookup(call)
        }
      }
    )
  }

  /** A lookup that found `entry` past its freshness. */
  const onStale = <E, R>(call: Call<E, R>, entry: CacheEntry, now: number): Effect.Effect<Response, E | ResponseError, R> => {
    const { request } = call
    const allowance = staleAllowance(entry.headers, call.settings.policy, cacheControlOf(entry))
    if (now < entry.expiresAt + allowance.whileRevalidate) {
      return Effect.zipRight(
        refresher.start(call.key, flight(call, Option.some(entry), true)),
        staleAnswer(request, entry, markerName, "while-revalidate", now)
      )
    }
    if (now < entry.expiresAt + allowance.ifError) {
      // The leader's failure answers its waiters too: a failed cause reaches them as is, an error
      // status as `ErrorStatus` (its response is the leader's alone).
      const stale = (error: string) => staleAnswer(request, entry, markerName, "if-error", now, error)
      return orStale(flight(call, Option.some(entry), false, stale), stale)
    }
    return flight(call, Option.some(entry), false)
  }

  // The hot path: a fresh hit is a store lookup, a clock read and one response object.
  const lookup = <E, R>(call: Call<E, R>): Effect.Effect<Response, E | ResponseError, R> =>
    Effect.clockWith((clock) =>
      Effect.flatMap(access.get(call.key), (found) => {
        if (Option.isNone(found) || !call.variant.matches(found.value)) {
          return flight(call, Option.none(), false)
        }
        const entry = found.value
        const now = clock.unsafeCurrentTimeMillis()
        if (now < entry.expiresAt && (!call.revalidate || isImmutable(entry.headers, cacheControlOf(entry)))) {
          return Effect.succeed(responseOf(call.request, entry, "HIT", markerName))
        }
        return call.revalidate || !call.allowStale ? flight(call, found, false) : onStale(call, entry, now)
      })
    )

  return (request, send, options, allowStale) =>
    Effect.suspend(() => {
      const settings = settingsFor(options)
      const decision = decideRequest(request.method, request.headers, settings.policy)
      const key = decision._tag === "Lookup" ? keyFor(request, options) : undefined
      if (decision._tag === "Bypass" || key === undefined) {
        counters.bypassed++
        return send(request, "bypass")
      }
      // Counted here, once, by how the answer leaves the cache (a waiter starting over is not
      // counted twice; a background refresh, answering nobody, not at all).
      const variant = new Variant(request.headers, keyedNames(options))
      return Effect.tap(lookup({ request, send, options, settings, key, revalidate: decision.revalidate, allowStale, variant }), count)
    })
}
