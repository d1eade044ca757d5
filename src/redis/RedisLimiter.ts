/**
 * The `RateLimiter` service on Redis: limits shared by every process and machine that talks to the
 * same Redis, one EVALSHA round trip per decision. The limiter itself lives with the other limiter
 * stores (`src/limiter/redisLimiter.ts`, `redisStore.ts`, the script in `redisScript.ts`); this module
 * connects it to the {@link Redis} service.
 *
 * @since 0.1.0
 */
import { Effect, Layer, type Scope } from "effect"
import type { InvalidRateLimiterOptions } from "../limiter/errors.js"
import { RateLimiter, type RateLimiterShape } from "../limiter/RateLimiter.js"
import { makeRedisLimiter } from "../limiter/redisLimiter.js"
import type { RedisLimiterOptions } from "../limiter/redisOptions.js"
import { scriptPort } from "./limiterPort.js"
import { Redis } from "./Redis.js"

export type {
  /** @since 0.1.0 */
  OnUnavailable,
  /** @since 0.1.0 */
  RedisLimiterOptions
} from "../limiter/redisOptions.js"

/**
/**
 * Build a Redis-backed `RateLimiterShape`. Requires the {@link Redis} connection service. Fails with
 * a `RateLimiter.InvalidRateLimiterOptions` naming the field when the options are invalid (`expectedWorkers:
 * NaN`, a duplicate limit name, `throttle.threshold: 2`, `localBatch: 0`…), like the memory limiter.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Limit } from "effect-governor"
 * import { Redis, RedisLimiter } from "effect-governor/redis"
 *
 * const Live = RedisLimiter.layer({ limits: [Limit.perMinute("rpm", 600)], onUnavailable: "fail-open" })
 *   .pipe(Layer.provide(Redis.layerConfig()))
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: RedisLimiterOptions): Effect.Effect<RateLimiterShape, InvalidRateLimiterOptions, Redis | Scope.Scope> =>
  Effect.flatMap(Redis, (redis) => makeRedisLimiter(scriptPort(redis), options))

/**
 * The `RateLimiter` service backed by Redis. Provide the {@link Redis} connection layer
 * (`Redis.layer(...)` / `Redis.layerConfig()`). Fails with an `InvalidRateLimiterOptions` naming the field
 * when the options are invalid.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: RedisLimiterOptions): Layer.Layer<RateLimiter, InvalidRateLimiterOptions, Redis> =>
  Layer.scoped(RateLimiter, make(options))
