/**
 * Step: each attempt acquires its cost from the `RateLimiter` under its key before it is sent,
 * waiting no longer than the request's deadline allows (a wait that cannot end in time fails at
 * once with `DeadlineExceeded`). It also counts what the limiter is about: its waits and the `429`
 * answers to the attempts it let through.
 *
 * @since 0.1.0
 */
import type { HttpClientRequest } from "@effect/platform"
import { Cause, Duration, Effect } from "effect"
import { DeadlineExceeded } from "../bulkhead/errors.js"
import type { Limit } from "../limiter/Limit.js"
import type { AcquireError } from "../limiter/errors.js"
import { type Cost, RateLimiter, type RateLimiterShape } from "../limiter/RateLimiter.js"
import * as Exchange from "./exchange.js"
import type { Observer } from "./Observer.js"
import { fromContext, type Step } from "./step.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RateLimiterStepOptions {
  readonly observer: Observer
  /** Limiter key of a request. Default: the API name. */
  readonly key?: ((request: HttpClientRequest.HttpClientRequest) => string) | undefined
  /** Limiter cost of a request. Default 1. */
  readonly cost?: ((request: HttpClientRequest.HttpClientRequest) => Cost) | undefined
  /** Limits passed on every call (a shared limiter, e.g. Redis, does not know this API's). */
  readonly limits?: ReadonlyArray<Limit> | undefined
}

/**
 * @since 0.1.0
 * @internal
 */
export const rateLimiterStep = (
  options: RateLimiterStepOptions
): Step<RateLimiterShape, AcquireError | DeadlineExceeded> => {
  const { observer, limits } = options
  const keyOf = options.key ?? (() => observer.api)
  return (limiter, send, request) =>
    Exchange.within(request, (exchange) =>
      Effect.suspend(() => {
        const left = exchange.deadlineAt - exchange.clock.unsafeCurrentTimeMillis()
        if (left <= 0) return Effect.fail(new DeadlineExceeded({ deadline: exchange.deadline }))
        const bounded = left !== Infinity
        return Effect.matchCauseEffect(
          limiter.acquire({ key: keyOf(request), cost: options.cost?.(request), limits, maxWait: bounded ? left : undefined }),
          {
            onFailure: (cause): Effect.Effect<never, AcquireError | DeadlineExceeded> =>
              bounded && Cause.isFailType(cause) && cause.error._tag === "RateLimitExceeded"
                ? Effect.fail(new DeadlineExceeded({ deadline: exchange.deadline }))
                : Effect.failCause(cause),
            onSuccess: (granted) => {
              exchange.limiterWait = granted.waited
              observer.recorder.limiterWait(Duration.toMillis(granted.waited) / 1000, exchange.labels)
              return Effect.map(send(request), (response) => {
                if (response.status === 429) {
                  exchange.rateLimited++
                  observer.recorder.rateLimited(exchange.labels)
                }
                return response
              })
            }
          }
        )
      }))
}

/**
 * Each attempt through the `RateLimiter` in context.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withRateLimiter = (options: RateLimiterStepOptions) => fromContext(RateLimiter, rateLimiterStep(options))
