/**
 * The schemas of the limiter's options, one per option, shared by the memory and the Redis stores:
 * a bad option fails with an `InvalidRateLimiterOptions` naming the field (`expectedWorkers`,
 * `throttle.threshold`, `limits.name`…), never a defect or a silently repaired value.
 *
 * @since 0.1.0
 * @internal
 */
import { Duration, type Either, Schema } from "effect"
import { MAX_LIMIT_PERIOD, MAX_REQUEST_WAIT } from "../internal/bounds.js"
import { anyDurationUpTo, decodeOptions, Fraction, intBetween, WholeNumber } from "../internal/schema.js"
import { InvalidRateLimiterOptions } from "./errors.js"
import { LimitList } from "./Limit.js"

export { WholeNumber }

/**
 * Proactive throttling: `false`, or the share of a limit's capacity after which admissions are spaced.
 *
 * @since 0.1.0
 * @internal
 */
export const ThrottleOption = Schema.optionalWith(
  Schema.Union(Schema.Literal(false), Schema.Struct({ threshold: Schema.optionalWith(Fraction, { default: () => 0.8 }) })),
  { default: () => ({ threshold: 0.8 }) }
)

/**
 * The minimum gap between two admissions on a key; default none.
 *
 * @since 0.1.0
 * @internal
 */
export const MinIntervalOption = Schema.optionalWith(anyDurationUpTo(MAX_REQUEST_WAIT), { default: () => Duration.zero })

/**
 * A TTL-like duration: at most a limit's longest period (366 days). "Finite" alone let a huge bigint
 * through as Infinity ms, which Redis then refused at the first PEXPIRE.
 */
const ttlDuration = (positive: boolean) => anyDurationUpTo(MAX_LIMIT_PERIOD, { positive })

/**
 * How long a `setRate` pace survives without traffic: greater than 0, at most 366 days; default 1 hour.
 *
 * @since 0.1.0
 * @internal
 */
export const RateTtlOption = Schema.optionalWith(ttlDuration(true), { default: () => Duration.hours(1) })

/**
 * Slack added to a key's TTL beyond the time until its buckets are full: at most 366 days; default 1 second.
 *
 * @since 0.1.0
 * @internal
 */
export const KeyTtlMarginOption = Schema.optionalWith(ttlDuration(false), { default: () => Duration.seconds(1) })

/**
 * A decoder of a limiter's options failing with `InvalidRateLimiterOptions` naming the field.
 *
 * @since 0.1.0
 * @internal
 */
export const decodeLimiterOptions = <A, I>(
  schema: Schema.Schema<A, I, never>
): (input: unknown) => Either.Either<A, InvalidRateLimiterOptions> =>
  decodeOptions(schema, (field, reason) => new InvalidRateLimiterOptions({ field, reason }))

/** Longest `localBatchTtl`: batched tokens are meant to be handed out soon, not hoarded. */
const MAX_BATCH_TTL = Duration.minutes(1)

/**
 * The schema the Redis limiter decodes its options with (see `RedisLimiterOptions`).
 *
 * @since 0.1.0
 * @internal
 */
export const RedisLimiterOptionsSchema = Schema.Struct({
  limits: LimitList,
  onUnavailable: Schema.optionalWith(Schema.Literal("fail-closed", "fail-open", "local-fallback"), { default: () => "fail-closed" as const }),
  expectedWorkers: Schema.optionalWith(WholeNumber, { default: () => 1 }),
  throttle: ThrottleOption,
  minInterval: MinIntervalOption,
  rateTtl: RateTtlOption,
  keyTtlMargin: KeyTtlMarginOption,
  localBatch: Schema.optionalWith(intBetween(1, 10_000), { default: () => 1 }),
  localBatchTtl: Schema.optionalWith(anyDurationUpTo(MAX_BATCH_TTL, { positive: true }), { default: () => Duration.seconds(1) })
})

