/**
 * The governed client: `ResilientClient.make(config)` / `layer(config)` / `makeClientFor(name)` put the
 * cache, breaker, bulkhead, limiter, adaptive feedback, retries, deadline and request log around an
 * `HttpClient`, and report a snapshot of all of them.
 *
 * @since 0.1.0
 */
export * from "./client/ResilientClient.js"
export type { ClientStats } from "./client/stats.js"
