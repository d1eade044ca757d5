/**
 * The `AdaptiveController` service: feeds response outcomes (status, headers, send time) of each
 * limiter key into the pure AIMD state machine of `aimd.ts` and applies its decisions to the
 * `RateLimiter`: `setRate` for the learned pace, `cooldown` for Retry-After and exhausted header
 * quotas (which pauses every fiber sharing that key, not only the one that got the 429).
 *
 * Per-key state lives behind {@link ControllerStore}: in memory by default; a shared store (Redis)
 * lets N workers learn the real limit together.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Either, Layer, Option, Ref, Schema } from "effect"
import type { RateLimiterUnavailable } from "../limiter/errors.js"
import { MAX_PACING_MS, MIN_PACING_RATE } from "../limiter/pacing.js"
import { RateLimiter } from "../limiter/RateLimiter.js"
import { parseRetryAfter } from "../retry/retryAfter.js"
import * as Aimd from "./aimd.js"
import { type HeaderInput, type HeaderIssue, parseRateLimitHeaders } from "./headers.js"
import * as Observe from "./observe.js"

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// State store
// ---------------------------------------------------------------------------------------------

/**
 * Where per-key controller state lives. `modify` must be atomic per key; `f` is pure and may be
 * called more than once (an optimistic store such as Redis `WATCH`/`MULTI` re-runs it on conflict).
 * `undefined` means the key has no state yet.
 *
 * @since 0.1.0
 * @category models
 */
export interface ControllerStore {
  readonly name: string
  readonly get: (key: string) => Effect.Effect<Aimd.AimdState | undefined, RateLimiterUnavailable>
  readonly modify: <A>(
    key: string,
    f: (state: Aimd.AimdState | undefined) => readonly [A, Aimd.AimdState]
  ) => Effect.Effect<A, RateLimiterUnavailable>
}

/**
 * An in-process store (one `Ref` holding a map of key → state).
 *
 * @since 0.1.0
 * @category stores
 */
export const makeMemoryStore: Effect.Effect<ControllerStore> = Effect.map(
  Ref.make(new Map<string, Aimd.AimdState>()),
  (ref): ControllerStore => ({
    name: "memory",
    get: (key) => Effect.map(Ref.get(ref), (m) => m.get(key)),
    modify: (key, f) =>
      Ref.modify(ref, (m) => {
        const [a, next] = f(m.get(key))
        const copy = new Map(m)
        copy.set(key, next)
        return [a, copy]
      })
  })
)

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/**
 * One response as the controller sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Outcome {
  readonly status: number
  readonly headers?: HeaderInput | undefined
  /**
   * Epoch ms when the request was sent (from `Clock`). Lets the controller tell the 429s of a burst
   * it already reacted to from new evidence.
   */
  readonly sentAt?: number | undefined
}

/**
 * The controller's view of one key.
 *
 * @since 0.1.0
 * @category models
 */
export interface Snapshot {
  readonly key: string
  readonly currentRate: number
  /** Tokens the limiter has for this key now (tightest limit), when it has limits. */
  readonly tokens: number | null
  /** Epoch ms until which callers of this key are paused, or `null`. */
  readonly cooldownUntil: number | null
  /** Rate when the last decrease happened, or `null`. */
  readonly lastDecreaseRate: number | null
  /** Learned ceiling (best estimate of the real limit), or `null`. */
  readonly ceiling: number | null
  readonly source: Aimd.RateSource
  readonly phase: Aimd.Phase
  readonly decreases: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AdaptiveControllerShape {
  readonly options: ResolvedOptions
  /**
   * Feed one response outcome for `key` (the limiter key). Applies the resulting rate / cooldown to the
   * `RateLimiter` and returns the new snapshot.
   */
  readonly observe: (key: string, outcome: Outcome) => Effect.Effect<Snapshot, RateLimiterUnavailable>
  /** Apply the current (initially configured) rate of `key` to the limiter before the first request. */
  readonly prime: (key: string) => Effect.Effect<void, RateLimiterUnavailable>
  readonly snapshot: (key: string) => Effect.Effect<Snapshot, RateLimiterUnavailable>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class AdaptiveController extends Context.Tag("effect-governor/AdaptiveController")<
  AdaptiveController,
  AdaptiveControllerShape
>() {}

const headerValue = (headers: HeaderInput | undefined, name: string): string | undefined => {
  if (headers === undefined) return undefined
  for (const k of Object.keys(headers)) {
    if (k.toLowerCase() === name) {
      const v = headers[k]
      return typeof v === "string" ? v : Array.isArray(v) ? v[0] : undefined
    }
  }
  return undefined
}

/**
 * What the controller reads from one response: the step `observe.ts` takes (whether it is a
 * backoff status, its Retry-After in ms as sent — `Aimd.onBackoff` caps it at `maxRetryAfter` —, its
 * rate-limit headers, whose resets beyond `maxQuotaWait` the parser drops), and what was malformed
 * (to log).
 *
 * @since 0.1.0
 * @category models
 */
export interface Reading extends Observe.Response {
  readonly issues: ReadonlyArray<HeaderIssue>
}

/**
 * Read one outcome at `now`. Pure; never throws, whatever the headers. The state after it is
 * `Observe.observe(options.aimd, state, reading, now)`.
 *
 * @since 0.1.0
 * @category decisions
 */
export const readOutcome = (options: ResolvedOptions, outcome: Outcome, now: number): Reading => {
  const parsed = options.respectHeaders && outcome.headers !== undefined
    ? parseRateLimitHeaders(outcome.headers, now, options.aimd.maxQuotaWaitMs)
    : undefined
  const issues = parsed === undefined ? [] : [...parsed.issues]
  const backoff = options.backoffStatuses.has(outcome.status)
  const raw = backoff ? headerValue(outcome.headers, "retry-after") : undefined
  const retryAfterMs = raw === undefined ? undefined : Option.getOrUndefined(parseRetryAfter(raw, now))
  if (raw !== undefined && retryAfterMs === undefined) {
    issues.push({ header: "retry-after", value: raw.slice(0, 200), reason: "not seconds or an HTTP-date within a day" })
  }
  const info = parsed === undefined ? undefined : Option.getOrUndefined(parsed.info)
  return { status: outcome.status, backoff, retryAfterMs, sentAt: outcome.sentAt, info, issues }
}

/** Relative change of the rate below which the limiter is not told (saves round trips to Redis). */
const APPLY_THRESHOLD = 0.01

/**
 * Build a controller on the `RateLimiter` in context, with a given state store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWithStore = (
  options: Options,
  store: ControllerStore
): Effect.Effect<AdaptiveControllerShape, InvalidAdaptiveOptions, RateLimiter> =>
  Effect.gen(function*() {
    const resolved = yield* Either.match(resolveOptions(options), { onLeft: Effect.fail, onRight: Effect.succeed })
    const limiter = yield* RateLimiter
    const c = resolved.aimd
    // What this process last told its limiter, per key.
    const applied = yield* Ref.make(new Map<string, number>())
    const warned = yield* Ref.make(new Set<string>())

    const toSnapshot = (key: string, s: Aimd.AimdState, now: number): Effect.Effect<Snapshot, RateLimiterUnavailable> =>
      Effect.map(limiter.snapshot(key), (ls) => {
        const tokens = ls.limits.length === 0 ? null : Math.min(...ls.limits.map((l) => l.tokens))
        const until = Math.max(s.cooldownUntil, ls.cooldownUntil ?? 0)
        return {
          key,
          currentRate: s.rate,
          tokens,
          cooldownUntil: until > now ? until : null,
          lastDecreaseRate: s.lastDecreaseRate,
          ceiling: s.ceiling,
          source: s.source,
          phase: s.phase,
          decreases: s.decreases
        }
      })

    // Rates and durations are validated here, so the limiter's InvalidPacing would be a bug: a defect.
    const apply = (key: string, before: Aimd.AimdState | undefined, after: Aimd.AimdState, now: number) =>
      Effect.gen(function*() {
        const last = (yield* Ref.get(applied)).get(key)
        if (last === undefined || Math.abs(after.rate - last) / last >= APPLY_THRESHOLD) {
          yield* limiter.setRate(key, after.rate, { burst: burstFor(resolved, after.rate) })
          yield* Ref.update(applied, (m) => new Map(m).set(key, after.rate))
        }
        // After the rate: the pace resumes at the new rate when the pause ends.
        if (after.cooldownUntil > now && after.cooldownUntil > (before?.cooldownUntil ?? 0)) {
          yield* limiter.cooldown(key, Duration.millis(after.cooldownUntil - now))
        }
      }).pipe(Effect.catchTag("InvalidPacing", (e) => Effect.die(e)))

    const logIssues = (key: string, issues: ReadonlyArray<HeaderIssue>) =>
      Effect.forEach(issues, (issue) =>
        Effect.gen(function*() {
          const id = `${key}\u0000${issue.header}`
          // Unsupported (well-formed, e.g. a quota in bytes) is not a server fault: debug only.
          const first = issue.unsupported !== true &&
            (yield* Ref.modify(warned, (s) => s.has(id) ? [false, s] : [true, new Set(s).add(id)]))
          const log = first ? Effect.logWarning : Effect.logDebug
          yield* log(`ignored ${issue.unsupported === true ? "" : "malformed "}rate-limit header ${issue.header}: ${issue.reason}`).pipe(
            Effect.annotateLogs({ key, header: issue.header, value: issue.value })
          )
        }), { discard: true })

    const observe = (key: string, outcome: Outcome) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const reading = readOutcome(resolved, outcome, now)
        if (reading.issues.length > 0) yield* logIssues(key, reading.issues)
        const [before, after] = yield* store.modify(key, (prev) => {
          const s = Observe.observe(c, prev ?? Aimd.initial(c), reading, now)
          return [[prev, s] as const, s]
        })
        yield* apply(key, before, after, now)
        return yield* toSnapshot(key, after, now)
      })

    const current = (key: string) => Effect.map(store.get(key), (s) => s ?? Aimd.initial(c))

    return {
      options: resolved,
      observe,
      prime: (key) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          yield* apply(key, undefined, yield* current(key), now)
        }),
      snapshot: (key) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          return yield* toSnapshot(key, yield* current(key), now)
        })
    }
  })

/**
 * Build a controller with an in-memory state store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<AdaptiveControllerShape, InvalidAdaptiveOptions, RateLimiter> =>
  Effect.flatMap(makeMemoryStore, (store) => makeWithStore(options, store))

/**
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { AdaptiveController, RateLimiter } from "effect-governor"
 * const layer = AdaptiveController.layer({ initialRate: 3 }).pipe(Layer.provide(RateLimiter.layerMemory({ limits: [] })))
 * ```
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<AdaptiveController, InvalidAdaptiveOptions, RateLimiter> =>
  Layer.effect(AdaptiveController, make(options))

/**
 * A controller whose state lives in a store provided by the caller (e.g. a Redis one shared by
 * workers).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithStore = (
  options: Options,
  store: Effect.Effect<ControllerStore, RateLimiterUnavailable>
): Layer.Layer<AdaptiveController, InvalidAdaptiveOptions | RateLimiterUnavailable, RateLimiter> =>
  Layer.effect(AdaptiveController, Effect.flatMap(store, (s) => makeWithStore(options, s)))
