/**
 * Redis: the connection service shared by the Redis stores, and the stores themselves
 * (rate limiter: `RateLimiter.layerRedis` in `src/limiter/redis.ts`; adaptive state; response cache).
 *
 * @since 0.1.0
 */
export * as Redis from "./Redis.js"
export { makeAdaptiveStore, type RedisAdaptiveStoreOptions } from "./adaptiveStore.js"
export { makeCacheStore, type RedisCacheStoreOptions } from "./cacheStore.js"
export { layerLimitsStore, makeLimitsStore, type RedisLimitsStoreOptions } from "./limitsStore.js"
