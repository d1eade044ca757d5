/**
 * Options of a tenant limiter (memory or Redis), checked by a Schema; a bad value fails with an
 * `InvalidTenantLimiterOptions` naming the field. Its `throttle` and `minInterval` are the rate limiter's own.
 *
 * @since 0.1.0
 */
import { Duration, Either, Schema } from "effect"
import { AnyDuration, decodeOptions, intBetween } from "../internal/schema.js"
import { Limit, LimitFromJson } from "../limiter/Limit.js"
import { MinIntervalOption, ThrottleOption } from "../limiter/options.js"
import type { UsageSettings } from "../limiter/usageRing.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface TenantLimiterOptions {
  /** Limits of the entity's own level when the store holds none for it (resolution `"none"`). Default none. */
  readonly limits?: ReadonlyArray<Limit> | undefined
  /** Proactive throttling per level, as in the memory limiter (default threshold 0.8); `false`: off. */
  readonly throttle?: { readonly threshold?: number | undefined } | false | undefined
  /** Minimum gap between two admissions of one level's key. Default none. */
  readonly minInterval?: Duration.DurationInput | undefined
  /**
   * Usage counters per entity: consumption per `interval` (default 1 minute), the last `slots`
   * intervals kept (default 60); `false`: none.
   */
  readonly usage?: { readonly interval?: Duration.DurationInput | undefined; readonly slots?: number | undefined } | false | undefined
}

/**
 * An option of a tenant limiter (`Tenants.makeMemory`, `makeTenantLimiter` of `effect-governor/redis`,
 * their layers) was invalid: `field` names it (`"usage.interval"`, `"maxKeys"`), `reason` says what was
 * expected.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidTenantLimiterOptions
  extends Schema.TaggedError<InvalidTenantLimiterOptions>()("InvalidTenantLimiterOptions", {
    field: Schema.String,
    reason: Schema.String
  })
{
  override get message(): string {
    return `Invalid tenant limiter option "${this.field}": ${this.reason}`
  }
}

// Any `Duration.DurationInput`, as the options' type says (a `Duration` too, not only millis and strings).
const Positive = AnyDuration.pipe(
  Schema.filter((d) => Duration.toMillis(d) >= 1 && Duration.lessThanOrEqualTo(d, Duration.days(31)), {
    message: () => "Expected a duration from 1 millisecond to 31 days"
  })
)

/**
 * @since 0.1.0
 * @category schemas
 */
export const TenantLimiterOptionsSchema = Schema.Struct({
  limits: Schema.optionalWith(Schema.Array(Schema.Union(Schema.typeSchema(Limit), LimitFromJson)), { default: () => [] }),
  throttle: ThrottleOption,
  minInterval: MinIntervalOption,
  usage: Schema.optionalWith(
    Schema.Union(
      Schema.Literal(false),
      Schema.Struct({
        interval: Schema.optionalWith(Positive, { default: () => Duration.minutes(1) }),
        slots: Schema.optionalWith(intBetween(1, 10_000), { default: () => 60 })
      })
    ),
    { default: () => ({ interval: Duration.minutes(1), slots: 60 }) }
  )
})

/**
 * The options as the stores use them.
 *
 * @since 0.1.0
 * @category models
 */
export interface TenantSettings {
  readonly limits: ReadonlyArray<Limit>
  /** `-1` when off. */
  readonly throttleAt: number
  readonly minIntervalMs: number
  readonly usage: UsageSettings | undefined
}

/**
 * A decoder of a tenant limiter's options (the shared ones and a store's own: the schema extends
 * `TenantLimiterOptionsSchema.fields`) into the settings and the decoded options.
 *
 * @since 0.1.0
 * @internal
 */
export const decodeTenantOptions = <A extends typeof TenantLimiterOptionsSchema.Type, I>(schema: Schema.Schema<A, I, never>) => {
  const decode = decodeOptions(schema, (field, reason) => new InvalidTenantLimiterOptions({ field, reason }))
  return (options: unknown): Either.Either<{ readonly settings: TenantSettings; readonly options: A }, InvalidTenantLimiterOptions> =>
    Either.map(decode(options), (o) => ({
      options: o,
      settings: {
        limits: o.limits,
        throttleAt: o.throttle === false ? -1 : o.throttle.threshold,
        minIntervalMs: Duration.toMillis(o.minInterval),
        usage: o.usage === false ? undefined : { intervalMs: Duration.toMillis(o.usage.interval), slots: o.usage.slots }
      }
    }))
}

const decodeShared = decodeTenantOptions(TenantLimiterOptionsSchema)

/**
 * Decode `options` into settings; an `InvalidTenantLimiterOptions` names the offending field.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeSettings = (options: TenantLimiterOptions): Either.Either<TenantSettings, InvalidTenantLimiterOptions> =>
  Either.map(decodeShared(options), (o) => o.settings)
