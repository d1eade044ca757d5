/**
 * A circuit breaker shared by every process on one Redis (opt-in): its state and failure window
 * live in Redis, so one process's trip opens the circuit for all, and half-open probes are limited
 * across processes. Every operation is one EVALSHA of `breakerScript.ts`, which applies the rules of
 * the pure machine atomically on Redis server time.
 *
 * When Redis is unavailable each process carries on with a local machine seeded from the last
 * shared state it saw (logged, at most once per 30 s); it goes back to the shared state as soon as
 * Redis answers again. A misconfigured Redis (a cluster redirect reaching a standalone client) is
 * not an outage: the breaker's operations die with that `RedisError` (reason `"misconfigured"`,
 * logged by the connection) instead of splitting the shared state per process. A process that dies
 * mid-probe frees its probe slot after `probeTimeout`.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { Duration, Effect, Layer, PubSub, Stream } from "effect"
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerShape,
  type Permit,
  resolveOptions,
  snapshotOf,
  type StateChange
} from "../breaker/CircuitBreaker.js"
import { CircuitOpenError, InvalidCircuitBreakerOptions } from "../breaker/errors.js"
import * as Machine from "../breaker/machine.js"
import * as Permits from "../breaker/permit.js"
import { breakerScript, settingsArgs } from "./breakerScript.js"
import { makeBreakerState } from "./breakerState.js"
import { Redis } from "./Redis.js"

/**
 * Options of the shared breaker: those of `CircuitBreaker.make`, plus the two a shared state needs.
 * Every process sharing a `name` should pass the same options (each call applies its caller's).
 *
 * @since 0.1.0
 * @category models
 */
export interface RedisCircuitBreakerOptions extends CircuitBreakerOptions {
  /**
   * Longest a half-open probe holds its slot without reporting (a process that died mid-probe).
   * Default 1 minute.
   */
  readonly probeTimeout?: Duration.DurationInput | undefined
  /** How long the shared state survives without writes. Default 1 day (never less than `recoveryTimeout`). */
  readonly ttl?: Duration.DurationInput | undefined
}

/** A ticket says where it was admitted: results go back to the same state. */
interface Ticket extends Machine.Ticket {
  readonly shared: boolean
  /** The probe's member in the shared probe set (`""` unless a shared probe). */
  readonly id: string
}

/**
 * Builds a shared breaker on the {@link Redis} connection in context. Fails with
 * `InvalidCircuitBreakerOptions` naming a bad option.
 *
 * @example
 * ```ts
 * import type { HttpClient, HttpClientRequest } from "@effect/platform"
 * import { makeCircuitBreaker } from "effect-governor/redis"
 * declare const client: HttpClient.HttpClient
 * declare const request: HttpClientRequest.HttpClientRequest
 * const breaker = yield* makeCircuitBreaker({ name: "notion", recoveryTimeout: "30 seconds" })
 * const response = yield* breaker.withBreaker(client.execute(request))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeCircuitBreaker = (
  options: RedisCircuitBreakerOptions = {}
): Effect.Effect<CircuitBreakerShape, InvalidCircuitBreakerOptions, Redis> =>
  Effect.gen(function*() {
    const { classify, config, name } = yield* resolveOptions(options)
    const leaseMs = Math.ceil(yield* Permits.durationMillis("probeTimeout", options.probeTimeout, 60_000, 1))
    const ttlMs = Math.max(Math.ceil(yield* Permits.durationMillis("ttl", options.ttl, 86_400_000, 1)), config.recoveryTimeoutMs + leaseMs)
    const redis = yield* Redis
    yield* redis.loadScript(breakerScript).pipe(Effect.ignore)
    const keys = [redis.key(name, "breaker"), redis.key(name, "breaker", "probes")]
    const settings = settingsArgs(config, leaseMs, ttlMs)
    const pubsub = yield* PubSub.unbounded<StateChange>()
    const instance = randomBytes(6).toString("hex")
    let probeSeq = 0

    const publish = (transitions: ReadonlyArray<Machine.Transition>): Effect.Effect<void> =>
      transitions.length === 0 ? Effect.void : PubSub.publishAll(pubsub, transitions.map((t) => ({ ...t, name })))
    const { local, run } = makeBreakerState(name, redis, keys, settings, publish)

    const answer = (admission: Machine.Admission, now: number, shared: boolean, id: string): Ticket | CircuitOpenError =>
      admission._tag === "Rejected"
        ? Permits.openError(name, admission, now)
        : { generation: admission.generation, probe: admission.probe, shared, id: shared && admission.probe ? id : "" }

    const admitTicket: Effect.Effect<Ticket, CircuitOpenError> = Effect.suspend(() => {
      const id = `${instance}:${++probeSeq}`
      return Effect.flatMap(
        run("admit", [id], (r) => answer(r.admission!, r.now, true, id), (s, now) => {
          const [next, admission, ts] = Machine.admit(config, s, now)
          return [next, answer(admission, now, false, id), ts]
        }),
        (a) => (a instanceof CircuitOpenError ? Effect.fail(a) : Effect.succeed(a))
      )
    })

    const record = (verdict: Machine.Verdict, ticket?: Ticket): Effect.Effect<void> => {
      if (ticket !== undefined && !ticket.shared) {
        return local((s, now) => Machine.record(config, s, now, verdict, ticket))
      }
      // Nothing to count and no probe slot to free: no round trip.
      if (ticket !== undefined && verdict === "ignore" && !ticket.probe) return Effect.void
      const extra = [verdict, ticket === undefined ? "" : String(ticket.generation), ticket?.id ?? ""]
      // Without Redis, a shared call's result still tells this process about the upstream.
      return run("record", extra, () => undefined, (s, now) => Machine.record(config, s, now, verdict))
    }

    const admit: Effect.Effect<Permit, CircuitOpenError> = Effect.map(admitTicket, (ticket) =>
      Permits.permitFor(ticket, record, classify))

    // Admission and the recording of the result in one uninterruptible region: an admitted probe
    // always frees its slot (`f` itself stays interruptible).
    const withPermit = <A, E, R>(
      f: (probe: boolean) => Effect.Effect<A, E, R>
    ): Effect.Effect<A, E | CircuitOpenError, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(admitTicket, (ticket) =>
          Effect.onExit(restore(Effect.suspend(() => f(ticket.probe))), (exit) => record(classify(exit), ticket)))
      )

    return {
      name,
      admit,
      withBreaker: (effect) => withPermit(() => effect),
      withPermit,
      recordSuccess: record("success"),
      recordFailure: record("failure"),
      state: run("state", [], (r) => snapshotOf(name, r.state), (s, now) => {
        const [next, , ts] = Machine.tick(s, now)
        return [next, snapshotOf(name, next), ts]
      }),
      subscribe: Stream.fromPubSub(pubsub, { scoped: true }),
      force: (to) => run("force", [to], () => undefined, (s, now) => Machine.force(config, s, now, to)),
      classify
    } satisfies CircuitBreakerShape
  })

/**
 * A layer providing the `CircuitBreaker` service with a shared breaker, on the {@link Redis}
 * connection in context.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { layerCircuitBreaker, Redis } from "effect-governor/redis"
 * const Breaker = layerCircuitBreaker({ name: "notion" }).pipe(Layer.provide(Redis.layerConfig()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerCircuitBreaker = (
  options: RedisCircuitBreakerOptions = {}
): Layer.Layer<CircuitBreaker, InvalidCircuitBreakerOptions, Redis> => Layer.effect(CircuitBreaker, makeCircuitBreaker(options))
