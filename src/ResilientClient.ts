/**
 * The governed client: `ResilientClient.make(config)` / `layer(config)` / `makeClientFor(name)` put the
 * cache, breaker, bulkhead, limiter, adaptive feedback, retries, deadline and request log around an
 * `HttpClient`, and report a snapshot of all of them. Each of those steps is also a combinator of its
 * own (`withCache`, `withBreaker`, …) that reads its service from context, to compose by hand
 * (README: "Compose the combinators yourself"; `test/readme.test.ts` keeps the two copies equal):
 *
 * @example
 * ```ts
 * import { HttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 * import { CircuitBreaker, Limit, RateLimiter, ResilientClient, RetryPolicy } from "effect-governor"
 *
 * const observer = ResilientClient.Observer.make({ api: "vendor" })
 * const policy = yield* RetryPolicy.make({ maxRetries: 3 })
 * const client = (yield* HttpClient.HttpClient).pipe(
 *   ResilientClient.withAttemptTimeout({ timeout: "10 seconds" }), // innermost: next to the transport
 *   ResilientClient.withRequestLog(observer),
 *   ResilientClient.withRateLimiter({ observer }),
 *   ResilientClient.withBreaker,
 *   ResilientClient.withRetry(policy, { api: "vendor" }),
 *   ResilientClient.withDeadline("30 seconds"),
 *   ResilientClient.withMetrics(observer)
 * )
 * // Each step reads its service from context: build yours once and give it to every request (a layer
 * // provided per request would build a new breaker and limiter each time: they would never trip or wait).
 * const parts = yield* Layer.build(Layer.mergeAll(
 *   ResilientClient.layerDeadlineTimer,
 *   CircuitBreaker.layer({ failureThreshold: 5 }),
 *   RateLimiter.layerMemory({ limits: [Limit.perSecond("rps", 10)] })
 * ))
 * const response = yield* client.get("https://api.vendor.test/items").pipe(Effect.provide(parts))
 * ```
 *
 * @since 0.1.0
 */
export * from "./client/ResilientClient.js"
export type { ClientStats } from "./client/stats.js"
export { DeadlineTimer, type DeadlineTimerShape, layer as layerDeadlineTimer } from "./client/DeadlineTimer.js"
export * as Observer from "./client/Observer.js"
export { type AdaptiveFeedbackOptions, withAdaptiveFeedback } from "./client/withAdaptiveFeedback.js"
export { type AttemptTimeoutOptions, withAttemptTimeout } from "./client/withAttemptTimeout.js"
export { withBreaker } from "./client/withBreaker.js"
export { withBulkhead } from "./client/withBulkhead.js"
export { withCache } from "./client/withCache.js"
export { withDeadline } from "./client/withDeadline.js"
export { withMetrics } from "./client/withMetrics.js"
export { type RateLimiterStepOptions, withRateLimiter } from "./client/withRateLimiter.js"
export { withRequestLog } from "./client/withRequestLog.js"
export { type RetryStepOptions, withRetry } from "./client/withRetry.js"
