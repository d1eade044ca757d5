/**
 * The in-memory breaker: the pure machine (`machine.ts`) held in a variable, stepped at `Clock`
 * time, its transitions published on a `PubSub` in the order they happened.
 *
 * @since 0.1.0
 * @internal
 */
import { Effect, Exit, PubSub, Stream } from "effect"
import type { CircuitBreakerShape, Permit, StateChange } from "./CircuitBreaker.js"
import { CircuitOpenError } from "./errors.js"
import * as Machine from "./machine.js"
import * as Permits from "./permit.js"
import { snapshotOf } from "./snapshot.js"

type Step<A> = readonly [Machine.MachineState, A, ReadonlyArray<Machine.Transition>]

/**
 * The machine state and the transitions not yet published. A step is one synchronous
 * read-modify-write of plain variables (nothing can interleave inside it), so the hot path
 * allocates no Ref and runs no extra effect; publishing drains the outbox under a mutex, which
 * keeps the order in which the transitions happened even when fibers race to publish.
 */
interface Cell {
  /** Runs one machine step at the current time and publishes its transitions, in order. */
  readonly step: <A>(f: (s: Machine.MachineState, now: number) => Step<A>) => Effect.Effect<A>
  /** The machine state now. */
  readonly current: () => Machine.MachineState
  /** A step computed from `current()`, applied now; the transitions it made are queued for publishing. */
  readonly apply: <A>(result: Step<A>) => A
  /** `effect`, after publishing what is queued (as is when nothing is). */
  readonly publishThen: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

const makeCell = (name: string, pubsub: PubSub.PubSub<StateChange>): Effect.Effect<Cell> =>
  Effect.map(Effect.makeSemaphore(1), (mutex) => {
    let machine = Machine.initial
    let outbox: Array<StateChange> = []
    const drain = mutex.withPermits(1)(
      Effect.suspend(() => {
        const changes = outbox
        outbox = []
        return changes.length === 0 ? Effect.void : PubSub.publishAll(pubsub, changes)
      })
    )
    return {
      step: (f) =>
        Effect.clockWith((clock) => {
          const [next, a, transitions] = f(machine, clock.unsafeCurrentTimeMillis())
          machine = next
          if (transitions.length === 0) return Effect.succeed(a)
          for (const t of transitions) outbox.push({ ...t, name })
          return Effect.as(drain, a)
        }),
      current: () => machine,
      apply: (result) => {
        machine = result[0]
        for (const t of result[2]) outbox.push({ ...t, name })
        return result[1]
      },
      publishThen: (effect) => outbox.length === 0 ? effect : Effect.zipRight(drain, effect)
    }
  })

type Classify = (exit: Exit.Exit<unknown, unknown>) => Machine.Verdict
type Rejection = (admission: Extract<Machine.Admission, { _tag: "Rejected" }>, now: number) => CircuitOpenError

/**
 * The request hot path: admission and recording are synchronous steps inside one uninterruptible
 * region (an admitted probe is always released), with no permit object.
 */
const hotPath = (cell: Cell, config: Machine.MachineConfig, classify: Classify, rejection: Rejection) =>
<A, E, R>(f: (probe: boolean) => Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpenError, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.clockWith((clock): Effect.Effect<A, E | CircuitOpenError, R> => {
      const now = clock.unsafeCurrentTimeMillis()
      const admission = cell.apply(Machine.admit(config, cell.current(), now))
      if (admission._tag === "Rejected") return cell.publishThen(Effect.fail(rejection(admission, now)))
      const recordExit = (exit: Exit.Exit<unknown, unknown>) => {
        cell.apply(Machine.record(config, cell.current(), clock.unsafeCurrentTimeMillis(), classify(exit), admission))
        return cell.publishThen(exit)
      }
      // Suspended: an `f` that throws is a defect recorded like any other exit, not a lost permit.
      const run = Effect.matchCauseEffect(restore(Effect.suspend(() => f(admission.probe))), {
        onFailure: (cause) => recordExit(Exit.failCause(cause)),
        onSuccess: (a) => recordExit(Exit.succeed(a))
      }) as Effect.Effect<A, E, R>
      return cell.publishThen(run)
    })
  )

/** Builds a breaker publishing to `pubsub` (shared by the breakers of a keyed breaker). */
export const makeMemoryBreaker = (
  name: string,
  config: Machine.MachineConfig,
  classify: Classify,
  pubsub: PubSub.PubSub<StateChange>
): Effect.Effect<CircuitBreakerShape> =>
  Effect.map(makeCell(name, pubsub), (cell) => {
    const record = (verdict: Machine.Verdict, ticket?: Machine.Ticket) =>
      cell.step((s, now) => Machine.record(config, s, now, verdict, ticket))
    const rejection: Rejection = (admission, now) => Permits.openError(name, admission, now)
    /** Admission as a bare ticket, for `admit`'s permit. */
    const admitTicket: Effect.Effect<Machine.Ticket, CircuitOpenError> = Effect.flatMap(
      cell.step((s, now) => {
        const [next, admission, ts] = Machine.admit(config, s, now)
        return [next, admission._tag === "Admitted" ? admission : rejection(admission, now), ts] as const
      }),
      (answer) => answer instanceof CircuitOpenError ? Effect.fail(answer) : Effect.succeed(answer)
    )
    const admit: Effect.Effect<Permit, CircuitOpenError> = Effect.map(admitTicket, (ticket) =>
      Permits.permitFor(ticket, record, classify))
    const withPermit = hotPath(cell, config, classify, rejection)
    const withBreaker = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpenError, R> =>
      withPermit(() => effect)
    return {
      name,
      admit,
      withBreaker,
      withPermit,
      recordSuccess: record("success"),
      recordFailure: record("failure"),
      state: cell.step((s, now) => {
        const [next, , transitions] = Machine.tick(s, now)
        return [next, snapshotOf(name, next), transitions] as const
      }),
      subscribe: Effect.map(Stream.fromPubSub(pubsub, { scoped: true }), Stream.filter((c) => c.name === name)),
      force: (to) => cell.step((s, now) => Machine.force(config, s, now, to)),
      classify
    } satisfies CircuitBreakerShape
  })
