/**
 * effect-governor: talk to rate-limited APIs at the highest speed they allow, from Effect.
 *
 * Public API only; each name is a module namespace in Effect's style (`RateLimiter.layerMemory`,
 * `RateLimiter.RateLimiter` for the tag, `Limit.perSecond`, …).
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Limit from "./limiter/Limit.js"
/** @since 0.1.0 */
export * as RateLimiter from "./limiter/index.js"
/** @since 0.1.0 */
export * as Retry from "./retry/index.js"
/** @since 0.1.0 */
export * as RetryPolicy from "./retry/RetryPolicy.js"
/** @since 0.1.0 */
export * as CircuitBreaker from "./breaker/index.js"
/** @since 0.1.0 */
export * as Bulkhead from "./bulkhead/index.js"
/** @since 0.1.0 */
export * as AdaptiveController from "./adaptive/AdaptiveController.js"
/** @since 0.1.0 */
export * as Adaptive from "./adaptive/index.js"
/** @since 0.1.0 */
export * as ResponseCache from "./cache/index.js"
/** @since 0.1.0 */
export * as Redaction from "./logging/Redaction.js"
/** @since 0.1.0 */
export * as RedactingLogger from "./logging/RedactingLogger.js"
/** @since 0.1.0 */
export * as RequestLog from "./logging/RequestLog.js"
/** @since 0.1.0 */
export * as Redact from "./logging/redact.js"
/** @since 0.1.0 */
export * as Metrics from "./metrics/GovernorMetrics.js"
/** @since 0.1.0 */
export * as Prometheus from "./metrics/prometheus.js"
/** @since 0.1.0 */
export * as ApiConfig from "./config/ApiConfig.js"
/** @since 0.1.0 */
export * as ConfigRegistry from "./config/ConfigRegistry.js"
/** @since 0.1.0 */
export * as Presets from "./config/presets.js"
/** @since 0.1.0 */
export * as ApiConfigLoader from "./config/load.js"
/** @since 0.1.0 */
export { ConfigError, UnknownApiConfig } from "./config/errors.js"
/** @since 0.1.0 */
export * as Redis from "./redis/Redis.js"
/** @since 0.1.0 */
export { makeAdaptiveStore as makeRedisAdaptiveStore, makeCacheStore as makeRedisCacheStore } from "./redis/index.js"
/** @since 0.1.0 */
export * as MetricsServer from "./metrics/MetricsServer.js"
/** @since 0.1.0 */
export * as Tracing from "./metrics/Tracing.js"
/** @since 0.1.0 */
export * as Timeouts from "./bulkhead/timeouts.js"
/** @since 0.1.0 */
export * as ResilientClient from "./client/ResilientClient.js"
/** @since 0.1.0 */
export { makeClientFor } from "./client/ResilientClient.js"
/** @since 0.1.0 */
export * as ClientStats from "./client/stats.js"
