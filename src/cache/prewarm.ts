/**
 * Filling the cache ahead of use.
 *
 * @since 0.1.0
 * @internal
 */
import type { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type { ResponseError } from "@effect/platform/HttpClientError"
import { Effect, Option } from "effect"
import { cacheStatus } from "./status.js"

/**
 * Outcome of a prewarm.
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
 * Runs each request through `cached` (which must not serve stale entries) and reports what happened.
 * Never fails.
 *
 * @internal
 */
export const prewarm = <E, R>(
  requests: Iterable<HttpClientRequest.HttpClientRequest>,
  cached: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<HttpClientResponse.HttpClientResponse, E | ResponseError, R>,
  concurrency: number
): Effect.Effect<PrewarmReport<E | ResponseError>, never, R> =>
  Effect.gen(function*() {
    const list = Array.from(requests)
    const results = yield* Effect.forEach(
      list,
      (request) =>
        cached(request).pipe(
          Effect.tap((response) =>
            // Drain pass-through bodies so connections are released.
            Option.isNone(cacheStatus(response)) ? Effect.ignore(response.arrayBuffer) : Effect.void
          ),
          Effect.map((response) => Option.getOrUndefined(cacheStatus(response))),
          Effect.either
        ),
      { concurrency }
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
