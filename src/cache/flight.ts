/**
 * Single flight per key: one leader does the upstream work, identical concurrent requests wait for
 * its outcome. A waiter gets the leader's entry, its failure, the error status it got (so a waiter
 * holding a stale entry answers from it, as the leader does, without a request of its own), or is
 * told to send its own request (the leader's response may not be stored, so it is not shared
 * either); if the leader is interrupted, a waiter starts over instead of hanging.
 *
 * @since 0.1.0
 * @internal
 */
import type { HttpClientResponse } from "@effect/platform"
import { Cause, Deferred, Effect } from "effect"
import type { CacheEntry } from "./CacheStore.js"
import { errorStatuses } from "./stale.js"
import type { CacheStatus } from "./status.js"

/** How the leader got the entry it shares. @internal */
export type SharedStatus = Extract<CacheStatus, "HIT" | "MISS" | "REVALIDATED">

/** What the leader's work produced. @internal */
export type LeaderResult =
  | { readonly _tag: "Shared"; readonly entry: CacheEntry; readonly status: SharedStatus }
  | { readonly _tag: "PassThrough"; readonly response: HttpClientResponse.HttpClientResponse }

/** What a waiter learns. @internal */
export type WaiterOutcome =
  | { readonly _tag: "Shared"; readonly entry: CacheEntry; readonly status: SharedStatus }
  | { readonly _tag: "SendYourself" }
  /** The leader's response had an error status (`errorStatuses`), passed through to it alone. */
  | { readonly _tag: "ErrorStatus"; readonly status: number }
  | { readonly _tag: "Retry" }

type FlightOutcome = WaiterOutcome | { readonly _tag: "Failed"; readonly cause: Cause.Cause<unknown> }

/** @internal */
export interface Flights {
  /**
   * Runs `lead` as the leader of `key`, or waits for the current leader and continues with
   * `onWaiter` (interruptible). The leader's own result goes through `onLeader`.
   */
  readonly run: <A, E, R>(
    key: string,
    lead: Effect.Effect<LeaderResult, E, R>,
    onLeader: (result: LeaderResult) => A,
    onWaiter: (outcome: WaiterOutcome) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
}

const passedThrough = (status: number): WaiterOutcome =>
  errorStatuses.has(status) ? { _tag: "ErrorStatus", status } : { _tag: "SendYourself" }

/** @internal */
export const makeFlights = (): Flights => {
  const flights = new Map<string, Deferred.Deferred<FlightOutcome>>()
  const run = <A, E, R>(
    key: string,
    lead: Effect.Effect<LeaderResult, E, R>,
    onLeader: (result: LeaderResult) => A,
    onWaiter: (outcome: WaiterOutcome) => Effect.Effect<A, E, R>
  ): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        // Check-and-register in one synchronous step so two fibers cannot both become leader.
        const role = yield* Effect.fiberIdWith((id) =>
          Effect.sync(() => {
            const existing = flights.get(key)
            if (existing !== undefined) return { leader: false, deferred: existing } as const
            const deferred = Deferred.unsafeMake<FlightOutcome>(id)
            flights.set(key, deferred)
            return { leader: true, deferred } as const
          })
        )
        if (!role.leader) {
          const outcome = yield* restore(Deferred.await(role.deferred))
          if (outcome._tag === "Failed") return yield* Effect.failCause(outcome.cause as Cause.Cause<E>)
          return yield* restore(onWaiter(outcome))
        }
        const exit = yield* Effect.exit(restore(lead))
        flights.delete(key)
        const outcome: FlightOutcome = exit._tag === "Success"
          ? (exit.value._tag === "Shared" ? exit.value : passedThrough(exit.value.response.status))
          : Cause.isInterruptedOnly(exit.cause)
          ? { _tag: "Retry" }
          : { _tag: "Failed", cause: exit.cause }
        yield* Deferred.succeed(role.deferred, outcome)
        if (exit._tag === "Failure") return yield* Effect.failCause(exit.cause)
        return onLeader(exit.value)
      })
    )
  return { run }
}
