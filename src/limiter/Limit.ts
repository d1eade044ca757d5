/**
 * The `Limit` model: one named token bucket (capacity, refill amount, refill period) and how its
 * window is laid out in time (rolling refill, or fixed windows aligned to the wall clock).
 *
 * @since 0.1.0
 */
import { DateTime, Duration, Effect, Either, Option, ParseResult, Schema } from "effect"
import { type InvalidConfig, fromParseError } from "../internal/configError.js"
import { MAX_LIMIT_AMOUNT, MAX_LIMIT_PERIOD, MIN_LIMIT_PERIOD } from "../internal/bounds.js"
import { formatDuration } from "../internal/duration.js"
import { DurationInput, NonEmptyTrimmedString, numberBetween } from "../internal/schema.js"

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

/** Tokens of a bucket or a refill: finite, > 0, at most `MAX_LIMIT_AMOUNT`. */
const Amount = numberBetween(0, MAX_LIMIT_AMOUNT, { minExclusive: true, unit: "tokens" })

const RefillPeriod = DurationInput.pipe(
  Schema.filter((d) => Duration.between(d, { minimum: MIN_LIMIT_PERIOD, maximum: MAX_LIMIT_PERIOD }), {
    message: (issue) =>
      `Expected a refill period from ${Duration.format(MIN_LIMIT_PERIOD)} to ${Duration.format(MAX_LIMIT_PERIOD)}, got ${
        formatDuration(issue.actual)
      }`
  })
)

/**
 * The bounds every limit shares, whatever form it was written in (`names` maps to the user's field names):
 * a bucket holds at least one request of cost 1, and refills at least one token per `MAX_LIMIT_PERIOD`
 * (so a per-day limit of 1 is fine and `1e-300` per second is not).
 */
const bucketBounds = (
  capacity: number,
  refillAmount: number,
  periodMs: number,
  names: { readonly capacity: string; readonly refillAmount: string }
): Schema.FilterOutput => {
  if (capacity < 1) {
    return {
      path: [names.capacity],
      message: `a bucket of ${capacity} tokens never admits a request of cost 1: ${names.capacity} must be >= 1`
    }
  }
  if (refillAmount / periodMs < 1 / Duration.toMillis(MAX_LIMIT_PERIOD)) {
    return {
      path: [names.refillAmount],
      message: `${refillAmount} per ${Duration.format(Duration.millis(periodMs))} refills less than one token per ${
        Duration.format(MAX_LIMIT_PERIOD)
      }`
    }
  }
  return true
}

const LimitFields = Schema.Struct({
  name: NonEmptyTrimmedString,
  capacity: Amount,
  refillAmount: Amount,
  refillPeriod: RefillPeriod,
  window: Schema.optionalWith(LimitWindow, { default: () => ({ type: "rolling" as const }) })
}).pipe(
  Schema.filter((l): Schema.FilterOutput => {
    if (l.capacity < l.refillAmount) {
      return { path: ["capacity"], message: `capacity (burst) ${l.capacity} must be >= refillAmount ${l.refillAmount}` }
    }
    const ms = Duration.toMillis(l.refillPeriod)
    const bounds = bucketBounds(l.capacity, l.refillAmount, ms, { capacity: "capacity", refillAmount: "refillAmount" })
    if (bounds !== true) return bounds
    if (l.window.type === "fixed") {
      if (l.refillAmount !== l.capacity) {
        return { path: ["refillAmount"], message: "a fixed window refills the whole capacity: refillAmount must equal capacity" }
      }
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

/**
 * Decode any form of a limit (as in a config file) and throw the resulting `InvalidConfig` itself: the
 * constructors below fail the way `ApiConfig.make` does, with the config's message naming the field.
 */
const decodeOrThrow = (input: unknown, source: string): Limit =>
  Either.getOrThrowWith(
    Schema.decodeUnknownEither(LimitFromJson)(input, { errors: "all" }),
    (error) => fromParseError(source, error)
  )

const perPeriod = (per: LimitShorthandEncoded["per"], constructor: string) =>
(name: string, limit: number, options?: PerPeriodOptions): Limit =>
  decodeOrThrow(
    {
      name,
      limit,
      per,
      ...(options?.burst === undefined ? {} : { burst: options.burst }),
      window: options?.window === undefined || options.window === "rolling" ? { type: "rolling" } : options.window
    },
    `Limit.${constructor}(${JSON.stringify(name)})`
  )

/**
 * `n` tokens per second (optionally with a larger `burst`). Throws an `InvalidConfig` (the config's own error:
 * its message names the field, e.g. `burst: burst 5 is below the rate 10`) on invalid input: zero,
 * negative, NaN, out of bounds, burst below the rate. Use {@link decode} for an Effect that fails instead.
 *
 * @example
 * ```ts
 * import { Limit } from "effect-governor"
 * const notion = Limit.perSecond("notion", 3, { burst: 10 })
 * ```
 * @since 0.1.0
 * @category constructors
 */
export const perSecond = perPeriod("second", "perSecond")

/** `n` tokens per minute. Throws an `InvalidConfig` like {@link perSecond}. @since 0.1.0 @category constructors */
export const perMinute = perPeriod("minute", "perMinute")

/** `n` tokens per hour. Throws an `InvalidConfig` like {@link perSecond}. @since 0.1.0 @category constructors */
export const perHour = perPeriod("hour", "perHour")

/**
 * `n` tokens per day. Pass `window: { type: "fixed", timeZone }` for quotas that reset at local midnight.
 * Throws an `InvalidConfig` like {@link perSecond}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const perDay = perPeriod("day", "perDay")

/** A `DurationInput` as the JSON form takes it: text and numbers as given (so the schema judges them). */
const periodJson = (d: Duration.DurationInput): unknown =>
  typeof d === "number" || typeof d === "string"
    ? d
    : Option.match(Duration.decodeUnknown(d), { onNone: () => String(d), onSome: Duration.toMillis })

/**
 * A limit with explicit bucket parameters. Throws an `InvalidConfig` naming the field on invalid input, like
 * {@link perSecond}.
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
  decodeOrThrow({ ...input, refillPeriod: periodJson(input.refillPeriod) }, `Limit.custom(${JSON.stringify(input.name)})`)

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

const PER_MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: DAY_MS } as const

const LimitShorthand = Schema.Struct({
  name: NonEmptyTrimmedString,
  limit: Amount,
  per: Schema.Literal("second", "minute", "hour", "day"),
  burst: Schema.optionalWith(Amount, { exact: true }),
  window: Schema.optionalWith(LimitWindow, { exact: true })
}).pipe(
  Schema.filter((s) =>
    s.burst === undefined || s.burst >= s.limit
      ? bucketBounds(s.window?.type === "fixed" ? s.limit : s.burst ?? s.limit, s.limit, PER_MS[s.per], {
        capacity: s.burst === undefined || s.window?.type === "fixed" ? "limit" : "burst",
        refillAmount: "limit"
      })
      : { path: ["burst"], message: `burst ${s.burst} is below the rate ${s.limit}: burst must be >= limit` }
  )
)

const isShorthand = (u: unknown): boolean => typeof u === "object" && u !== null && ("per" in u || "limit" in u)

/**
 * A limit as written in config files: the shorthand `{ name, limit, per, burst?, window? }` or the full
 * `{ name, capacity, refillAmount, refillPeriod, window? }`. The form is chosen by the keys present
 * (`limit`/`per` → shorthand), so an error names the fields of that form only. A `Limit` already
 * built (by the constructors, or decoded) is taken as it is. Encodes to the full form.
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
      input instanceof Limit
        ? ParseResult.succeed(input)
        : isShorthand(input)
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
 * A list of limits with distinct names, each in either JSON form or a `Limit` (see
 * {@link LimitFromJson}): the one schema of a limits list, for the limiters' options, `ApiConfig`
 * and the limits files and stores. A duplicate name is reported at its index (`[1].name`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const LimitList = Schema.Array(LimitFromJson).pipe(
  Schema.filter((limits): Schema.FilterOutput => {
    const seen = new Map<string, number>()
    for (const [index, limit] of limits.entries()) {
      const previous = seen.get(limit.name)
      if (previous !== undefined) {
        return {
          path: [index, "name"],
          message: `duplicate limit name ${JSON.stringify(limit.name)} (also used at index ${previous}); names must be unique`
        }
      }
      seen.set(limit.name, index)
    }
    return true
  })
)

/**
 * Decode an untrusted value (either JSON form) into a `Limit`: the Effect counterpart of the constructors,
 * failing with the same `InvalidConfig` (naming the field) instead of throwing. `source` labels the error.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (input: unknown, source = "Limit.decode"): Effect.Effect<Limit, InvalidConfig> =>
  Schema.decodeUnknown(LimitFromJson)(input, { errors: "all" }).pipe(
    Effect.mapError((error) => fromParseError(source, error))
  )

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

