/**
 * The options of the Redis limiter (decoded with `RedisLimiterOptionsSchema` of `options.ts`: a bad
 * value fails the limiter's construction with an `InvalidRateLimiterOptions` naming the field).
 *
 * @since 0.1.0
 * @internal
 */
import type { Duration } from "effect"
import type * as Limit from "./Limit.js"

/**
 * What to do when Redis cannot be reached: `"fail-closed"` fails every decision with
 * `RateLimiterUnavailable`; `"fail-open"` admits everything; `"local-fallback"` limits locally with
 * every limit divided by `expectedWorkers`. In every mode the store goes back to Redis by itself as
 * soon as the connection is ready again (the client reconnects in the background).
 *
 * @since 0.1.0
 * @category models
 */
export type OnUnavailable = "fail-closed" | "fail-open" | "local-fallback"

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisLimiterOptions {
  /** Limits applied when a call does not pass its own `limits`. */
  readonly limits: ReadonlyArray<Limit.Limit>
  /** Default `"fail-closed"`. */
  readonly onUnavailable?: OnUnavailable | undefined
  /** Number of workers sharing the limits, used by `"local-fallback"`. Default 1. */
  readonly expectedWorkers?: number | undefined
  /**
   * Proactive throttling, as in the memory store: once a limit has used `threshold` of its capacity
   * (default 0.8), admissions are spaced so the rest lasts until the bucket is full again / the window
   * resets, across all workers. `false` turns it off.
   */
  readonly throttle?: { readonly threshold?: number | undefined } | false | undefined
  /** Minimum gap between two admissions on the same key, across all workers. Default none. */
  readonly minInterval?: Duration.DurationInput | undefined
  /** How long a `setRate` pace survives without traffic. Default 1 hour. */
  readonly rateTtl?: Duration.DurationInput | undefined
  /**
   * Slack added to every key's TTL beyond the time until its buckets are full again; at least half
   * of it is left after every decision. Default 1 second.
   */
  readonly keyTtlMargin?: Duration.DurationInput | undefined
  /**
   * Batched tokens for hot keys (opt-in, 1 to 10,000; default 1: off): a request that finds room
   * takes up to this many requests' tokens in one round trip and this process hands the rest out
   * without asking Redis. Over any window, every process together may then admit up to
   * processes × (`localBatch` - 1) beyond the limit, only while they hold batched tokens (see
   * `localBatch.ts`). Cost-1 and numeric costs only; cost maps are decided one by one.
   */
  readonly localBatch?: number | undefined
  /** How long a key's batched tokens stay unused in this process before they are given back. Default 1 second. */
  readonly localBatchTtl?: Duration.DurationInput | undefined
}
