/**
 * Redis: the connection service shared by the Redis stores, and the stores themselves
 * (rate limiter: `RateLimiter.layerRedis` in `src/limiter/redis.ts`; adaptive state; response cache;
 * a circuit breaker shared by every process).
 *
 * @since 0.1.0
 */
export * as Redis from "./Redis.js"
export { makeAdaptiveStore, type RedisAdaptiveStoreOptions } from "./adaptiveStore.js"
export { makeCacheStore, type RedisCacheStoreOptions } from "./cacheStore.js"
export { layerCircuitBreaker, makeCircuitBreaker, type RedisCircuitBreakerOptions } from "./sharedBreaker.js"
