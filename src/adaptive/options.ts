/**
 * The adaptive controller's options: the user-facing form, validation and defaults (pure).
 *
 * @since 0.2.0
 */
import { Duration, Either, Option, Schema } from "effect"
import { MAX_PACING_MS, MIN_PACING_RATE } from "../limiter/pacing.js"
import * as Aimd from "./aimd.js"

/**
 * User-facing options. Only `initialRate` (usually the documented limit, rps) is required.
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
  /** Step of the seed-style AIMD baseline (`Aimd.seedAimd`, benchmarks only); the controller does not read it. */
  readonly increaseStep?: number | undefined
  /** Factor of the seed-style AIMD baseline (`Aimd.seedAimd`, benchmarks only); the controller does not read it. */
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

const positive = (field: string, v: unknown): Either.Either<number, InvalidAdaptiveOptions> =>
  typeof v === "number" && Number.isFinite(v) && v > 0
    ? Either.right(v)
    : Either.left(new InvalidAdaptiveOptions({ field, reason: `expected a finite number > 0, got ${String(v)}` }))

const duration = (field: string, v: Duration.DurationInput | undefined, dflt: number) => {
  if (v === undefined) return Either.right(dflt)
  const d = Duration.decodeUnknown(v)
  return Option.isSome(d) && Duration.isFinite(d.value)
    ? Either.right(Duration.toMillis(d.value))
    : Either.left(new InvalidAdaptiveOptions({ field, reason: `expected a finite duration, got ${String(v)}` }))
}

/** A duration option in `[minMs, MAX_PACING_MS]`: the limiter refuses a longer cooldown. */
const bounded = (field: string, v: Duration.DurationInput | undefined, dflt: number, minMs: number) =>
  Either.flatMap(duration(field, v, dflt), (ms) =>
    ms >= minMs && ms <= MAX_PACING_MS
      ? Either.right(ms)
      : Either.left(
        new InvalidAdaptiveOptions({ field, reason: `expected a duration of ${minMs} ms to 31 days, got ${String(v)}` })
      ))

/** The bounds on waits a server may impose, and a minRate the limiter accepts. */
const waitBounds = (options: Options, d: Aimd.AimdConfig, minRate: number) =>
  Either.gen(function*() {
    if (minRate < MIN_PACING_RATE) {
      return yield* Either.left(
        new InvalidAdaptiveOptions({
          field: options.minRate === undefined ? "initialRate" : "minRate",
          reason: `${minRate} rps is slower than the slowest pace a limiter accepts (one request per 31 days)`
        })
      )
    }
    return {
      maxRetryAfterMs: yield* bounded("maxRetryAfter", options.maxRetryAfter, d.maxRetryAfterMs, 0),
      maxQuotaWaitMs: yield* bounded("maxQuotaWait", options.maxQuotaWait, d.maxQuotaWaitMs, 1)
    }
  })

/**
 * Validate options and fill in defaults. Pure.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolveOptions = (options: Options): Either.Either<ResolvedOptions, InvalidAdaptiveOptions> =>
  Either.gen(function*() {
    const initialRate = yield* positive("initialRate", options.initialRate)
    const d = Aimd.defaultConfig(initialRate)
    const minRate = options.minRate === undefined ? d.minRate : yield* positive("minRate", options.minRate)
    const maxRate = options.maxRate === undefined
      ? Math.max(d.maxRate, minRate)
      : yield* positive("maxRate", options.maxRate)
    if (minRate > maxRate) {
      return yield* Either.left(
        new InvalidAdaptiveOptions({ field: "minRate", reason: `minRate ${minRate} is above maxRate ${maxRate}` })
      )
    }
    if (initialRate < minRate || initialRate > maxRate) {
      return yield* Either.left(
        new InvalidAdaptiveOptions({
          field: "initialRate",
          reason: `initialRate ${initialRate} must lie within [minRate ${minRate}, maxRate ${maxRate}]`
        })
      )
    }
    const increaseStep = options.increaseStep === undefined
      ? d.increaseStep
      : yield* positive("increaseStep", options.increaseStep)
    const decreaseFactor = options.decreaseFactor ?? d.decreaseFactor
    if (!(Number.isFinite(decreaseFactor) && decreaseFactor > 0 && decreaseFactor < 1)) {
      return yield* Either.left(
        new InvalidAdaptiveOptions({
          field: "decreaseFactor",
          reason: `expected a number in (0, 1), got ${String(decreaseFactor)}`
        })
      )
    }
    const ceilingMargin = options.ceilingMargin ?? d.ceilingMargin
    if (!(Number.isFinite(ceilingMargin) && ceilingMargin >= 0 && ceilingMargin < 0.5)) {
      return yield* Either.left(
        new InvalidAdaptiveOptions({ field: "ceilingMargin", reason: `expected a number in [0, 0.5), got ${ceilingMargin}` })
      )
    }
    const statuses = options.backoffStatuses ?? [429, 503]
    for (const s of statuses) {
      if (!Number.isInteger(s) || s < 100 || s > 599) {
        return yield* Either.left(
          new InvalidAdaptiveOptions({ field: "backoffStatuses", reason: `${String(s)} is not an HTTP status code` })
        )
      }
    }
    const recoveryMs = yield* duration("recovery", options.recovery, d.recoveryMs)
    if (recoveryMs <= 0) {
      return yield* Either.left(new InvalidAdaptiveOptions({ field: "recovery", reason: "must be greater than zero" }))
    }
    const steadyMs = yield* duration("steady", options.steady, d.steadyMs)
    const holdMs = yield* duration("hold", options.hold, d.holdMs)
    const catchUpMs = yield* duration("catchUp", options.catchUp, DEFAULT_CATCH_UP_MS)
    const { maxQuotaWaitMs, maxRetryAfterMs } = yield* waitBounds(options, d, minRate)
    const burst = options.burst === undefined ? null : yield* positive("burst", options.burst)
    if (burst !== null && burst < 1) {
      return yield* Either.left(new InvalidAdaptiveOptions({ field: "burst", reason: `expected a number >= 1, got ${burst}` }))
    }
    return {
      aimd: {
        ...d,
        initialRate,
        minRate,
        maxRate,
        increaseStep,
        decreaseFactor,
        ceilingMargin,
        slowStart: options.slowStart ?? true,
        recoveryMs,
        steadyMs,
        holdMs,
        maxRetryAfterMs,
        maxQuotaWaitMs
      },
      backoffStatuses: new Set(statuses),
      respectHeaders: options.respectHeaders ?? true,
      burst,
      catchUpMs
    }
  })
