/**
 * Tagged errors of the rate limiter.
 *
 * @since 0.1.0
 */
import { Duration, Schema } from "effect"

/**
 * One level of an entity hierarchy that had no room: the entity, the limit (or `"cooldown"`,
 * `"pacing"`, `"adaptive"`) and how long until it has room.
 *
 * @since 0.1.0
 * @category models
 */
export const LimitViolation = Schema.Struct({
  entity: Schema.String,
  limit: Schema.String,
  wait: Schema.DurationFromSelf
})

/**
 * @since 0.1.0
 * @category models
 */
export type LimitViolation = typeof LimitViolation.Type

/**
 * The limiter refused to wait: admitting the request would take longer than `maxWait`
 * (or `tryAcquire` found no room). `retryAfter` is how long until every violated limit has room.
 * A hierarchical admission also says which levels blocked (`violations`).
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimitExceeded extends Schema.TaggedError<RateLimitExceeded>()("RateLimitExceeded", {
  key: Schema.String,
  /** Names of the limits that had no room. */
  limits: Schema.Array(Schema.String),
  retryAfter: Schema.DurationFromSelf,
  cost: Schema.Number,
  violations: Schema.optional(Schema.Array(LimitViolation))
}) {
  override get message(): string {
    const levels = this.violations === undefined
      ? ""
      : `; blocked at ${this.violations.map((v) => `${v.entity} (${v.limit}, ${Duration.format(v.wait)})`).join(", ")}`
    return `Rate limit exceeded for key "${this.key}" (${this.limits.join(", ")}); retry after ${
      Duration.format(this.retryAfter)
    }${levels}`
  }
}

/**
 * The request's cost can never fit: it is larger than the capacity of a limit, so waiting would
 * never help.
 *
 * @since 0.1.0
 * @category errors
 */
export class CostExceedsCapacity extends Schema.TaggedError<CostExceedsCapacity>()("CostExceedsCapacity", {
  key: Schema.String,
  limit: Schema.String,
  cost: Schema.Number,
  capacity: Schema.Number
}) {
  override get message(): string {
    return `Cost ${this.cost} can never fit limit "${this.limit}" of capacity ${this.capacity} (key "${this.key}")`
  }
}

/**
 * The options of one call were invalid: a cost map named a limit that does not apply to this key, a cost
 * was not a finite number >= 0, or `maxWait` was not a duration >= 0 (`-1`, `NaN`, `"-5 seconds"` are
 * refused rather than read as "don't wait"). `reason` names the option.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCost extends Schema.TaggedError<InvalidCost>()("InvalidCost", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid cost for key "${this.key}": ${this.reason}`
  }
}

/**
 * The limiter's backing store (e.g. Redis) could not be used. `kind: "outage"`: it could not be
 * reached and the configured policy is `fail-closed`. `kind: "misconfigured"`: the store does not
 * fit the deployment (e.g. a standalone Redis client on a Redis Cluster node); raised whatever
 * `onUnavailable` says, since admitting on it would silently lift the limit.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimiterUnavailable extends Schema.TaggedError<RateLimiterUnavailable>()("RateLimiterUnavailable", {
  store: Schema.String,
  reason: Schema.String,
  kind: Schema.optionalWith(Schema.Literal("outage", "misconfigured"), { default: () => "outage" as const })
}) {
  override get message(): string {
    return `Rate limiter store "${this.store}" ${this.kind === "misconfigured" ? "misconfigured" : "unavailable"}: ${this.reason}`
  }
}

/**
 * `setRate` or `cooldown` was given a value that cannot pace anything: a rate that is not a finite
 * number of at least one request per 31 days, a burst below 1, or a duration that does not parse, is
 * infinite or is longer than 31 days (see `pacing.ts`).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPacing extends Schema.TaggedError<InvalidPacing>()("InvalidPacing", {
  key: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid pacing for key "${this.key}": ${this.reason}`
  }
}

/**
 * An option of a rate limiter (`RateLimiter.makeMemory`, `RedisLimiter.make`, their layers) was invalid:
 * `field` names it (`"maxKeys"`, `"throttle.threshold"`, `"limits.name"`), `reason` says what was expected
 * (led by the item's index for a value in a list: `"item 1: duplicate limit name ..."`).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRateLimiterOptions extends Schema.TaggedError<InvalidRateLimiterOptions>()("InvalidRateLimiterOptions", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid rate limiter option "${this.field}": ${this.reason}`
  }
}

/**
 * Everything `acquire` may fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type AcquireError = RateLimitExceeded | CostExceedsCapacity | InvalidCost | RateLimiterUnavailable
