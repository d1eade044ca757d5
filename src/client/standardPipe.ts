/**
 * The standard pipe `ResilientClient.make` composes: the steps of the public `with…` combinators (one
 * implementation each, in its `with…` module: the combinator is `fromContext(tag, step)`), in
 * {@link order}, with the parts built from the config given to them rather than read from context.
 * They are composed as plain functions inside one `HttpClient.transform` rather than as ten
 * combinators with the parts provided per request: measured, that literal pipe cost about +18 µs of
 * CPU per request (the governor's own ~58 µs → ~76 µs: ~6 for the layers, ~12 for the provide).
 *
 * @since 0.1.0
 * @internal
 */
import type { HttpClient, HttpClientError, HttpClientRequest } from "@effect/platform"
import type { Cost } from "../limiter/RateLimiter.js"
import type { ApiConfig } from "../config/ApiConfig.js"
import type * as RetryPolicy from "../retry/RetryPolicy.js"
import type * as Observer from "./Observer.js"
import type * as Services from "./services.js"
import type { Send, Step } from "./step.js"
import { adaptiveStep } from "./withAdaptiveFeedback.js"
import { attemptTimeoutStep } from "./withAttemptTimeout.js"
import { breakerStep } from "./withBreaker.js"
import { bulkheadStep } from "./withBulkhead.js"
import { cacheStep } from "./withCache.js"
import { deadlineStep } from "./withDeadline.js"
import { metricsStep } from "./withMetrics.js"
import { rateLimiterStep } from "./withRateLimiter.js"
import { requestLogStep } from "./withRequestLog.js"
import { retryStep } from "./withRetry.js"

/**
 * The steps from the outside in, by the public combinator each one is (the README's request flow
 * table lists the same, `test/client/standardPipe.test.ts` keeps them equal).
 *
 * @since 0.1.0
 * @internal
 */
export const order = [
  "withCache",
  "withMetrics",
  "withDeadline",
  "withRetry",
  "withBreaker",
  "withBulkhead",
  "withRateLimiter",
  "withAdaptiveFeedback",
  "withRequestLog",
  "withAttemptTimeout"
] as const

/**
 * What a step of the pipe may fail with (the governor's errors, typed by the caller).
 *
 * @since 0.1.0
 * @internal
 */
export type Inner<E> = Send<HttpClientError.HttpClientError | E, never>

/**
 * @since 0.1.0
 * @internal
 */
export interface PipeOptions {
  readonly config: ApiConfig
  readonly key?: ((request: HttpClientRequest.HttpClientRequest) => string) | undefined
  readonly cost?: ((request: HttpClientRequest.HttpClientRequest) => Cost) | undefined
  readonly parts: Services.Parts
  readonly policy: RetryPolicy.RetryPolicy
  readonly observer: Observer.Observer
  /** Called once if the transport turns out to ignore aborts. */
  readonly onIgnoredAbort: () => void
}

/**
 * The standard pipe around `transport`: the whole of it (`client`) and the steps below the cache
 * (`belowCache`, what the cache's prewarm sends through). Parts that are off are left out.
 *
 * @since 0.1.0
 * @internal
 */
export const make = <E>(
  transport: HttpClient.HttpClient,
  options: PipeOptions
): { readonly client: Inner<E>; readonly belowCache: Inner<E> } => {
  const { config, observer, parts } = options
  const api = config.name
  const steps: { readonly [K in typeof order[number]]: (next: Inner<E>) => Inner<E> } = {
    withCache: through(cacheStep(observer), parts.cache),
    withMetrics: through(metricsStep(observer), undefined),
    withDeadline: through(deadlineStep(config.timeouts.overall), undefined),
    withRetry: through(retryStep(options.policy, { api, redaction: observer.redaction }), undefined),
    withBreaker: through(breakerStep, parts.breaker),
    withBulkhead: through(bulkheadStep, parts.bulkhead),
    withRateLimiter: through(
      rateLimiterStep({ observer, key: options.key, cost: options.cost, limits: parts.perCallLimits }),
      parts.limiter
    ),
    withAdaptiveFeedback: through(adaptiveStep({ api, key: options.key }), parts.adaptive),
    withRequestLog: through(requestLogStep(observer), undefined),
    withAttemptTimeout: through(
      attemptTimeoutStep({ timeout: config.timeouts.attempt, onIgnoredAbort: options.onIgnoredAbort }),
      parts.timer
    )
  }
  const execute: Inner<E> = (request) => transport.execute(request)
  const [, ...inside] = order
  const belowCache = inside.reduceRight<Inner<E>>((next, name) => steps[name](next), execute)
  return { belowCache, client: steps.withCache(belowCache) }
}

/** `step` with `service` around `next` (skipped when the part is off). */
const through = <S, E2>(step: Step<S, E2>, service: S | null) => <E>(next: Inner<E>): Inner<E> =>
  service === null ? next : (request) => step(service, next, request) as ReturnType<Inner<E>>
