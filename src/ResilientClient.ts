/**
 * The governed client: `ResilientClient.make(config)` / `layer(config)` / `makeClientFor(name)` put the
 * cache, breaker, bulkhead, limiter, adaptive feedback, retries, deadline and request log around an
 * `HttpClient`, and report a snapshot of all of them. Each of those steps is also a combinator of its
 * own (`withCache`, `withBreaker`, …) that reads its service from context, to compose by hand.
 *
 * @since 0.1.0
 */
export * from "./client/ResilientClient.js"
export type { ClientStats } from "./client/stats.js"
export { DeadlineTimer, type DeadlineTimerShape, layer as layerDeadlineTimer } from "./client/DeadlineTimer.js"
export * as Observer from "./client/observer.js"
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
