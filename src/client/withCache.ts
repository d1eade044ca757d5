/**
 * Step: safe requests answered from the `ResponseCache` (fresh entries, revalidation with `304`,
 * stale entries when what is behind it fails or refuses, one flight per key). The outermost step:
 * only from there can a stale entry answer for a breaker that is open, a limiter or bulkhead that
 * refuses, or a deadline that has passed. What it sends carries its reason (`miss`, `revalidate`,
 * `refresh`, `bypass`) into the attempt lines; hits are counted and logged here.
 *
 * @since 0.1.0
 */
import type { HttpClientRequest, HttpClientResponse } from "@effect/platform"
import type { ResponseError } from "@effect/platform/HttpClientError"
import { Clock, Duration, Effect, FiberRef, LogLevel, Option } from "effect"
import { InvalidCacheOptions } from "../cache/CacheStore.js"
import * as Cache from "../cache/ResponseCache.js"
import * as RequestLog from "../logging/RequestLog.js"
import * as Metrics from "../metrics/GovernorMetrics.js"
import * as Exchange from "./exchange.js"
import type { Observer } from "./Observer.js"
import { fromContext, type Step } from "./step.js"
import * as Stats from "./stats.js"

/** The line of a response served without an attempt of its own (fresh entry, or another's flight). */
const logHit = (
  observer: Observer,
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse,
  startedAt: number
) =>
  Effect.flatMap(FiberRef.get(FiberRef.currentMinimumLogLevel), (min) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      observer.writeLine(min, LogLevel.Info, () =>
        RequestLog.logCacheHit({
          api: observer.api,
          method: request.method,
          url: request.url,
          status: response.status,
          duration: Duration.millis(now - startedAt)
        })) ?? Effect.void))

const observe = (
  observer: Observer,
  request: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse,
  startedAt: number
): Effect.Effect<void> =>
  Option.match(Cache.cacheStatus(response), {
    onNone: () => Effect.void,
    onSome: (s) =>
      s === "STALE"
        ? Option.match(Cache.staleReason(response), {
          onNone: () => Effect.void,
          onSome: (reason) => Metrics.recordCacheStale(observer.api, reason)
        })
        : s === "HIT" || s === "REVALIDATED" || s === "COALESCED"
        ? Effect.zipRight(
          Metrics.recordCacheHit(observer.api),
          Effect.suspend(() => {
            if (s === "HIT") {
              observer.stats.current = Stats.record(observer.stats.current, {
                ok: true,
                retryDelays: [],
                rateLimitedResponses: 0,
                cacheHit: true
              })
            }
            // A revalidation logged its own attempt line (cache=revalidate).
            return s === "REVALIDATED" ? Effect.void : logHit(observer, request, response, startedAt)
          })
        )
        : Metrics.recordCacheMiss(observer.api)
  })

/**
 * @since 0.1.0
 * @internal
 */
export const cacheStep = (observer: Observer): Step<Cache.ResponseCacheService, ResponseError> =>
(cache, send, request) =>
  Effect.flatMap(Clock.currentTimeMillis, (startedAt) =>
    Effect.tap(
      cache.cached(request, (req, reason) =>
        Exchange.within(req, (exchange) => {
          exchange.cache = reason
          return send(req)
        }), { partition: observer.api }).pipe(
          // Its only option is the API's name as the partition, a string the cache never refuses.
          Effect.catchAll((e) => e instanceof InvalidCacheOptions ? Effect.die(e) : Effect.fail(e))
        ),
      (response) => observe(observer, request, response, startedAt)
    ))

/**
 * Safe requests through the `ResponseCache` in context, partitioned by the observer's API name.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withCache = (observer: Observer) => fromContext(Cache.ResponseCache, cacheStep(observer))
