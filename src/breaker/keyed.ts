/**
 * Keyed breakers: one breaker per key (host, endpoint, tenant…), created on first use, the least
 * recently used dropped beyond `maxKeys`; every key's transitions on one stream.
 *
 * @since 0.1.0
 * @internal
 */
import { Context, Effect, Layer, PubSub, Schema, type Scope, Stream } from "effect"
import { dual } from "effect/Function"
import type { BreakerSnapshot, CircuitBreakerShape, StateChange } from "./CircuitBreaker.js"
import { type CircuitOpenError, InvalidCircuitBreakerOptions } from "./errors.js"
import { makeMemoryBreaker } from "./memory.js"
import { decodeOptions, WholeNumber } from "../internal/schema.js"
import { type CircuitBreakerOptions, resolveOptions } from "./options.js"

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

/** What a keyed breaker adds to `CircuitBreakerOptionsSchema`. */
const decodeKeyed = decodeOptions(
  Schema.Struct({ maxKeys: Schema.optional(WholeNumber) }),
  (field, reason) => new InvalidCircuitBreakerOptions({ field, reason })
)

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
  /** Transitions of every key's breaker, subscribed as soon as this effect runs. */
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
    const maxKeys = (yield* decodeKeyed(options)).maxKeys ?? 1000
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
        return Effect.map(makeMemoryBreaker(`${name}/${key}`, config, classify, pubsub), (created) => {
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

