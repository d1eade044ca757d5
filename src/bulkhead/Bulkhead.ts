/**
 * A bulkhead: at most `maxConcurrent` effects in flight, at most `maxQueue` waiting for a slot, in
 * arrival order. When the queue is full, a call fails at once with `BulkheadFull` instead of
 * growing an unbounded backlog. Interruption, while waiting or running, gives the place back.
 *
 * @since 0.1.0
 */
import { Context, Deferred, Effect, Either, Layer, Ref, Schema } from "effect"
import { MAX_CONCURRENT, MAX_QUEUE } from "../internal/bounds.js"
import { decodeOptions, intBetween, OptionName } from "../internal/schema.js"
import { BulkheadFull, InvalidBulkheadOptions } from "./errors.js"

/**
 * @since 0.1.0
 */
export interface BulkheadOptions {
  /** Effects running at once (e.g. an API's `concurrent-requests` quota). Integer from 1 to 100,000. */
  readonly maxConcurrent: number
  /** Callers allowed to wait for a slot. Integer from 0 to 1,000,000; 0 rejects as soon as every slot is busy. */
  readonly maxQueue: number
  /** Shown in errors. Default `"default"`. */
  readonly name?: string | undefined
}

/**
 * @since 0.1.0
 */
export interface BulkheadStats {
  readonly name: string
  readonly maxConcurrent: number
  readonly maxQueue: number
  readonly inFlight: number
  readonly queued: number
  /** Calls refused with `BulkheadFull` so far. */
  readonly rejected: number
  /** Calls that got a slot so far. */
  readonly admitted: number
}

/**
 * @since 0.1.0
 */
export interface BulkheadShape {
  readonly name: string
  /** Runs `effect` in a slot, waiting in line if needed; fails with `BulkheadFull` if the line is full. */
  readonly run: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | BulkheadFull, R>
  readonly stats: Effect.Effect<BulkheadStats>
}

/**
 * The service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Bulkhead extends Context.Tag("effect-governor/Bulkhead")<Bulkhead, BulkheadShape>() {}

interface State {
  readonly inFlight: number
  /** Waiting callers, first come first served. */
  readonly waiters: ReadonlyArray<Deferred.Deferred<void>>
  readonly rejected: number
  readonly admitted: number
}

/**
 * Effects in flight at once: 1 to `MAX_CONCURRENT`. The config's bulkhead section uses it too.
 *
 * @since 0.1.0
 * @internal
 */
export const MaxConcurrent = intBetween(1, MAX_CONCURRENT)

/**
 * Callers waiting for a slot: 0 to `MAX_QUEUE`. The config's bulkhead section uses it too.
 *
 * @since 0.1.0
 * @internal
 */
export const MaxQueue = intBetween(0, MAX_QUEUE)

/**
 * The schema `make` decodes its options with.
 *
 * @since 0.1.0
 * @internal
 */
export const BulkheadOptionsSchema = Schema.Struct({
  maxConcurrent: MaxConcurrent,
  maxQueue: MaxQueue,
  name: Schema.optional(OptionName)
})

const decode = decodeOptions(BulkheadOptionsSchema, (field, reason) => new InvalidBulkheadOptions({ field, reason }))

/**
 * Validates options.
 *
 * @since 0.1.0
 */
export const validate = (
  options: BulkheadOptions
): Either.Either<{ readonly maxConcurrent: number; readonly maxQueue: number; readonly name: string }, InvalidBulkheadOptions> =>
  Either.map(decode(options), (o) => ({ maxConcurrent: o.maxConcurrent, maxQueue: o.maxQueue, name: o.name ?? "default" }))

/**
 * Creates a bulkhead.
 *
 * @example
 * ```ts
 * import type { HttpClient, HttpClientRequest } from "@effect/platform"
 * import { Bulkhead } from "effect-governor"
 * declare const client: HttpClient.HttpClient
 * declare const request: HttpClientRequest.HttpClientRequest
 * const bulkhead = yield* Bulkhead.make({ maxConcurrent: 3, maxQueue: 100 })
 * const response = yield* bulkhead.run(client.execute(request))
 * ```
 *
 * @since 0.1.0
 */
export const make = (options: BulkheadOptions): Effect.Effect<BulkheadShape, InvalidBulkheadOptions> =>
  Effect.gen(function*() {
    const { maxConcurrent, maxQueue, name } = yield* validate(options)
    const state = yield* Ref.make<State>({ inFlight: 0, waiters: [], rejected: 0, admitted: 0 })
    const full = new BulkheadFull({ name, maxConcurrent, maxQueue })

    /** Frees a slot: hands it to the first waiter (in-flight count unchanged) or decrements. */
    const release = Effect.flatMap(
      Ref.modify(state, (s): readonly [Deferred.Deferred<void> | undefined, State] => {
        const [next, ...rest] = s.waiters
        return next === undefined
          ? [undefined, { ...s, inFlight: s.inFlight - 1 }]
          : [next, { ...s, waiters: rest, admitted: s.admitted + 1 }]
      }),
      (next) => next === undefined ? Effect.void : Deferred.succeed(next, undefined)
    )

    type Decision = "run" | "wait" | "reject"

    const admit = (s: State): readonly [Decision, State] =>
      s.inFlight < maxConcurrent && s.waiters.length === 0
        ? ["run", { ...s, inFlight: s.inFlight + 1, admitted: s.admitted + 1 }]
        : s.waiters.length < maxQueue
        ? ["wait", s]
        : ["reject", { ...s, rejected: s.rejected + 1 }]

    const failFull = Effect.fail(full)

    /** Gives up a queue place on interruption, or passes on the slot if it was already handed over. */
    const leaveQueue = (ticket: Deferred.Deferred<void>) =>
      Effect.flatMap(
        Ref.modify(state, (s): readonly [boolean, State] => {
          const i = s.waiters.indexOf(ticket)
          return i === -1
            ? [true, s] // the slot was already handed to us: pass it on
            : [false, { ...s, waiters: s.waiters.filter((w) => w !== ticket) }]
        }),
        (handedOver) => handedOver ? release : Effect.void
      )

    /** Every slot busy: take a place in the queue (re-checking, since a slot may have freed up). */
    const queue = <A, E, R>(
      restore: <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>,
      effect: Effect.Effect<A, E, R>
    ): Effect.Effect<A, E | BulkheadFull, R> =>
      // A Deferred is costly to create, so only this slow path makes one.
      Effect.flatMap(Deferred.make<void>(), (ticket) =>
        Effect.flatMap(
          Ref.modify(state, (s): readonly [Decision, State] => {
            const [d, next] = admit(s)
            return d === "wait" ? [d, { ...next, waiters: [...next.waiters, ticket] }] : [d, next]
          }),
          (d): Effect.Effect<A, E | BulkheadFull, R> =>
            d === "run"
              ? Effect.ensuring(restore(effect), release)
              : d === "reject"
              ? failFull
              : restore(Deferred.await(ticket)).pipe(
                Effect.onInterrupt(() => leaveQueue(ticket)),
                Effect.zipRight(Effect.ensuring(restore(effect), release))
              )
        ))

    const run = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | BulkheadFull, R> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Ref.modify(state, admit), (d): Effect.Effect<A, E | BulkheadFull, R> =>
          d === "run"
            ? Effect.ensuring(restore(effect), release)
            : d === "reject"
            ? failFull
            : queue(restore, effect))
      )

    return {
      name,
      run,
      stats: Effect.map(Ref.get(state), (s) => ({
        name,
        maxConcurrent,
        maxQueue,
        inFlight: s.inFlight,
        queued: s.waiters.length,
        rejected: s.rejected,
        admitted: s.admitted
      }))
    } satisfies BulkheadShape
  })

/**
 * A layer providing the `Bulkhead` service.
 *
 * @since 0.1.0
 */
export const layer = (options: BulkheadOptions): Layer.Layer<Bulkhead, InvalidBulkheadOptions> =>
  Layer.effect(Bulkhead, make(options))

/**
 * Runs `effect` through the `Bulkhead` in context.
 *
 * @since 0.1.0
 */
export const withBulkhead = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | BulkheadFull, R | Bulkhead> =>
  Effect.flatMap(Bulkhead, (b) => b.run(effect))
