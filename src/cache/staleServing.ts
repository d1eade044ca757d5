/**
 * Serving stale entries (RFC 5861), the effectful half:
 * - {@link orStale}: the request's upstream work, answered from a stale entry instead when it fails
 *   (any typed failure: retries exhausted, circuit open, deadline, transport) or returns an error
 *   status (`errorStatuses`);
 * - {@link makeRefresher}: background refreshes for `stale-while-revalidate`, forked into the cache's
 *   scope, at most one per key and a bounded number at once, failures logged and counted.
 *
 * @since 0.1.0
 * @internal
 */
import type { HttpClientResponse } from "@effect/platform"
import { Cause, Effect, Option, Predicate, type Scope } from "effect"
import type { HttpClientRequest } from "@effect/platform"
import type { CacheEntry } from "./CacheStore.js"
import type { Counters } from "./counters.js"
import { responseOf } from "./entries.js"
import { errorStatuses } from "./stale.js"
import { cacheStatus, type StaleReason } from "./status.js"

/** What a failure was, for logs: its tag or status only (an error may carry the request). */
const describe = (failure: unknown): string =>
  Predicate.hasProperty(failure, "_tag") && typeof failure._tag === "string" ? failure._tag : "unknown error"

/** A pass-through response's body is drained so its connection is released. */
const drain = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<void> =>
  Option.isNone(cacheStatus(response)) ? Effect.ignore(response.arrayBuffer) : Effect.void

/**
 * The answer from a stale entry, logged: `cache=stale` and `stale=<reason>` (the response's status
 * and {@link StaleReason}), never the request itself. Info for an error hidden by a stale answer (the
 * failed attempts have their own warnings), debug otherwise. A refresh logs as `cache=refresh`.
 *
 * @internal
 */
export const staleAnswer = (
  request: HttpClientRequest.HttpClientRequest,
  entry: CacheEntry,
  markerName: string | undefined,
  reason: StaleReason,
  now: number,
  error?: string
): Effect.Effect<HttpClientResponse.HttpClientResponse> =>
  Effect.as(
    (reason === "if-error" ? Effect.logInfo : Effect.logDebug)("response cache: served a stale entry").pipe(
      Effect.annotateLogs({
        cache: "stale",
        stale: reason,
        staleForMs: now - entry.expiresAt,
        ...(error === undefined ? {} : { error })
      })
    ),
    responseOf(request, entry, "STALE", markerName, reason)
  )

/**
 * `upstream`, or `stale(reason)` when it fails with a typed error or answers with an error status.
 * Interruptions and defects propagate.
 *
 * @internal
 */
export const orStale = <E, R>(
  upstream: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
  stale: (error: string) => Effect.Effect<HttpClientResponse.HttpClientResponse>
): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> =>
  Effect.matchCauseEffect(upstream, {
    onFailure: (cause) => {
      const failure = Cause.failureOption(cause)
      return Option.isSome(failure) && !Cause.isInterrupted(cause) ? stale(describe(failure.value)) : Effect.failCause(cause)
    },
    onSuccess: (response) =>
      errorStatuses.has(response.status)
        ? Effect.zipRight(drain(response), stale(`status ${response.status}`))
        : Effect.succeed(response)
  })

/** @internal */
export interface Refresher {
  /** Starts `refresh` for `key` in the background unless one is running or the bound is reached. */
  readonly start: <E, R>(
    key: string,
    refresh: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>
  ) => Effect.Effect<void, never, R>
}

/** @internal */
export const makeRefresher = (scope: Scope.Scope, max: number, counters: Counters): Refresher => {
  const running = new Set<string>()
  const failed = (key: string, reason: string) =>
    Effect.suspend(() => {
      counters.refreshFailures++
      return Effect.logWarning("response cache: background refresh failed").pipe(
        Effect.annotateLogs({ cache: "refresh", refresh: "failed", reason, key: key.slice(0, 12) })
      )
    })
  const start = <E, R>(key: string, refresh: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>) =>
    Effect.suspend(() => {
      if (running.has(key)) return Effect.void
      if (running.size >= max) {
        counters.refreshesSkipped++
        return Effect.void
      }
      // Marked synchronously: a second stale hit in the same tick sees this refresh.
      running.add(key)
      counters.refreshes++
      const work = refresh.pipe(
        Effect.matchCauseEffect({
          onFailure: (cause) =>
            Cause.isInterruptedOnly(cause)
              ? Effect.void
              : failed(key, Option.match(Cause.failureOption(cause), { onNone: () => "defect", onSome: describe })),
          onSuccess: (response) =>
            Effect.zipRight(
              drain(response),
              errorStatuses.has(response.status) ? failed(key, `status ${response.status}`) : Effect.void
            )
        }),
        Effect.ensuring(Effect.sync(() => running.delete(key)))
      )
      return Effect.asVoid(Effect.forkIn(work, scope))
    })
  return { start }
}
