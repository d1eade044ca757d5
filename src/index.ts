/**
 * effect-governor: talk to rate-limited APIs at the highest speed they allow, from Effect.
 *
 * Public API only. Each concern is a module namespace in Effect's style: the service tag has the
 * module's name inside it (`RateLimiter.RateLimiter`, `CircuitBreaker.CircuitBreaker`) next to its
 * constructors and layers (`RateLimiter.layerMemory`, `CircuitBreaker.layer`). The simulated API and
 * other test helpers live in `effect-governor/testing`; everything on Redis (the connection, the
 * Redis rate limiter, adaptive and cache stores) in `effect-governor/redis`, so this entry point never
 * loads `ioredis`.
 *
 * @since 0.1.0
 */

// Rate limiting
/** @since 0.1.0 */
export * as Limit from "./limiter/Limit.js"
/** @since 0.1.0 */
export * as RateLimiter from "./limiter/index.js"
/** @since 0.1.0 */
export {
  CostExceedsCapacity,
  InvalidCost,
  InvalidPacing,
  LimitViolation,
  RateLimiterUnavailable,
  RateLimitExceeded
} from "./limiter/errors.js"

// Limits as data (entities, resources, stored limits, audit)
/** @since 0.1.0 */
export * as Limits from "./limits/index.js"
/** @since 0.1.0 */
export * as Tenants from "./tenants/index.js"

// Adaptive rate
/** @since 0.1.0 */
export * as AdaptiveController from "./adaptive/AdaptiveController.js"
/** @since 0.1.0 */
export * as Aimd from "./adaptive/aimd.js"
/** @since 0.1.0 */
export * as RateLimitHeaders from "./adaptive/headers.js"

// Retries, breaker, bulkhead, timeouts
/** @since 0.1.0 */
export * as RetryPolicy from "./retry/RetryPolicy.js"
/** @since 0.1.0 */
export * as Retry from "./retry/index.js"
/** @since 0.1.0 */
export { InvalidRetryPolicy, RetriesExhausted } from "./retry/errors.js"
/** @since 0.1.0 */
export * as CircuitBreaker from "./breaker/CircuitBreaker.js"
/** @since 0.1.0 */
export { CircuitOpenError, InvalidCircuitBreakerOptions } from "./breaker/errors.js"
/** @since 0.1.0 */
export * as Bulkhead from "./bulkhead/Bulkhead.js"
/** @since 0.1.0 */
export * as Timeouts from "./bulkhead/timeouts.js"
/** @since 0.1.0 */
export { AttemptTimeout, BulkheadFull, DeadlineExceeded, InvalidBulkheadOptions } from "./bulkhead/errors.js"

// Response cache
/** @since 0.1.0 */
export * as ResponseCache from "./cache/ResponseCache.js"
/** @since 0.1.0 */
export * as CacheKey from "./cache/key.js"
/** @since 0.1.0 */
export * as CachePolicy from "./cache/policy.js"
/** @since 0.1.0 */
export { makeFileStore as makeFileCacheStore } from "./cache/FileStore.js"
/** @since 0.1.0 */
export { makeMemoryStore as makeMemoryCacheStore } from "./cache/MemoryStore.js"
/** @since 0.1.0 */
export { type CacheEntry, type CacheStore, CacheStoreError, InvalidCacheOptions } from "./cache/CacheStore.js"

// Logging, metrics, tracing
/** @since 0.1.0 */
export * as Redact from "./logging/redact.js"
/** @since 0.1.0 */
export * as Redaction from "./logging/Redaction.js"
/** @since 0.1.0 */
export * as RedactingLogger from "./logging/RedactingLogger.js"
/** @since 0.1.0 */
export * as RequestLog from "./logging/RequestLog.js"
/** @since 0.1.0 */
export * as KnownSecrets from "./logging/KnownSecrets.js"
/** @since 0.1.0 */
export * as Metrics from "./metrics/GovernorMetrics.js"
/** @since 0.1.0 */
export * as Prometheus from "./metrics/prometheus.js"
/** @since 0.1.0 */
export * as MetricsServer from "./metrics/MetricsServer.js"
/** @since 0.1.0 */
export * as Tracing from "./metrics/Tracing.js"

// Configuration
/** @since 0.1.0 */
export * as ApiConfig from "./config/ApiConfig.js"
/** @since 0.1.0 */
export * as ConfigRegistry from "./config/ConfigRegistry.js"
/** @since 0.1.0 */
export * as Presets from "./config/presets.js"
/** @since 0.1.0 */
export * as ApiConfigLoader from "./config/load.js"
/** @since 0.1.0 */
export * as ConfigReference from "./config/reference.js"
/** @since 0.1.0 */
export { ConfigError, DuplicateApiConfig, UnknownApiConfig } from "./config/errors.js"

// The composed client
/** @since 0.1.0 */
export * as ResilientClient from "./client/ResilientClient.js"
/** @since 0.1.0 */
export { makeClientFor } from "./client/ResilientClient.js"
/** @since 0.1.0 */
export * as ClientStats from "./client/stats.js"
