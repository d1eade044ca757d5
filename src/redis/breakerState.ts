/**
 * Where the shared breaker's state is: in Redis (one script call per operation) or, while Redis
 * cannot be reached (an outage, `isOutage`), in a local machine seeded from the last shared state
 * seen; a misconfigured Redis is a defect (the `RedisError`), never a reason to go local. Says so in the
 * log: a warning at most once per 30 s while local (with the count of decisions taken locally),
 * a line when back on the shared state.
 *
 * @since 0.1.0
 * @internal
 */
import { Clock, Effect } from "effect"
import * as Machine from "../breaker/machine.js"
import { initialThrottle, noteEvent } from "../internal/reportThrottle.js"
import { type BreakerOp, type BreakerReply, breakerScript, callArgs, decodeReply } from "./breakerScript.js"
import { isOutage } from "./errors.js"
import { type RedisShape, RedisError } from "./Redis.js"

/**
 * @since 0.1.0
 * @internal
 */
export type Step<A> = readonly [Machine.MachineState, A, ReadonlyArray<Machine.Transition>]

/**
 * @since 0.1.0
 * @internal
 */
export interface BreakerState {
  /** One operation on the shared state, or `fallback` on the local machine when Redis cannot be reached. */
  readonly run: <A>(
    op: BreakerOp,
    extra: ReadonlyArray<string>,
    shared: (reply: BreakerReply) => A,
    fallback: (s: Machine.MachineState, now: number) => Step<A>
  ) => Effect.Effect<A>
  /** One step of the local machine (for calls admitted on it). */
  readonly local: <A>(f: (s: Machine.MachineState, now: number) => Step<A>) => Effect.Effect<A>
}

const REPORT_INTERVAL_MS = 30_000

/**
 * @since 0.1.0
 * @internal
 */
export const makeBreakerState = (
  name: string,
  redis: RedisShape,
  keys: ReadonlyArray<string>,
  settings: ReadonlyArray<string>,
  publish: (transitions: ReadonlyArray<Machine.Transition>) => Effect.Effect<void>
): BreakerState => {
  let local = Machine.initial
  let lastShared: Machine.MachineState | undefined = undefined
  let onLocal = false
  let fallbackReports = initialThrottle
  let recoveryReports = initialThrottle

  const remote = (op: BreakerOp, extra: ReadonlyArray<string>): Effect.Effect<BreakerReply, RedisError> =>
    !redis.isReady()
      ? Effect.fail(new RedisError({ operation: breakerScript.name, reason: "unavailable", detail: "connection not ready" }))
      : Effect.flatMap(redis.evalScript(breakerScript, keys, callArgs(op, settings, extra)), (raw) =>
        Effect.try({
          try: () => decodeReply(op, raw),
          catch: (e) => new RedisError({ operation: breakerScript.name, reason: "command", detail: String(e) })
        }))

  const localStep = <A>(f: (s: Machine.MachineState, now: number) => Step<A>, now: number): Effect.Effect<A> => {
    const [next, a, transitions] = f(local, now)
    local = next
    return Effect.as(publish(transitions), a)
  }

  const fellBack = (error: RedisError, now: number): Effect.Effect<void> => {
    if (!onLocal) {
      onLocal = true
      // Carry on from the shared state last seen (its probes belong to other processes), in a new
      // generation so that no result of a call admitted locally before can apply to it.
      if (lastShared !== undefined) {
        local = { ...lastShared, generation: Math.max(local.generation, lastShared.generation) + 1, probesInFlight: 0 }
      }
    }
    const next = noteEvent(fallbackReports, now, REPORT_INTERVAL_MS)
    fallbackReports = next.state
    return next.report === undefined ? Effect.void : Effect.logWarning(
      `circuit breaker "${name}": Redis unavailable (${error.message}); ${next.report} decision(s) ` +
        "taken on this process's local state since the last report; the shared state is used again once Redis answers"
    )
  }

  const backOnShared = (now: number): Effect.Effect<void> => {
    onLocal = false
    const next = noteEvent(recoveryReports, now, REPORT_INTERVAL_MS)
    recoveryReports = next.state
    return next.report === undefined
      ? Effect.void
      : Effect.logInfo(`circuit breaker "${name}": Redis answers again; back on the shared state`)
  }

  return {
    run: (op, extra, shared, fallback) =>
      Effect.matchEffect(remote(op, extra), {
        onSuccess: (reply) => {
          lastShared = reply.state
          const published = Effect.as(publish(reply.transitions), shared(reply))
          return onLocal ? Effect.zipRight(Effect.flatMap(Clock.currentTimeMillis, backOnShared), published) : published
        },
        onFailure: (error) =>
          // The local state is for outages: on a misconfigured Redis (logged by the connection) it
          // would quietly split the shared breaker per process. The breaker's error channel is its
          // own (CircuitOpenError), so the configuration error surfaces as a defect.
          isOutage(error)
            ? Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.zipRight(fellBack(error, now), localStep(fallback, now)))
            : Effect.die(error)
      }),
    local: (f) => Effect.flatMap(Clock.currentTimeMillis, (now) => localStep(f, now))
  }
}
