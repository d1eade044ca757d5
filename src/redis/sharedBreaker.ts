/**
 * A circuit breaker shared by every process on one Redis (opt-in): its state and failure window
 * live in Redis, so one process's trip opens the circuit for all, and half-open probes are limited
 * across processes. Every operation is one EVALSHA of `breakerScript.ts`, which applies the rules of
 * the pure machine atomically on Redis server time.
 *
 * When Redis is unavailable each process carries on with a local machine seeded from the last
 * shared state it saw (logged, at most once per 30 s); it goes back to the shared state as soon as
 * Redis answers again. A process that dies mid-probe frees its probe slot after `probeTimeout`.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { Clock, Duration, Effect, Layer, Option, PubSub, Stream } from "effect"
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
import { MAX_REQUEST_WAIT } from "../internal/bounds.js"
import { decodeDuration } from "../internal/duration.js"
import { initialThrottle, noteEvent } from "../internal/reportThrottle.js"
import { type BreakerOp, type BreakerReply, breakerScript, callArgs, decodeReply, settingsArgs } from "./breakerScript.js"
import { Redis, RedisError } from "./Redis.js"

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

type Step<A> = readonly [Machine.MachineState, A, ReadonlyArray<Machine.Transition>]

const WARN_INTERVAL_MS = 30_000

const durationOption = (
  field: string,
  value: Duration.DurationInput | undefined,
  fallbackMs: number
): Effect.Effect<number, InvalidCircuitBreakerOptions> => {
  if (value === undefined) return Effect.succeed(fallbackMs)
  const d = decodeDuration(value)
  if (Option.isNone(d) || Duration.toMillis(d.value) < 1 || !Duration.lessThanOrEqualTo(d.value, MAX_REQUEST_WAIT)) {
    return Effect.fail(
      new InvalidCircuitBreakerOptions({
        field,
        reason: `expected a duration from 1 ms to ${Duration.format(MAX_REQUEST_WAIT)}, got ${JSON.stringify(String(value))}`
      })
    )
  }
  return Effect.succeed(Math.ceil(Duration.toMillis(d.value)))
}

/**
 * Builds a shared breaker on the {@link Redis} connection in context. Fails with
 * `InvalidCircuitBreakerOptions` naming a bad option.
 *
 * @example
 * ```ts
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
    const leaseMs = yield* durationOption("probeTimeout", options.probeTimeout, 60_000)
    const ttlMs = Math.max(yield* durationOption("ttl", options.ttl, 86_400_000), config.recoveryTimeoutMs + leaseMs)
    const redis = yield* Redis
    yield* redis.loadScript(breakerScript).pipe(Effect.ignore)
    const keys = [redis.key(name, "breaker"), redis.key(name, "breaker", "probes")]
    const settings = settingsArgs(config, leaseMs, ttlMs)
    const pubsub = yield* PubSub.unbounded<StateChange>()
    const instance = randomBytes(6).toString("hex")
    let probeSeq = 0

    // The local machine used while Redis is unavailable, and what decides when to say so.
    let local = Machine.initial
    let lastShared: Machine.MachineState | undefined = undefined
    let onLocal = false
    let fallbackReports = initialThrottle
    let recoveryReports = initialThrottle

    const publish = (transitions: ReadonlyArray<Machine.Transition>): Effect.Effect<void> =>
      transitions.length === 0 ? Effect.void : PubSub.publishAll(pubsub, transitions.map((t) => ({ ...t, name })))

    const remote = (op: BreakerOp, extra: ReadonlyArray<string>): Effect.Effect<BreakerReply, RedisError> =>
      !redis.isReady()
        ? Effect.fail(new RedisError({ operation: breakerScript.name, reason: "unavailable", detail: "connection not ready" }))
        : Effect.flatMap(redis.evalScript(breakerScript, keys, callArgs(op, settings, extra)), (raw) =>
          Effect.try({
            try: () => decodeReply(op, raw),
            catch: (e) => new RedisError({ operation: breakerScript.name, reason: "command", detail: String(e) })
          }))

    /** One step of the local machine now, its transitions published. */
    const localStep = <A>(f: (s: Machine.MachineState, now: number) => Step<A>, now: number): Effect.Effect<A> => {
      const [next, a, transitions] = f(local, now)
      local = next
      return Effect.as(publish(transitions), a)
    }

    const fellBack = (error: RedisError, now: number): Effect.Effect<void> => {
      if (!onLocal) {
        onLocal = true
        // Carry on from the shared state last seen; its probes belong to other processes.
        local = lastShared === undefined ? local : { ...lastShared, probesInFlight: 0 }
      }
      const next = noteEvent(fallbackReports, now, WARN_INTERVAL_MS)
      fallbackReports = next.state
      return next.report === undefined ? Effect.void : Effect.logWarning(
        `circuit breaker "${name}": Redis unavailable (${error.message}); ${next.report} decision(s) ` +
          "taken on this process's local state since the last report; the shared state is used again once Redis answers"
      )
    }

    const backOnShared = (now: number): Effect.Effect<void> => {
      onLocal = false
      const next = noteEvent(recoveryReports, now, WARN_INTERVAL_MS)
      recoveryReports = next.state
      return next.report === undefined
        ? Effect.void
        : Effect.logInfo(`circuit breaker "${name}": Redis answers again; back on the shared state`)
    }

    /** One operation on the shared state, or on the local machine when Redis cannot be reached. */
    const run = <A>(
      op: BreakerOp,
      extra: ReadonlyArray<string>,
      shared: (reply: BreakerReply) => A,
      fallback: (s: Machine.MachineState, now: number) => Step<A>
    ): Effect.Effect<A> =>
      Effect.matchEffect(remote(op, extra), {
        onSuccess: (reply) => {
          lastShared = reply.state
          const published = Effect.as(publish(reply.transitions), shared(reply))
          return onLocal ? Effect.zipRight(Effect.flatMap(Clock.currentTimeMillis, backOnShared), published) : published
        },
        onFailure: (error) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.zipRight(fellBack(error, now), localStep(fallback, now)))
      })

    const rejection = (admission: Extract<Machine.Admission, { _tag: "Rejected" }>, now: number) =>
      new CircuitOpenError({
        name,
        state: admission.state,
        halfOpenAt: admission.halfOpenAt,
        remaining: Duration.millis(Math.max(0, admission.halfOpenAt - now))
      })

    const answer = (admission: Machine.Admission, now: number, shared: boolean, id: string): Ticket | CircuitOpenError =>
      admission._tag === "Rejected"
        ? rejection(admission, now)
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
        return Effect.flatMap(Clock.currentTimeMillis, (now) => localStep((s) => Machine.record(config, s, now, verdict, ticket), now))
      }
      // Nothing to count and no probe slot to free: no round trip.
      if (ticket !== undefined && verdict === "ignore" && !ticket.probe) return Effect.void
      const extra = [verdict, ticket === undefined ? "" : String(ticket.generation), ticket?.id ?? ""]
      // Without Redis, a shared call's result still tells this process about the upstream.
      return run("record", extra, () => undefined, (s, now) => Machine.record(config, s, now, verdict))
    }

    const admit: Effect.Effect<Permit, CircuitOpenError> = Effect.map(admitTicket, (ticket) => {
      let reported = false
      const once = (verdict: Machine.Verdict) =>
        Effect.suspend(() => {
          if (reported) return Effect.void
          reported = true
          return record(verdict, ticket)
        })
      return { probe: ticket.probe, record: once, recordExit: (exit) => once(classify(exit)) }
    })

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
      changes: Stream.fromPubSub(pubsub),
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
 * const Breaker = layerCircuitBreaker({ name: "notion" }).pipe(Layer.provide(Redis.layerConfig()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerCircuitBreaker = (
  options: RedisCircuitBreakerOptions = {}
): Layer.Layer<CircuitBreaker, InvalidCircuitBreakerOptions, Redis> => Layer.effect(CircuitBreaker, makeCircuitBreaker(options))
