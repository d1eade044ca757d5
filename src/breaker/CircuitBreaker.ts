/**
 * A circuit breaker per API (or per key): closed → open after consecutive failures or a failure
 * rate over a sliding window; open → half-open after `recoveryTimeout`; half-open lets a bounded
 * number of probes through and closes after `successThreshold` successes or re-opens on a failure.
 *
 * Time comes from `Clock`, so `TestClock` drives every transition. Transitions happen when the
 * breaker is used or inspected (no background fiber).
 *
 * @since 0.1.0
 */
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Cause, Context, Duration, Effect, Either, Exit, Layer, Option, Predicate, PubSub, type Scope, Stream } from "effect"
import { dual } from "effect/Function"
import { MAX_BREAKER_COUNT } from "../internal/bounds.js"
import * as Defaults from "./defaults.js"
import { CircuitOpenError, InvalidCircuitBreakerOptions } from "./errors.js"
import * as Machine from "./machine.js"
import * as Permits from "./permit.js"

export type { BreakerStateName, Transition, Verdict } from "./machine.js"

/**
 * Options as a user writes them.
 *
 * Tripping: give `failureThreshold` (consecutive failures), `failureRate` (fraction over the last
 * `windowSize` calls, once `minimumCalls` were seen), or both (whichever is reached first). With
 * neither, both rules of `defaults.ts`: 20 consecutive failures, or half of the last 100 calls once
 * 50 were seen (a total outage opens the circuit within 20 calls; 20% random failures never do).
 *
 * Bounds (the config's): counts from 1 to 10,000, `recoveryTimeout` from 0 to 1 day; a value outside fails
 * with `InvalidCircuitBreakerOptions` naming the field.
 *
 * @since 0.1.0
 */
export interface CircuitBreakerOptions {
  /** Shown in errors, snapshots and change events. Default `"default"`. */
  readonly name?: string | undefined
  readonly failureThreshold?: number | undefined
  /** In (0, 1]. */
  readonly failureRate?: number | undefined
  /** Calls in the sliding window. Default 100. */
  readonly windowSize?: number | undefined
  /** Default `min(50, windowSize)`. */
  readonly minimumCalls?: number | undefined
  /** Successful probes needed to close from half-open. Default 1. */
  readonly successThreshold?: number | undefined
  /** Time open before probing. Default 30 s. */
  readonly recoveryTimeout?: Duration.DurationInput | undefined
  /** Probes in flight at once while half-open. Default 1. */
  readonly halfOpenMaxProbes?: number | undefined
  /**
   * How a call's result counts. Default `defaultClassify`: 5xx and 429 responses, transport
   * errors and timeouts are failures; other responses are successes; interruptions and unrelated
   * errors are ignored.
   */
  readonly classify?: ((exit: Exit.Exit<unknown, unknown>) => Machine.Verdict) | undefined
  /**
   * Shorthand for `classify`: `true` → failure, `false` → success (interruptions are still
   * ignored). Ignored when `classify` is given.
   */
  readonly isFailure?: ((exit: Exit.Exit<unknown, unknown>) => boolean) | undefined
}

/**
 * A snapshot of a breaker.
 *
 * @since 0.1.0
 */
export interface BreakerSnapshot {
  readonly name: string
  readonly state: Machine.BreakerStateName
  /** Failures among the calls in the sliding window. */
  readonly failures: number
  readonly consecutiveFailures: number
  /** Calls in the sliding window. */
  readonly windowCalls: number
  /** `failures / windowCalls`, 0 when empty. */
  readonly failureRate: number
  /** Epoch ms when an open breaker will let a probe through, else `null`. */
  readonly nextAttemptAt: number | null
  readonly openedAt: number | null
  readonly trips: number
  /** Calls refused so far. */
  readonly rejected: number
  readonly probesInFlight: number
  readonly halfOpenSuccesses: number
  readonly totalSuccesses: number
  readonly totalFailures: number
}

/**
 * A state transition, as published on `changes`.
 *
 * @since 0.1.0
 */
export interface StateChange extends Machine.Transition {
  readonly name: string
}

/**
 * The admission of one call; report its result exactly once (later reports are no-ops).
 *
 * @since 0.1.0
 */
export interface Permit {
  /** `true` when admitted as a half-open probe. */
  readonly probe: boolean
  readonly record: (verdict: Machine.Verdict) => Effect.Effect<void>
  /** Classifies `exit` with the breaker's classifier and records it. */
  readonly recordExit: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>
}

/**
 * The breaker's interface.
 *
 * @since 0.1.0
 */
export interface CircuitBreakerShape {
  readonly name: string
  /** Lets one call through or fails at once with `CircuitOpenError`. */
  readonly admit: Effect.Effect<Permit, CircuitOpenError>
  /** `admit`, run `effect`, record its classified result (interruption releases the permit). */
  readonly withBreaker: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpenError, R>
  /** `withBreaker` for an effect that wants to know whether it runs as a half-open probe. */
  readonly withPermit: <A, E, R>(
    f: (probe: boolean) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | CircuitOpenError, R>
  /** External feedback, applied to the current state (not tied to an admission). */
  readonly recordSuccess: Effect.Effect<void>
  readonly recordFailure: Effect.Effect<void>
  readonly state: Effect.Effect<BreakerSnapshot>
  /** Transitions from the moment the stream is run. */
  readonly changes: Stream.Stream<StateChange>
  /** Like `changes`, but subscribed as soon as this effect runs (no transition can slip by). */
  readonly subscribe: Effect.Effect<Stream.Stream<StateChange>, never, Scope.Scope>
  /** Operator override: force `closed` (resets counters) or `open` (trips now). */
  readonly force: (state: "closed" | "open") => Effect.Effect<void>
  /** The classifier in use. */
  readonly classify: (exit: Exit.Exit<unknown, unknown>) => Machine.Verdict
}

/**
 * The service tag: one breaker for the API a program talks to.
 *
 * @since 0.1.0
 * @category tags
 */
export class CircuitBreaker extends Context.Tag("effect-governor/CircuitBreaker")<CircuitBreaker, CircuitBreakerShape>() {}

const statusVerdict = (status: number): Machine.Verdict => status >= 500 || status === 429 ? "failure" : "success"

/**
 * The default classifier: the upstream failed when it answered 5xx or 429, when the connection
 * failed, or when the call timed out (`TimeoutException`, `AttemptTimeout`). Any other response
 * (including other 4xx, which are the caller's fault) is a success. Interruptions, defects and
 * errors that never reached the upstream (invalid URL, encode errors, local rejections such as
 * `RateLimitExceeded` or `BulkheadFull`) are ignored.
 *
 * @since 0.1.0
 */
export const defaultClassify = (exit: Exit.Exit<unknown, unknown>): Machine.Verdict => {
  if (Exit.isSuccess(exit)) {
    const v = exit.value
    return Predicate.hasProperty(v, HttpClientResponse.TypeId) ? statusVerdict((v as HttpClientResponse.HttpClientResponse).status) : "success"
  }
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return "ignore"
  const error = failure.value
  if (HttpClientError.isHttpClientError(error)) {
    if (error._tag === "RequestError") return error.reason === "Transport" ? "failure" : "ignore"
    return error.reason === "StatusCode" ? statusVerdict(error.response.status) : "success"
  }
  if (Cause.isTimeoutException(error) || Predicate.isTagged(error, "AttemptTimeout")) return "failure"
  return "ignore"
}

const isPositiveInt = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 1

/**
 * Validates options and fills in defaults.
 *
 * @since 0.1.0
 */
export const resolveOptions = (
  options: CircuitBreakerOptions = {}
): Either.Either<
  {
    readonly name: string
    readonly config: Machine.MachineConfig
    readonly classify: (exit: Exit.Exit<unknown, unknown>) => Machine.Verdict
  },
  InvalidCircuitBreakerOptions
> => {
  const fail = (field: string, reason: string) => Either.left(new InvalidCircuitBreakerOptions({ field, reason }))
  const name = options.name ?? "default"
  if (typeof name !== "string" || name.length === 0) return fail("name", "expected a non-empty string")
  const positive = ["failureThreshold", "windowSize", "minimumCalls", "successThreshold", "halfOpenMaxProbes"] as const
  for (const field of positive) {
    const v = options[field]
    if (v !== undefined && !(isPositiveInt(v) && v <= MAX_BREAKER_COUNT)) {
      return fail(field, `expected an integer from 1 to ${MAX_BREAKER_COUNT}, got ${String(v)}`)
    }
  }
  const rate = options.failureRate
  if (rate !== undefined && !(typeof rate === "number" && Number.isFinite(rate) && rate > 0 && rate <= 1)) {
    return fail("failureRate", `expected a number in (0, 1], got ${String(rate)}`)
  }
  const windowSize = options.windowSize ?? Defaults.WINDOW_SIZE
  const minimumCalls = options.minimumCalls ?? Math.min(Defaults.MINIMUM_CALLS, windowSize)
  if (minimumCalls > windowSize) {
    return fail("minimumCalls", `must not exceed windowSize (${windowSize}), got ${minimumCalls}`)
  }
  const recovery = Permits.durationMillis("recoveryTimeout", options.recoveryTimeout, 30_000, 0)
  if (Either.isLeft(recovery)) return Either.left(recovery.left)
  const recoveryMs = recovery.right
  if (options.classify !== undefined && typeof options.classify !== "function") return fail("classify", "expected a function")
  if (options.isFailure !== undefined && typeof options.isFailure !== "function") return fail("isFailure", "expected a function")
  const isFailure = options.isFailure
  const classify = options.classify ??
    (isFailure === undefined
      ? defaultClassify
      : (exit: Exit.Exit<unknown, unknown>): Machine.Verdict =>
        Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? "ignore" : isFailure(exit) ? "failure" : "success")
  return Either.right({
    name,
    classify,
    config: {
      // One rule given: only that one. Neither: both defaults.
      failureThreshold: options.failureThreshold ?? (rate === undefined ? Defaults.FAILURE_THRESHOLD : undefined),
      failureRate: rate ?? (options.failureThreshold === undefined ? Defaults.FAILURE_RATE : undefined),
      windowSize,
      minimumCalls,
      successThreshold: options.successThreshold ?? 1,
      recoveryTimeoutMs: recoveryMs,
      halfOpenMaxProbes: options.halfOpenMaxProbes ?? 1
    }
  })
}

/**
 * The snapshot of a machine state (shared with the Redis-backed breaker).
 *
 * @since 0.1.0
 */
export const snapshotOf = (name: string, s: Machine.MachineState): BreakerSnapshot => {
  const failures = Machine.windowFailures(s)
  return {
    name,
    state: s.state,
    failures,
    consecutiveFailures: s.consecutiveFailures,
    windowCalls: s.window.length,
    failureRate: s.window.length === 0 ? 0 : failures / s.window.length,
    nextAttemptAt: s.state === "open" ? s.halfOpenAt : null,
    openedAt: s.openedAt,
    trips: s.trips,
    rejected: s.rejected,
    probesInFlight: s.probesInFlight,
    halfOpenSuccesses: s.halfOpenSuccesses,
    totalSuccesses: s.totalSuccesses,
    totalFailures: s.totalFailures
  }
}

/** Builds a breaker publishing to `pubsub` (shared by the breakers of a keyed breaker). */
const makeWith = (
  name: string,
  config: Machine.MachineConfig,
  classify: (exit: Exit.Exit<unknown, unknown>) => Machine.Verdict,
  pubsub: PubSub.PubSub<StateChange>
): Effect.Effect<CircuitBreakerShape> =>
  Effect.gen(function*() {
    // State and the transitions not yet published. A step is one synchronous read-modify-write of
    // plain variables (nothing can interleave inside it), so the hot path allocates no Ref and runs
    // no extra effect; publishing drains the outbox under a mutex, which keeps the order in which
    // the transitions happened even when fibers race to publish.
    let machine = Machine.initial
    let outbox: Array<StateChange> = []
    const mutex = yield* Effect.makeSemaphore(1)
    const drain = mutex.withPermits(1)(
      Effect.suspend(() => {
        const changes = outbox
        outbox = []
        return changes.length === 0 ? Effect.void : PubSub.publishAll(pubsub, changes)
      })
    )

    /** Runs one machine step at the current time and publishes its transitions, in order. */
    const step = <A>(
      f: (s: Machine.MachineState, now: number) => readonly [Machine.MachineState, A, ReadonlyArray<Machine.Transition>]
    ): Effect.Effect<A> =>
      Effect.clockWith((clock) => {
        const [next, a, transitions] = f(machine, clock.unsafeCurrentTimeMillis())
        machine = next
        if (transitions.length === 0) return Effect.succeed(a)
        for (const t of transitions) outbox.push({ ...t, name })
        return Effect.as(drain, a)
      })

    const record = (verdict: Machine.Verdict, ticket?: Machine.Ticket) =>
      step((s, now) => Machine.record(config, s, now, verdict, ticket))

    /** Admission as a bare ticket (no permit object): the hot path of `withBreaker`. */
    const admitTicket: Effect.Effect<Machine.Ticket, CircuitOpenError> = Effect.flatMap(
      step((s, now) => {
        const [next, admission, ts] = Machine.admit(config, s, now)
        return [next, admission._tag === "Admitted" ? admission : rejection(admission, now), ts] as const
      }),
      (answer) => answer instanceof CircuitOpenError ? Effect.fail(answer) : Effect.succeed(answer)
    )

    const rejection = (admission: Extract<Machine.Admission, { _tag: "Rejected" }>, now: number) =>
      Permits.openError(name, admission, now)

    const admit: Effect.Effect<Permit, CircuitOpenError> = Effect.map(admitTicket, (ticket) =>
      Permits.permitFor(ticket, record, classify))

    /** One machine step applied now; the transitions it made are queued for publishing. */
    const stepNow = <A>(
      result: readonly [Machine.MachineState, A, ReadonlyArray<Machine.Transition>]
    ): A => {
      machine = result[0]
      for (const t of result[2]) outbox.push({ ...t, name })
      return result[1]
    }

    // The request hot path: admission and recording are synchronous steps inside one
    // uninterruptible region (an admitted probe is always released), with no permit object.
    const withPermit = <A, E, R>(
      f: (probe: boolean) => Effect.Effect<A, E, R>
    ): Effect.Effect<A, E | CircuitOpenError, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.clockWith((clock): Effect.Effect<A, E | CircuitOpenError, R> => {
          const now = clock.unsafeCurrentTimeMillis()
          const admission = stepNow(Machine.admit(config, machine, now))
          if (admission._tag === "Rejected") {
            const error = Effect.fail(rejection(admission, now))
            return outbox.length === 0 ? error : Effect.zipRight(drain, error)
          }
          const recordExit = (exit: Exit.Exit<unknown, unknown>) => {
            stepNow(Machine.record(config, machine, clock.unsafeCurrentTimeMillis(), classify(exit), admission))
            return outbox.length === 0 ? exit : Effect.zipRight(drain, exit)
          }
          // Suspended: an `f` that throws is a defect recorded like any other exit, not a lost permit.
          const run = Effect.matchCauseEffect(restore(Effect.suspend(() => f(admission.probe))), {
            onFailure: (cause) => recordExit(Exit.failCause(cause)),
            onSuccess: (a) => recordExit(Exit.succeed(a))
          }) as Effect.Effect<A, E, R>
          return outbox.length === 0 ? run : Effect.zipRight(drain, run)
        })
      )

    const withBreaker = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpenError, R> =>
      withPermit(() => effect)

    return {
      name,
      admit,
      withBreaker,
      withPermit,
      recordSuccess: record("success"),
      recordFailure: record("failure"),
      state: step((s, now) => {
        const [next, , transitions] = Machine.tick(s, now)
        return [next, snapshotOf(name, next), transitions] as const
      }),
      changes: Stream.fromPubSub(pubsub).pipe(Stream.filter((c) => c.name === name)),
      subscribe: Effect.map(Stream.fromPubSub(pubsub, { scoped: true }), Stream.filter((c) => c.name === name)),
      force: (to) => step((s, now) => Machine.force(config, s, now, to)),
      classify
    } satisfies CircuitBreakerShape
  })

/**
 * Creates a breaker. Fails with `InvalidCircuitBreakerOptions` naming the bad option.
 *
 * @example
 * ```ts
 * import type { Effect } from "effect"
 * import { CircuitBreaker } from "effect-governor"
 * declare const callUpstream: Effect.Effect<string>
 * const breaker = yield* CircuitBreaker.make({ name: "notion", recoveryTimeout: "30 seconds" })
 * const result = yield* breaker.withBreaker(callUpstream)
 * ```
 *
 * @since 0.1.0
 */
export const make = (options: CircuitBreakerOptions = {}): Effect.Effect<CircuitBreakerShape, InvalidCircuitBreakerOptions> =>
  Effect.flatMap(resolveOptions(options), ({ classify, config, name }) =>
    Effect.flatMap(PubSub.unbounded<StateChange>(), (pubsub) => makeWith(name, config, classify, pubsub)))

/**
 * A layer providing the `CircuitBreaker` service.
 *
 * @since 0.1.0
 */
export const layer = (options: CircuitBreakerOptions = {}): Layer.Layer<CircuitBreaker, InvalidCircuitBreakerOptions> =>
  Layer.effect(CircuitBreaker, make(options))

/**
 * Runs `effect` through the `CircuitBreaker` in context.
 *
 * @since 0.1.0
 */
export const withBreaker = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpenError, R | CircuitBreaker> =>
  Effect.flatMap(CircuitBreaker, (breaker) => breaker.withBreaker(effect))

// ---------------------------------------------------------------------------------------------
// Keyed breakers
// ---------------------------------------------------------------------------------------------

/**
 * Options of a keyed breaker: the options every per-key breaker gets, plus how many keys to keep.
 *
 * @since 0.1.0
 */
export interface KeyedCircuitBreakerOptions extends CircuitBreakerOptions {
  /**
   * Breakers kept at most; beyond, the least recently used one is dropped (its key starts again
   * closed). Default 1000.
   */
  readonly maxKeys?: number | undefined
}

/**
 * A breaker per key (per host, per endpoint, per tenant…), created on first use.
 *
 * @since 0.1.0
 */
export interface KeyedCircuitBreakerShape {
  /** The breaker of `key`, created on demand; its `name` is `"<name>/<key>"`. */
  readonly get: (key: string) => Effect.Effect<CircuitBreakerShape>
  readonly withBreaker: {
    (key: string): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpenError, R>
    <A, E, R>(effect: Effect.Effect<A, E, R>, key: string): Effect.Effect<A, E | CircuitOpenError, R>
  }
  /** Snapshots of every live breaker, by key. */
  readonly states: Effect.Effect<ReadonlyMap<string, BreakerSnapshot>>
  /** Transitions of every key's breaker. */
  readonly changes: Stream.Stream<StateChange>
  readonly subscribe: Effect.Effect<Stream.Stream<StateChange>, never, Scope.Scope>
  /** Keys with a live breaker. */
  readonly size: Effect.Effect<number>
}

/**
 * The keyed breaker tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class KeyedCircuitBreaker
  extends Context.Tag("effect-governor/KeyedCircuitBreaker")<KeyedCircuitBreaker, KeyedCircuitBreakerShape>()
{}

/**
 * Creates a keyed breaker.
 *
 * @since 0.1.0
 */
export const makeKeyed = (
  options: KeyedCircuitBreakerOptions = {}
): Effect.Effect<KeyedCircuitBreakerShape, InvalidCircuitBreakerOptions> =>
  Effect.gen(function*() {
    const { classify, config, name } = yield* resolveOptions(options)
    const maxKeys = options.maxKeys ?? 1000
    if (!isPositiveInt(maxKeys)) {
      return yield* new InvalidCircuitBreakerOptions({ field: "maxKeys", reason: `expected an integer >= 1, got ${String(maxKeys)}` })
    }
    const pubsub = yield* PubSub.unbounded<StateChange>()
    // Insertion order doubles as recency order: a hit is moved to the end.
    const breakers = new Map<string, CircuitBreakerShape>()

    const get = (key: string): Effect.Effect<CircuitBreakerShape> =>
      Effect.suspend(() => {
        const hit = breakers.get(key)
        if (hit !== undefined) {
          breakers.delete(key)
          breakers.set(key, hit)
          return Effect.succeed(hit)
        }
        return Effect.map(makeWith(`${name}/${key}`, config, classify, pubsub), (created) => {
          // Another fiber may have created it meanwhile: keep the first.
          const existing = breakers.get(key)
          if (existing !== undefined) return existing
          breakers.set(key, created)
          while (breakers.size > maxKeys) {
            const oldest = breakers.keys().next()
            if (oldest.done === true) break
            breakers.delete(oldest.value)
          }
          return created
        })
      })

    const withBreakerKeyed = dual(
      2,
      <A, E, R>(effect: Effect.Effect<A, E, R>, key: string): Effect.Effect<A, E | CircuitOpenError, R> =>
        Effect.flatMap(get(key), (b) => b.withBreaker(effect))
    )

    return {
      get,
      withBreaker: withBreakerKeyed,
      states: Effect.suspend(() =>
        Effect.map(
          Effect.forEach([...breakers.entries()], ([key, b]) => Effect.map(b.state, (s) => [key, s] as const)),
          (entries) => new Map(entries)
        )
      ),
      changes: Stream.fromPubSub(pubsub),
      subscribe: Stream.fromPubSub(pubsub, { scoped: true }),
      size: Effect.sync(() => breakers.size)
    } satisfies KeyedCircuitBreakerShape
  })

/**
 * A layer providing the `KeyedCircuitBreaker` service.
 *
 * @since 0.1.0
 */
export const layerKeyed = (
  options: KeyedCircuitBreakerOptions = {}
): Layer.Layer<KeyedCircuitBreaker, InvalidCircuitBreakerOptions> => Layer.effect(KeyedCircuitBreaker, makeKeyed(options))
