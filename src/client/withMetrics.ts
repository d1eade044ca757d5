/**
 * Step: one logical request (all its attempts) as metrics and statistics: the request counter by
 * outcome and status class, its duration, and the client's `ClientStats` (retries, 429s, results).
 * Outside `withRetry` so it sees the request's final result.
 *
 * @since 0.1.0
 */
import type { HttpClientResponse } from "@effect/platform"
import { Cause, Effect, Exit, Option, Predicate } from "effect"
import * as Metrics from "../metrics/GovernorMetrics.js"
import type { RetriesExhausted } from "../retry/errors.js"
import * as Exchange from "./exchange.js"
import type { Observer } from "./Observer.js"
import { type Step, stepWith } from "./step.js"
import * as Stats from "./stats.js"

/** The metrics outcome of a failed logical request. */
const outcomeOfError = (error: unknown): Metrics.RequestOutcome => {
  switch (Predicate.hasProperty(error, "_tag") ? error._tag : undefined) {
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

const finish = (
  observer: Observer,
  exchange: Exchange.Exchange,
  exit: Exit.Exit<HttpClientResponse.HttpClientResponse, unknown>
): void => {
  const seconds = (exchange.clock.unsafeCurrentTimeMillis() - exchange.startedAt) / 1000
  if (Exit.isSuccess(exit)) {
    observer.recorder.request(Metrics.outcomeOfStatus(exit.value.status), exit.value.status, seconds, exchange.labels)
  } else {
    const failure = Cause.failureOption(exit.cause)
    const outcome = Option.isNone(failure) ? "transport_error" : outcomeOfError(failure.value)
    observer.recorder.request(outcome, undefined, seconds, exchange.labels)
  }
  observer.stats.current = Stats.record(observer.stats.current, {
    ok: Exit.isSuccess(exit) && exit.value.status < 400,
    retryDelays: exchange.delays,
    rateLimitedResponses: exchange.rateLimited,
    cacheHit: false
  })
}

/**
 * @since 0.1.0
 * @category combinators
 */
export const withMetrics = (observer: Observer) => stepWith(metricsStep(observer), undefined)

/**
 * @since 0.1.0
 * @internal
 */
export const metricsStep = (observer: Observer): Step<void, never> => (_, send, request) =>
    Exchange.within(request, (exchange) =>
      Effect.matchCauseEffect(send(request), {
        onFailure: (cause) => {
          const exit = Exit.failCause(cause)
          finish(observer, exchange, exit)
          return exit
        },
        onSuccess: (response) => {
          finish(observer, exchange, Exit.succeed(response))
          return Effect.succeed(response)
        }
      }))
