/**
 * The memory `RateLimiter`: the memory store (`memoryStore.ts`) with FIFO waiting (`waitQueue.ts`)
 * in front of it, for one process.
 *
 * **Speed.** The uncontended path (nobody waiting on the key, room in every bucket) is one
 * synchronous critical section inside `Effect.clockWith`: read the clock, refill, check, consume,
 * return the permit. No `Ref` round trips, no fibers, no allocation beyond the permit. JavaScript runs
 * one fiber at a time, so a synchronous section is atomic. A per-key FIFO line exists only while
 * someone waits.
 *
 * **Ordering (FIFO per key)** and **memory bound**: see `waitQueue.ts` and `memoryStore.ts`. At most
 * `maxKeys` keys (default 100,000, about 50 MB) are kept.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Layer, Schema } from "effect"
import { type Limit, LimitList } from "./Limit.js"
import { AnyDuration } from "../internal/schema.js"
import { makeMemoryLimiter } from "./memoryLimiter.js"
import type { InvalidRateLimiterOptions } from "./errors.js"
import { decodeLimiterOptions, MinIntervalOption, ThrottleOption, WholeNumber } from "./options.js"
import { RateLimiter, type RateLimiterShape } from "./RateLimiter.js"

/**
 * Options of the memory store.
 *
 * @since 0.1.0
 * @category models
 */
export interface MemoryOptions {
  /** Limits applied when a call does not pass its own `limits`. Names must be unique. */
  readonly limits: ReadonlyArray<Limit>
  /**
   * Proactive throttling: once a limit has used `threshold` of its capacity (default 0.8), admissions
   * are spaced so the rest lasts until the bucket is full again / the window resets. `false` turns it off.
   */
  readonly throttle?: { readonly threshold?: number | undefined } | false | undefined
  /** Minimum gap between two admissions on the same key. Default none. */
  readonly minInterval?: Duration.DurationInput | undefined
  /** Hard bound on live keys (see the module docs). Default 100,000. */
  readonly maxKeys?: number | undefined
  /** Evict keys untouched for this long even if their buckets are not full yet. Default: never. */
  readonly idleTimeout?: Duration.DurationInput | undefined
}

/**
 * The schema `layerMemory` decodes its options with; errors name the offending field.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MemoryOptionsSchema = Schema.Struct({
  limits: LimitList,
  throttle: ThrottleOption,
  minInterval: MinIntervalOption,
  maxKeys: Schema.optionalWith(WholeNumber, { default: () => 100_000 }),
  idleTimeout: Schema.optionalWith(AnyDuration, { default: () => Duration.infinity })
})

const decode = decodeLimiterOptions(MemoryOptionsSchema)

/**
 * Build a memory store. Fails with an `InvalidRateLimiterOptions` naming the field when the options are
 * invalid.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Limit, RateLimiter } from "effect-governor"
 *
 * const program = Effect.gen(function*() {
 *   const limiter = yield* RateLimiter.makeMemory({ limits: [Limit.perSecond("api", 10)] })
 *   yield* limiter.acquire({ key: "user-1" })
 * })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (options: MemoryOptions): Effect.Effect<RateLimiterShape, InvalidRateLimiterOptions> =>
  Effect.map(decode(options), (config) =>
    makeMemoryLimiter({
      limits: config.limits,
      throttle: config.throttle === false ? false : config.throttle.threshold,
      minIntervalMs: Duration.toMillis(config.minInterval),
      maxKeys: config.maxKeys,
      idleTimeoutMs: Duration.toMillis(config.idleTimeout)
    }))

/**
 * A `RateLimiter` layer backed by memory (one process). Fails with an `InvalidRateLimiterOptions` naming
 * the field when the options are invalid.
 *
 * @example
 * ```ts
 * import { Limit, RateLimiter } from "effect-governor"
 *
 * const LimiterLive = RateLimiter.layerMemory({
 *   limits: [Limit.perMinute("rpm", 500), Limit.perMinute("tpm", 30_000)],
 *   throttle: { threshold: 0.8 },
 *   minInterval: "20 millis"
 * })
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layerMemory = (options: MemoryOptions): Layer.Layer<RateLimiter, InvalidRateLimiterOptions> =>
  Layer.effect(RateLimiter, makeMemory(options))
