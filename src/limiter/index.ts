/**
 * The rate limiter: the `Limit` model, the `RateLimiter` service tag and its memory store.
 *
 * Users write `RateLimiter.layerMemory({ ... })`, `RateLimiter.RateLimiter` (the tag) and
 * `RateLimiter.Limit.perSecond(...)` (the root index also exports `Limit` on its own). The Redis store
 * is in `effect-governor/redis` (`RedisLimiter.layer`), so this module never loads `ioredis`.
 *
 * @since 0.1.0
 */
export * from "./errors.js"
export * as Limit from "./Limit.js"
export { layerMemory, makeMemory, type MemoryOptions, MemoryOptionsSchema } from "./memory.js"
export { MAX_PACING_MS, MIN_PACING_RATE } from "./pacing.js"
export {
  type AcquireOptions,
  type Cost,
  DEFAULT_KEY,
  type Lease,
  type LeaseOptions,
  type LimiterSnapshot,
  type LimiterStats,
  type LimitSnapshot,
  type Permit,
  RateLimiter,
  type RateLimiterShape,
  type SetRateOptions
} from "./RateLimiter.js"
