/**
 * `effect-governor/testing`: a simulated rate-limited API for tests, examples and benchmarks.
 *
 * @since 0.1.0
 */
export * as HiddenBucket from "./hiddenBucket.js"
export { type HeaderStyle, rateLimitHeaders } from "./rateLimitHeaders.js"
export * as SimulatedApi from "./SimulatedApi.js"
