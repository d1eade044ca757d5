/**
 * `effect-governor/testing`: a simulated rate-limited API for tests, examples and benchmarks, and the
 * pure server families behind it.
 *
 * @since 0.1.0
 */
export * as FixedWindow from "./FixedWindow.js"
export * as Gcra from "./Gcra.js"
export * as HiddenBucket from "./HiddenBucket.js"
export type { Decision, QuotaView } from "./quota.js"
export { type HeaderStyle, type IetfStyle, rateLimitHeaders } from "./rateLimitHeaders.js"
export { retryAfterHeader, type RetryAfterStyle } from "./retryAfterValue.js"
export * as ServerLimiter from "./ServerLimiter.js"
export * as SimulatedApi from "./SimulatedApi.js"
export * as SlidingLog from "./SlidingLog.js"
