/**
 * effect-governor: talk to rate-limited APIs at the highest speed they allow, from Effect.
 *
 * The public API is one namespace per concept, each the module of the same name in `src/`
 * (`RateLimiter` is `src/RateLimiter.ts`), in Effect's style: the service tag has the module's name
 * inside it (`RateLimiter.RateLimiter`, `CircuitBreaker.CircuitBreaker`) next to its constructors and
 * layers (`RateLimiter.layerMemory`, `CircuitBreaker.layer`). The folders under `src/` are the
 * machinery those modules re-export from; nothing else is public.
 *
 * Errors live in the namespace of the concept that raises them, and only there:
 * `RateLimiter.RateLimitExceeded`, `CircuitBreaker.CircuitOpenError`, `Bulkhead.DeadlineExceeded`,
 * `RetryPolicy.RetriesExhausted`, `ApiConfig.InvalidConfig` (also what `Limit` and `Limits.LimitsFile`
 * decoders fail with), `ConfigRegistry.UnknownApiConfig`, `ResilientClient.RefusedUrl`… Handle them by
 * tag (`Effect.catchTag("RateLimitExceeded", …)`) or by class.
 *
 * Other entry points: `effect-governor/testing` (the simulated API and its server families) and
 * `effect-governor/redis` (the connection, the Redis rate limiter, the shared breaker, the adaptive,
 * cache and limits stores), so this entry point never loads `ioredis`.
 *
 * @since 0.1.0
 */

// Rate limiting
/** @since 0.1.0 */
export * as Limit from "./Limit.js"
/** @since 0.1.0 */
export * as RateLimiter from "./RateLimiter.js"
/** @since 0.1.0 */
export * as Limits from "./Limits.js"
/** @since 0.1.0 */
export * as Tenants from "./Tenants.js"
/** @since 0.1.0 */
export * as AdaptiveController from "./AdaptiveController.js"

// Retries, breaker, bulkhead and timeouts
/** @since 0.1.0 */
export * as RetryPolicy from "./RetryPolicy.js"
/** @since 0.1.0 */
export * as CircuitBreaker from "./CircuitBreaker.js"
/** @since 0.1.0 */
export * as Bulkhead from "./Bulkhead.js"

// Response cache
/** @since 0.1.0 */
export * as ResponseCache from "./ResponseCache.js"

// Redaction, logging, metrics, tracing
/** @since 0.1.0 */
export * as Redaction from "./Redaction.js"
/** @since 0.1.0 */
export * as RedactingLogger from "./RedactingLogger.js"
/** @since 0.1.0 */
export * as Metrics from "./Metrics.js"
/** @since 0.1.0 */
export * as Tracing from "./Tracing.js"

// Configuration
/** @since 0.1.0 */
export * as ApiConfig from "./ApiConfig.js"
/** @since 0.1.0 */
export * as ConfigRegistry from "./ConfigRegistry.js"
/** @since 0.1.0 */
export * as Presets from "./Presets.js"

// The composed client
/** @since 0.1.0 */
export * as ResilientClient from "./ResilientClient.js"
