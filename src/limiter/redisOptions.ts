/**
 * The options of the Redis limiter, and the schema its numeric settings are checked with (a bad
 * value fails the limiter's construction with a `ParseError` naming the field).
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, Effect, type ParseResult, Schema } from "effect"
import { AnyDuration, Fraction, intBetween } from "../internal/schema.js"
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

/** Longest `localBatchTtl`: batched tokens are meant to be handed out soon, not hoarded. */
const MAX_BATCH_TTL = Duration.minutes(1)

/**
 * The schema of the Redis limiter's numeric settings (other fields are not read by it).
 *
 * @since 0.1.0
 * @category schemas
 */
export const RedisLimiterSettingsSchema = Schema.Struct({
  throttle: Schema.optional(Schema.Union(Schema.Literal(false), Schema.Struct({ threshold: Schema.optional(Fraction) }))),
  localBatch: Schema.optional(intBetween(1, 10_000)),
  localBatchTtl: Schema.optional(
    AnyDuration.pipe(
      Schema.filter((d) => Duration.toMillis(d) > 0 && Duration.lessThanOrEqualTo(d, MAX_BATCH_TTL), {
        message: (issue) =>
          `Expected a duration greater than 0 and at most ${Duration.format(MAX_BATCH_TTL)}, got ${
            Duration.isDuration(issue.actual) ? Duration.format(issue.actual) : JSON.stringify(issue.actual)
          }`
      })
    )
  )
})

/**
 * The checked settings: throttling threshold (`-1`: off), batch size (1: off), batch TTL in ms.
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisSettings {
  readonly throttleAt: number
  readonly localBatch: number
  readonly localBatchTtlMs: number
}

/**
 * Check `options`' settings, or fail with a `ParseError` naming the field.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeSettings = (options: RedisLimiterOptions): Effect.Effect<RedisSettings, ParseResult.ParseError> =>
  Effect.map(Schema.decodeUnknown(RedisLimiterSettingsSchema)(options, { errors: "all" }), (s) => ({
    throttleAt: s.throttle === false ? -1 : s.throttle?.threshold ?? 0.8,
    localBatch: s.localBatch ?? 1,
    localBatchTtlMs: s.localBatchTtl === undefined ? 1000 : Duration.toMillis(s.localBatchTtl)
  }))
