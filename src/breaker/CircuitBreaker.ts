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
import { Context, Effect, type Exit, Layer, PubSub, type Scope, type Stream } from "effect"
import type { CircuitOpenError, InvalidCircuitBreakerOptions } from "./errors.js"
import type * as Machine from "./machine.js"
import { makeMemoryBreaker } from "./memory.js"
import { type CircuitBreakerOptions, resolveOptions } from "./options.js"

export type { BreakerStateName, Transition, Verdict } from "./machine.js"
export { defaultClassify } from "./classify.js"
export {
  type KeyedCircuitBreakerOptions,
  KeyedCircuitBreaker,
  type KeyedCircuitBreakerShape,
  layerKeyed,
  makeKeyed
} from "./keyed.js"
export { type CircuitBreakerOptions, resolveOptions } from "./options.js"
export { snapshotOf } from "./snapshot.js"

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
 * A state transition, as published on `subscribe`.
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
  /** Transitions, subscribed as soon as this effect runs (no transition can slip by) until its scope closes. */
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
    Effect.flatMap(PubSub.unbounded<StateChange>(), (pubsub) => makeMemoryBreaker(name, config, classify, pubsub)))

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

