/**
 * The rate limiter: the `RateLimiter` service (`RateLimiter.RateLimiter`), its in-memory store
 * (`RateLimiter.layerMemory`, `RateLimiter.makeMemory`) and its errors. The Redis store is
 * `RedisLimiter` in `effect-governor/redis`, so this module never loads `ioredis`.
 *
 * @since 0.1.0
 */
export * from "./limiter/RateLimiter.js"
export {
  type AcquireError,
  CostExceedsCapacity,
  InvalidCost,
  InvalidPacing,
  InvalidRateLimiterOptions,
  LimitViolation,
  RateLimiterUnavailable,
  RateLimitExceeded
} from "./limiter/errors.js"
export { layerMemory, makeMemory, type MemoryOptions } from "./limiter/memory.js"
export { MAX_PACING_MS, MIN_PACING_RATE } from "./limiter/pacing.js"
