/**
 * `effect-governor/redis`: everything that needs Redis (and loads `ioredis`), kept out of the root
 * entry point so programs that do not use Redis never load it.
 *
 * - `Redis`: the connection service and its layers (`Redis.layer`, `Redis.layerConfig`).
 * - `RedisLimiter`: the `RateLimiter` service on Redis (`RedisLimiter.layer({ limits, ... })`).
 * - `makeAdaptiveStore`: the adaptive controller's learned rates, shared by every worker.
 * - `makeCacheStore`: a response cache store shared by every worker.
 *
 * @since 0.1.0
 */
/** @since 0.1.0 */
export * as Redis from "./Redis.js"
/** @since 0.1.0 */
export * as RedisLimiter from "./RedisLimiter.js"
/** @since 0.1.0 */
export { makeAdaptiveStore, type RedisAdaptiveStoreOptions } from "./adaptiveStore.js"
/** @since 0.1.0 */
export { makeCacheStore, type RedisCacheStoreOptions } from "./cacheStore.js"
/** @since 0.1.0 */
export { layerCircuitBreaker, makeCircuitBreaker, type RedisCircuitBreakerOptions } from "./sharedBreaker.js"
/** @since 0.1.0 */
export { layerLimitsStore, makeLimitsStore, type RedisLimitsStoreOptions } from "./limitsStore.js"
/** @since 0.1.0 */
export { layerTenantLimiter, makeTenantLimiter, type RedisTenantOptions } from "./tenantLimiter.js"
