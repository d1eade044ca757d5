/**
 * The adaptive controller's options: the user-facing form, its schema (every bad value fails with
 * `InvalidAdaptiveOptions` naming the field) and defaults (pure).
 *
 * @since 0.2.0
 */
import { Duration, Either, Schema } from "effect"
import { MAX_ADAPTIVE_RATE, MIN_ADAPTIVE_RATE } from "../internal/bounds.js"
import { anyDurationUpTo, decodeOptions, numberBetween, StatusList } from "../internal/schema.js"
import { MAX_PACING_MS, MIN_PACING_RATE } from "../limiter/pacing.js"
import * as Aimd from "./aimd.js"

/**
 * User-facing options. Only `initialRate` (usually the documented limit, rps) is required.
 *
 * Bounds: rates from one request per 31 days (the limiter's slowest pace) to 1,000,000 requests/s,
 * `backoffStatuses` 400-599, `maxRetryAfter` up to 31 days, `maxQuotaWait` more than 0 and up to 31
 * days, the other durations finite (in any `Duration.DurationInput` form; `-1` or `"-5 seconds"` are refused, not read
 * as 0). A value outside fails with `InvalidAdaptiveOptions` naming the field.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly initialRate: number
  /** Default `initialRate / 100` (at least 0.01 rps). */
  readonly minRate?: number | undefined
  /** Default `10 × initialRate`: how far above the documented rate the controller may probe. */
  readonly maxRate?: number | undefined
  /** Step of the seed-style AIMD baseline (`seedAimd.ts`, benchmarks only); the controller does not read it. */
  readonly increaseStep?: number | undefined
  /** Factor of the seed-style AIMD baseline (`seedAimd.ts`, benchmarks only); the controller does not read it. */
  readonly decreaseFactor?: number | undefined
  /** Statuses that mean "slow down". Default `[429, 503]`. */
  readonly backoffStatuses?: ReadonlyArray<number> | undefined
  /** Double the rate every second until the first backoff. Default `true`. */
  readonly slowStart?: boolean | undefined
  /** No wall this long after resuming below one: that rate is sustainable, the range up to the wall probed. Default 3 s. */
  readonly recovery?: Duration.DurationInput | undefined
  /** Time on a learned plateau before probing above it (doubles after each probe that meets the wall). Default 30 s. */
  readonly steady?: Duration.DurationInput | undefined
  /**
   * Fraction below the learned ceiling the plateau sits at, in [0, 0.5); half of it below a ceiling
   * that is a measured throughput (a lower bound already). Default 0.02.
   */
  readonly ceilingMargin?: number | undefined
  /** Same-burst window when the caller does not pass `sentAt`. Default 250 ms. */
  readonly hold?: Duration.DurationInput | undefined
  /** Pace by RateLimit headers when responses carry them. Default `true`. */
  readonly respectHeaders?: boolean | undefined
  /**
   * Burst (>= 1) passed to `RateLimiter.setRate`: a fixed number of requests that may go back to back.
   * Default: time-based, see `catchUp`.
   */
  readonly burst?: number | undefined
  /**
   * When `burst` is not given, the limiter's pace bucket holds `1 + rate × catchUp` tokens, so a
   * caller that wakes up late (timers, event-loop delay, a slow response) may catch up on up to
   * `catchUp` of lost time instead of losing it: with a burst of exactly 1, every millisecond of
   * lateness is throughput lost for good (~15% at 50 rps in Node). Default 50 ms: half of the
   * smallest bucket servers hold (0.1 s of their rate); a catch-up as big as the server's bucket
   * meets its wall after every stall of the event loop (measured: 79% of a 0.1 s bucket at 100 ms).
   * At most 1 minute; `hold`, `steady` and `recovery` at most 31 days (the longest server wait).
   */
  readonly catchUp?: Duration.DurationInput | undefined
  /**
   * Longest Retry-After pause honoured (the key's cooldown); a longer one is cut to it, one over a
   * day is malformed and ignored (as by the retry loop). Default 2 minutes (`retry.maxRetryAfter`).
   */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /**
   * Longest pause until a quota reset stated by rate-limit headers: a reset further ahead is malformed
   * (logged and ignored), and a header pace is never slower than one request per this long.
   * Default 1 day (`adaptive.maxQuotaWait`).
   */
  readonly maxQuotaWait?: Duration.DurationInput | undefined
}

/**
 * Invalid controller options; `field` names the offending option.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidAdaptiveOptions extends Schema.TaggedError<InvalidAdaptiveOptions>()("InvalidAdaptiveOptions", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid adaptive controller option "${this.field}": ${this.reason}`
  }
}

/**
 * Fully resolved options.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedOptions {
  readonly aimd: Aimd.AimdConfig
  readonly backoffStatuses: ReadonlySet<number>
  readonly respectHeaders: boolean
  /** Fixed burst, or `null` for the time-based one (`1 + rate × catchUpMs / 1000`). */
  readonly burst: number | null
  readonly catchUpMs: number
}

/**
 * The burst the limiter gets for `rate`.
 *
 * @since 0.1.0
 * @category utils
 */
export const burstFor = (options: Pick<ResolvedOptions, "burst" | "catchUpMs">, rate: number): number =>
  options.burst ?? 1 + (rate * options.catchUpMs) / 1000

/**
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_CATCH_UP_MS = 50

/**
 * Requests per second an adaptive rate may take: one a day to a million a second. The config's
 * adaptive section uses it too.
 *
 * @since 0.2.0
 * @internal
 */
export const AdaptiveRate = numberBetween(MIN_ADAPTIVE_RATE, MAX_ADAPTIVE_RATE, { unit: "requests/s", minText: "1/86400 (one a day)" })

/**
 * A rate of the options: down to the slowest pace the limiter accepts (one request per 31 days), below
 * the config's one a day, as before (issue 14): only the header floor then stands between a server and
 * a lockout, which the hostile-server tests check.
 */
const ControllerRate = numberBetween(MIN_PACING_RATE, MAX_ADAPTIVE_RATE, {
  unit: "requests/s",
  minText: "1/2678400 (one per 31 days)"
})

/**
 * The cross-field rule of options and config alike, given each one's defaults: `minRate <= initialRate <= maxRate`.
 *
 * @since 0.2.0
 * @internal
 */
export const rateOrderCheck = (initialRate: number, minRate: number, maxRate: number): Schema.FilterOutput => {
  if (minRate > maxRate) return { path: ["minRate"], message: `minRate ${minRate} must be <= maxRate ${maxRate}` }
  if (initialRate < minRate) return { path: ["initialRate"], message: `initialRate ${initialRate} must be >= minRate ${minRate}` }
  if (initialRate > maxRate) return { path: ["initialRate"], message: `initialRate ${initialRate} must be <= maxRate ${maxRate}` }
  return true
}

const PositiveNumber = Schema.Number.pipe(
  Schema.filter((n) => Number.isFinite(n) && n > 0, { message: (i) => `Expected a finite number > 0, got ${String(i.actual)}` })
)

/** A number in `[min, max)`, or `(min, max)` with `minExclusive`: `numberBetween` includes its `max`. */
const halfOpen = (min: number, max: number, minExclusive = false) =>
  Schema.Number.pipe(
    Schema.filter((n) => Number.isFinite(n) && (minExclusive ? n > min : n >= min) && n < max, {
      message: (i) => `Expected a number in ${minExclusive ? "(" : "["}${min}, ${max}), got ${String(i.actual)}`
    })
  )


const Burst = Schema.Number.pipe(
  Schema.filter((n) => Number.isFinite(n) && n >= 1, { message: (i) => `Expected a finite number >= 1, got ${String(i.actual)}` })
)

/** The longest wait a server may impose: the limiter refuses a longer cooldown. */
const MAX_SERVER_WAIT = Duration.millis(MAX_PACING_MS)

/**
 * The controller's own periods (hold, steady, recovery) share that bound: "finite" alone let a huge
 * bigint through as Infinity ms, which every later `setRate` refused.
 */
const ControllerPeriod = anyDurationUpTo(MAX_SERVER_WAIT)

/** The pace bucket's catch-up: more than a minute of the rate as one burst is no pacing at all. */
const CatchUp = anyDurationUpTo(Duration.minutes(1))

/**
 * The schema `resolveOptions` decodes the options with. The config's adaptive section shares its
 * statuses and the rate order; its rates start at one a day, its durations are JSON.
 *
 * @since 0.2.0
 */
export const AdaptiveOptionsSchema = Schema.Struct({
  initialRate: ControllerRate,
  minRate: Schema.optional(ControllerRate),
  maxRate: Schema.optional(ControllerRate),
  increaseStep: Schema.optional(PositiveNumber),
  decreaseFactor: Schema.optional(halfOpen(0, 1, true)),
  backoffStatuses: Schema.optional(StatusList),
  slowStart: Schema.optional(Schema.Boolean),
  recovery: Schema.optional(anyDurationUpTo(MAX_SERVER_WAIT, { positive: true })),
  steady: Schema.optional(ControllerPeriod),
  ceilingMargin: Schema.optional(halfOpen(0, 0.5)),
  hold: Schema.optional(ControllerPeriod),
  respectHeaders: Schema.optional(Schema.Boolean),
  burst: Schema.optional(Burst),
  catchUp: Schema.optional(CatchUp),
  maxRetryAfter: Schema.optional(anyDurationUpTo(MAX_SERVER_WAIT)),
  maxQuotaWait: Schema.optional(anyDurationUpTo(MAX_SERVER_WAIT, { positive: true }))
}).pipe(Schema.filter((o) => {
  const d = Aimd.defaultConfig(o.initialRate)
  const minRate = o.minRate ?? d.minRate
  return rateOrderCheck(o.initialRate, minRate, o.maxRate ?? Math.max(d.maxRate, minRate))
}))

const decode = decodeOptions(AdaptiveOptionsSchema, (field, reason) => new InvalidAdaptiveOptions({ field, reason }))

const millisOr = (d: Duration.Duration | undefined, fallback: number): number => d === undefined ? fallback : Duration.toMillis(d)

/**
 * Validate options and fill in defaults. Pure.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveOptions = (options: Options): Either.Either<ResolvedOptions, InvalidAdaptiveOptions> =>
  Either.map(decode(options), (o) => {
    const d = Aimd.defaultConfig(o.initialRate)
    const minRate = o.minRate ?? d.minRate
    return {
      aimd: {
        ...d,
        minRate,
        maxRate: o.maxRate ?? Math.max(d.maxRate, minRate),
        increaseStep: o.increaseStep ?? d.increaseStep,
        decreaseFactor: o.decreaseFactor ?? d.decreaseFactor,
        ceilingMargin: o.ceilingMargin ?? d.ceilingMargin,
        slowStart: o.slowStart ?? true,
        recoveryMs: millisOr(o.recovery, d.recoveryMs),
        steadyMs: millisOr(o.steady, d.steadyMs),
        holdMs: millisOr(o.hold, d.holdMs),
        maxRetryAfterMs: millisOr(o.maxRetryAfter, d.maxRetryAfterMs),
        maxQuotaWaitMs: millisOr(o.maxQuotaWait, d.maxQuotaWaitMs)
      },
      backoffStatuses: new Set(o.backoffStatuses ?? [429, 503]),
      respectHeaders: o.respectHeaders ?? true,
      burst: o.burst ?? null,
      catchUpMs: millisOr(o.catchUp, DEFAULT_CATCH_UP_MS)
    }
  })
