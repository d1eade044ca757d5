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
import { Clock, Context, Duration, Effect, Either, Layer, Option, Ref } from "effect"
import type { RateLimiterUnavailable } from "../limiter/errors.js"
import { RateLimiter, type RateLimiterShape } from "../limiter/RateLimiter.js"
import { parseRetryAfter, serverClockOf, type ServerClock } from "../retry/retryAfter.js"
import * as Aimd from "./aimd.js"
import { type HeaderInput, type HeaderIssue, parseRateLimitHeaders } from "./headers.js"
import * as InFlightGate from "./inFlightGate.js"
import * as Observe from "./observe.js"
import { burstFor, type InvalidAdaptiveOptions, type Options, type ResolvedOptions, resolveOptions } from "./options.js"
import * as WindowGate from "./windowGate.js"

export * from "./options.js"

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
  /**
   * Run `send` (one request of `key`, past the limiter) once fewer requests of the key are unanswered
   * in this process than its in-flight cap (`inFlight.ts`); meanwhile the key's pace is paused a slot
   * at a time, so what a stalled server held is not followed by a burst. Never waits longer than
   * `maxRetryAfter`; a store or limiter that is down lets it through. Optional (added in 0.2.0): a
   * shape without it (a test double) has no cap, `withAdaptiveFeedback` sends at once.
   */
  readonly inFlight?: <A, E, R>(key: string, send: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
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

/** The server's Date (and a cache's Age), which bound how an HTTP-date reads on a skewed client clock: read for a Retry-After only. */
const serverClock = (outcome: Outcome, now: number): ServerClock =>
  serverClockOf((name) => headerValue(outcome.headers, name), outcome.sentAt === undefined ? undefined : now - outcome.sentAt)

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
  const retryAfterMs = raw === undefined ? undefined : Option.getOrUndefined(parseRetryAfter(raw, now, undefined, serverClock(outcome, now)))
  if (raw !== undefined && retryAfterMs === undefined) {
    issues.push({ header: "retry-after", value: raw.slice(0, 200), reason: "not seconds or an HTTP-date within a day" })
  }
  const info = parsed === undefined ? undefined : Option.getOrUndefined(parsed.info)
  return { status: outcome.status, backoff, retryAfterMs, sentAt: outcome.sentAt, info, issues }
}

/** Relative change of the rate below which the limiter is not told (saves round trips to Redis). */
const APPLY_THRESHOLD = 0.01

/** The controller's view of one key at `now`: its state, with the limiter's tokens and pause. */
const snapshotOf = (limiter: RateLimiterShape) =>
  (key: string, s: Aimd.AimdState, now: number): Effect.Effect<Snapshot, RateLimiterUnavailable> =>
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

/** Logs each malformed header once per key as a warning (a server fault), the rest at debug. */
const issueLogger = (warned: Ref.Ref<Set<string>>) => (key: string, issues: ReadonlyArray<HeaderIssue>) =>
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

/**
 * The burst a key's pace gets before its first answer: one request. The limiter makes a key's bucket
 * full, and a pace primed with its catch-up burst (6 at the docs' 100) let the first requests go at
 * once, more than the pace log the fit replays says: the slow start's wall came early for the docs and
 * for the server's bucket alike, the first fit read a smaller one, faster (a 0.5 s bucket of 50, docs
 * 100, 8 fibers on loopback: 54-58, traced in the bench and in the simulation's `bench` net, whose
 * first walls then matched the bench's), and a wall more cut it seconds later, its whole pause in the
 * measured window (the bench's cell 92-98%; paced from one request, the simulation's 99.1%).
 */
const PRIME_BURST = 1

/**
 * Build a controller on the `RateLimiter` in context, with a given state store (its in-flight gate
 * always present).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWithStore = (
  options: Options,
  store: ControllerStore
): Effect.Effect<Required<AdaptiveControllerShape>, InvalidAdaptiveOptions, RateLimiter> =>
  Effect.gen(function*() {
    const resolved = yield* Either.match(resolveOptions(options), { onLeft: Effect.fail, onRight: Effect.succeed })
    const limiter = yield* RateLimiter
    const c = resolved.aimd
    // What this process last told its limiter, per key.
    const applied = yield* Ref.make(new Map<string, number>())

    const toSnapshot = snapshotOf(limiter)

    // A state may come from a shared store (other versions, a corrupted value): a pause it holds is
    // applied only when finite, and never longer than any the controller sets.
    const maxPauseMs = Math.max(c.maxRetryAfterMs, c.maxQuotaWaitMs)
    const pauseMs = (until: number | undefined, since: number | undefined, now: number): number | undefined =>
      until !== undefined && Number.isFinite(until) && until > now && until > (since ?? 0)
        ? Math.min(until - now, maxPauseMs)
        : undefined

    // Stored pauses past that (a corrupted value) would also hold the learning back that long.
    const boundedPauses = (s: Aimd.AimdState, now: number): Aimd.AimdState => {
      const cap = (t: number) => (Number.isNaN(t) ? 0 : Math.min(t, now + maxPauseMs))
      return s.cooldownUntil <= now + maxPauseMs && (s.gateUntil ?? 0) <= now + maxPauseMs
        ? s
        : { ...s, cooldownUntil: cap(s.cooldownUntil), gateUntil: cap(s.gateUntil ?? 0) }
    }

    // Rates and durations are validated here, so the limiter's InvalidPacing would be a bug: a defect.
    // Primed, the key's pace has no burst until its first answer applies one (`PRIME_BURST`).
    const apply = (key: string, before: Aimd.AimdState | undefined, after: Aimd.AimdState, now: number, primed = false) =>
      Effect.gen(function*() {
        const last = (yield* Ref.get(applied)).get(key)
        // The learned rate, under a window gate's pace in force (`windowGate.ts`).
        const rate = WindowGate.paced(after.rate, WindowGate.sane(after.windowGate, now))
        if (primed) {
          yield* limiter.setRate(key, rate, { burst: PRIME_BURST })
          yield* Ref.update(applied, (m) => new Map([...m].filter(([k]) => k !== key)))
        } else if (last === undefined || Math.abs(rate - last) / last >= APPLY_THRESHOLD) {
          yield* limiter.setRate(key, rate, { burst: burstFor(resolved, rate) })
          yield* Ref.update(applied, (m) => new Map(m).set(key, rate))
        }
        // After the rate: the pace resumes at the new rate when the pause ends. Then the window gate's
        // pause (`windowGate.ts`), applied the same way.
        for (const [until, since] of [[after.cooldownUntil, before?.cooldownUntil], [after.gateUntil, before?.gateUntil]]) {
          const ms = pauseMs(until, since, now)
          if (ms !== undefined) yield* limiter.cooldown(key, Duration.millis(ms))
        }
      }).pipe(Effect.catchTag("InvalidPacing", (e) => Effect.die(e)))

    const logIssues = issueLogger(yield* Ref.make(new Set<string>()))

    const observe = (key: string, outcome: Outcome) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const reading = readOutcome(resolved, outcome, now)
        if (reading.issues.length > 0) yield* logIssues(key, reading.issues)
        const [before, after] = yield* store.modify(key, (prev) => {
          const base = prev === undefined ? undefined : boundedPauses(prev, now)
          const s = Observe.observe(c, base ?? Aimd.initial(c), reading, now)
          return [[base, s] as const, s]
        })
        yield* apply(key, before, after, now)
        return yield* toSnapshot(key, after, now)
      })

    const current = (key: string, now: number) =>
      Effect.map(store.get(key), (s) => (s === undefined ? Aimd.initial(c) : boundedPauses(s, now)))

    const inFlight = yield* InFlightGate.make(limiter, resolved, current)

    return {
      options: resolved,
      observe,
      inFlight,
      prime: (key) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          yield* apply(key, undefined, yield* current(key, now), now, true)
        }),
      snapshot: (key) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          return yield* toSnapshot(key, yield* current(key, now), now)
        })
    }
  })

/**
 * Build a controller with an in-memory state store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Required<AdaptiveControllerShape>, InvalidAdaptiveOptions, RateLimiter> =>
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
