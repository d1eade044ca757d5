/**
 * The `Limit` model: one named token bucket (capacity, refill amount, refill period) and how its
 * window is laid out in time (rolling refill, or fixed windows aligned to the wall clock).
 *
 * @since 0.1.0
 */
import { DateTime, Duration, Option, ParseResult, Schema } from "effect"
import { NonEmptyTrimmedString, PositiveDuration, PositiveFinite } from "../internal/schema.js"

/**
 * An IANA time zone name (`"America/New_York"`, `"UTC"`), validated against the runtime's tz database.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TimeZoneName = Schema.String.pipe(
  Schema.filter((zone) => Option.isSome(DateTime.zoneMakeNamed(zone)), {
    message: (issue) => `Expected an IANA time zone name such as "UTC" or "Europe/Paris", got ${JSON.stringify(issue.actual)}`
  })
)

/**
 * Rolling: tokens trickle back continuously at `refillAmount / refillPeriod`.
 * Fixed: the bucket is full again at every window boundary; boundaries are aligned to midnight in
 * `timeZone` (default `"UTC"`) and repeat every `refillPeriod` (vendors that reset a daily quota at
 * midnight Pacific time use `{ type: "fixed", timeZone: "America/Los_Angeles" }` with a 1-day period).
 *
 * @since 0.1.0
 * @category schemas
 */
export const LimitWindow = Schema.Union(
  Schema.Struct({ type: Schema.Literal("rolling") }),
  Schema.Struct({ type: Schema.Literal("fixed"), timeZone: Schema.optionalWith(TimeZoneName, { default: () => "UTC" }) })
).annotations({ identifier: "LimitWindow" })

/**
 * @since 0.1.0
 * @category models
 */
export type LimitWindow = typeof LimitWindow.Type

const DAY_MS = 86_400_000

const LimitFields = Schema.Struct({
  name: NonEmptyTrimmedString,
  capacity: PositiveFinite,
  refillAmount: PositiveFinite,
  refillPeriod: PositiveDuration,
  window: Schema.optionalWith(LimitWindow, { default: () => ({ type: "rolling" as const }) })
}).pipe(
  Schema.filter((l): Schema.FilterOutput => {
    if (l.capacity < l.refillAmount) {
      return { path: ["capacity"], message: `capacity (burst) ${l.capacity} must be >= refillAmount ${l.refillAmount}` }
    }
    if (l.window.type === "fixed") {
      if (l.refillAmount !== l.capacity) {
        return { path: ["refillAmount"], message: "a fixed window refills the whole capacity: refillAmount must equal capacity" }
      }
      const ms = Duration.toMillis(l.refillPeriod)
      if (!Number.isInteger(ms) || (ms < DAY_MS ? DAY_MS % ms !== 0 : ms % DAY_MS !== 0)) {
        return {
          path: ["refillPeriod"],
          message: "a fixed window period must divide a day (1 minute, 1 hour, …) or be whole days"
        }
      }
    }
    return true
  })
)

/**
 * One named token bucket. Construct with {@link perSecond}, {@link perMinute}, {@link perHour},
 * {@link perDay} or {@link custom}; decode untrusted input (JSON, env) with {@link decode}.
 *
 * @since 0.1.0
 * @category models
 */
export class Limit extends Schema.Class<Limit>("Limit")(LimitFields) {
  /** Sustained rate of this limit in tokens per second. */
  get ratePerSecond(): number {
    return this.refillAmount / (Duration.toMillis(this.refillPeriod) / 1000)
  }
}

/**
 * Options shared by the per-period constructors.
 *
 * @since 0.1.0
 * @category models
 */
export interface PerPeriodOptions {
  /** Tokens available at once (defaults to the per-period amount). Must be >= that amount. */
  readonly burst?: number
  /** `"rolling"` (default) or a fixed window aligned to the wall clock of `timeZone`. */
  readonly window?: "rolling" | { readonly type: "fixed"; readonly timeZone?: string }
}

const PerPeriodInput = Schema.Struct({
  name: NonEmptyTrimmedString,
  limit: PositiveFinite,
  burst: Schema.optional(PositiveFinite)
}).pipe(
  Schema.filter((i) =>
    i.burst === undefined || i.burst >= i.limit
      ? true
      : { path: ["burst"], message: `burst ${i.burst} is below the rate ${i.limit}: burst must be >= the per-period limit` }
  )
)

const perPeriod = (period: Duration.DurationInput) => (name: string, limit: number, options?: PerPeriodOptions): Limit => {
  const input = Schema.decodeUnknownSync(PerPeriodInput)({ name, limit, burst: options?.burst })
  const window = options?.window === undefined || options.window === "rolling"
    ? { type: "rolling" }
    : options.window
  const fixed = typeof window === "object" && window.type === "fixed"
  return Schema.decodeUnknownSync(Limit)({
    name: input.name,
    capacity: fixed ? input.limit : input.burst ?? input.limit,
    refillAmount: input.limit,
    refillPeriod: Duration.toMillis(period),
    window
  })
}

/**
 * `n` tokens per second (optionally with a larger `burst`). Throws a `ParseError` naming the field on
 * invalid input (zero, negative, NaN, burst below the rate); use {@link decode} for untrusted input.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-governor"
 * const notion = Limit.perSecond("notion", 3, { burst: 10 })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const perSecond = perPeriod("1 second")

/** `n` tokens per minute. @since 0.1.0 @category constructors */
export const perMinute = perPeriod("1 minute")

/** `n` tokens per hour. @since 0.1.0 @category constructors */
export const perHour = perPeriod("1 hour")

/**
 * `n` tokens per day. Pass `window: { type: "fixed", timeZone }` for quotas that reset at local midnight.
 *
 * @since 0.1.0
 * @category constructors
 */
export const perDay = perPeriod("1 day")

/**
 * A limit with explicit bucket parameters.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-governor"
 * // 100 tokens, 10 come back every 2 seconds
 * const custom = Limit.custom({ name: "bulk", capacity: 100, refillAmount: 10, refillPeriod: "2 seconds" })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const custom = (input: {
  readonly name: string
  readonly capacity: number
  readonly refillAmount: number
  readonly refillPeriod: Duration.DurationInput
  readonly window?: LimitWindow | { readonly type: "fixed"; readonly timeZone?: string }
}): Limit =>
  Schema.decodeUnknownSync(Limit)({
    ...input,
    refillPeriod: Duration.toMillis(Duration.decode(input.refillPeriod))
  })

/**
 * JSON shorthand of a limit: `limit` tokens per `per`, with an optional larger `burst`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LimitShorthandEncoded {
  readonly name: string
  readonly limit: number
  readonly per: "second" | "minute" | "hour" | "day"
  readonly burst?: number
  readonly window?: typeof LimitWindow.Encoded
}

/**
 * JSON of a limit in either form; encoding always produces the full form, which round-trips exactly.
 *
 * @since 0.1.0
 * @category models
 */
export type LimitJsonEncoded = LimitShorthandEncoded | typeof Limit.Encoded

const LimitShorthand = Schema.Struct({
  name: NonEmptyTrimmedString,
  limit: PositiveFinite,
  per: Schema.Literal("second", "minute", "hour", "day"),
  burst: Schema.optionalWith(PositiveFinite, { exact: true }),
  window: Schema.optionalWith(LimitWindow, { exact: true })
}).pipe(
  Schema.filter((s) =>
    s.burst === undefined || s.burst >= s.limit
      ? true
      : { path: ["burst"], message: `burst ${s.burst} is below the rate ${s.limit}: burst must be >= limit` }
  )
)

const isShorthand = (u: unknown): boolean => typeof u === "object" && u !== null && ("per" in u || "limit" in u)

/**
 * A limit as written in config files: the shorthand `{ name, limit, per, burst?, window? }` or the full
 * `{ name, capacity, refillAmount, refillPeriod, window? }`. The form is chosen by the keys present
 * (`limit`/`per` → shorthand), so an error names the fields of that form only.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LimitFromJson: Schema.Schema<Limit, LimitJsonEncoded> = Schema.transformOrFail(
  Schema.declare((_u: unknown): _u is LimitJsonEncoded => true, { identifier: "LimitJson" }),
  Schema.typeSchema(Limit),
  {
    strict: true,
    decode: (input, options) =>
      isShorthand(input)
        ? ParseResult.flatMap(ParseResult.decodeUnknown(LimitShorthand)(input, options), (s) => {
          const fixed = s.window?.type === "fixed"
          return ParseResult.decodeUnknown(Limit)({
            name: s.name,
            capacity: fixed ? s.limit : s.burst ?? s.limit,
            refillAmount: s.limit,
            refillPeriod: `1 ${s.per}`,
            window: s.window ?? { type: "rolling" }
          }, options)
        })
        : ParseResult.decodeUnknown(Limit)(input, options),
    encode: (limit, options) => ParseResult.encode(Limit)(limit, options)
  }
).annotations({ identifier: "Limit" })

/**
 * Decode an untrusted value into a `Limit`; failures are `ParseError`s whose message names the path.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = Schema.decodeUnknown(LimitFromJson)

/**
 * Start (epoch ms) of the fixed window containing `now`, for a fixed-window limit. Pure.
 *
 * @since 0.1.0
 * @category windows
 */
export const fixedWindowStart = (limit: Limit, nowMs: number): number => {
  if (limit.window.type !== "fixed") return nowMs
  const zone = DateTime.zoneUnsafeMakeNamed(limit.window.timeZone)
  const periodMs = Duration.toMillis(limit.refillPeriod)
  const zoned = DateTime.unsafeMakeZoned(nowMs, { timeZone: zone })
  const midnight = DateTime.toEpochMillis(DateTime.startOf(zoned, "day"))
  if (periodMs <= DAY_MS) {
    return midnight + Math.floor((nowMs - midnight) / periodMs) * periodMs
  }
  // Multi-day windows: count whole local days since the epoch day 0 in that zone.
  const days = Math.floor((midnight - DateTime.toEpochMillis(DateTime.startOf(DateTime.unsafeMakeZoned(0, { timeZone: zone }), "day"))) / DAY_MS)
  const periodDays = periodMs / DAY_MS
  const startDay = days - (((days % periodDays) + periodDays) % periodDays)
  return midnight - (days - startDay) * DAY_MS
}

/**
 * End (epoch ms, exclusive) of the fixed window containing `now`. Handles DST days of 23 or 25 hours
 * for daily windows by asking the zone for the next local midnight.
 *
 * @since 0.1.0
 * @category windows
 */
export const fixedWindowEnd = (limit: Limit, nowMs: number): number => {
  const start = fixedWindowStart(limit, nowMs)
  const periodMs = Duration.toMillis(limit.refillPeriod)
  if (limit.window.type !== "fixed") return start + periodMs
  if (periodMs % DAY_MS !== 0) return start + periodMs
  const zone = DateTime.zoneUnsafeMakeNamed(limit.window.timeZone)
  // Jump past the boundary by a safe margin, then snap to that local midnight.
  const probe = DateTime.unsafeMakeZoned(start + periodMs + 3 * 3_600_000, { timeZone: zone })
  return DateTime.toEpochMillis(DateTime.startOf(probe, "day"))
}

