/**
 * The `LimitsResolver` service: which limits apply to (entity, resource) and which level they came
 * from, read from the {@link LimitsStore} through a per-process TTL cache, so the hot path of an
 * admission costs no round trip; a change in the store takes effect within the TTL.
 *
 * `resolveChain` also walks the entity's stored parents (entity first, root last): the hierarchy an
 * admission consumes from.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer, Option } from "effect"
import { InvalidHierarchy, type LimitsStoreError } from "./errors.js"
import { LimitsStore } from "./LimitsStore.js"
import { entity as entityTarget, type Entry, keyOf, parseKey, resource as resourceTarget, system } from "./model.js"
import { type Resolved, resolveLevels } from "./resolve.js"
import * as TtlCache from "./ttlCache.js"

/**
 * Deepest hierarchy `resolveChain` walks (`app > org > workspace > team > user` is 5).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_DEPTH = 8

/**
 * @since 0.1.0
 * @category models
 */
export interface LimitsResolverShape {
  readonly resolve: (entity: string, resource: string) => Effect.Effect<Resolved, LimitsStoreError>
  /** The resolution of `entity` and of each ancestor, entity first, root last. */
  readonly resolveChain: (entity: string, resource: string) => Effect.Effect<ReadonlyArray<Resolved>, LimitsStoreError | InvalidHierarchy>
  readonly stats: Effect.Effect<TtlCache.CacheStats>
  /** Forget what is cached (e.g. right after this process changed the store). */
  readonly invalidate: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class LimitsResolver extends Context.Tag("effect-governor/LimitsResolver")<LimitsResolver, LimitsResolverShape>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface LimitsResolverOptions {
  /** How long a value read from the store is used before it is read again; default 10 seconds. */
  readonly ttl?: Duration.DurationInput | undefined
  /** Store entries cached at most (entities, resources, system); default 10,000. */
  readonly capacity?: number | undefined
}

const SYSTEM = keyOf(system)

const limitsOf = (entry: Option.Option<Entry>) =>
  Option.match(entry, { onNone: () => undefined, onSome: (e) => (e.kind === "entity" ? undefined : e.limits) })

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: LimitsResolverOptions = {}): Effect.Effect<LimitsResolverShape, never, LimitsStore> =>
  Effect.map(LimitsStore, (store) => {
    const cache = TtlCache.make<Option.Option<Entry>>({
      ttlMs: Duration.toMillis(Duration.decode(options.ttl ?? "10 seconds")),
      capacity: options.capacity ?? 10_000
    })
    // Every key given to the cache is made by keyOf, so parseKey always finds its target.
    const load = (keys: ReadonlyArray<string>) => store.getMany(keys.map((key) => parseKey(key)!))
    const keysOf = (entity: string, resource: string) => [keyOf(entityTarget(entity)), keyOf(resourceTarget(resource)), SYSTEM]
    const levelsOf = (entity: string, resource: string, [e, r, s]: ReadonlyArray<Option.Option<Entry>>) =>
      resolveLevels(entity, resource, {
        entity: Option.match(e!, { onNone: () => undefined, onSome: (x) => (x.kind === "entity" ? x.settings : undefined) }),
        resource: limitsOf(r!),
        system: limitsOf(s!)
      })
    const resolve = (entity: string, resource: string) =>
      Effect.map(cache.get(keysOf(entity, resource), load), (values) => levelsOf(entity, resource, values))
    /** The whole chain from fresh cache entries, synchronously (the hot path), or `undefined`. */
    const cachedChain = (entity: string, resource: string, now: number): Array<Resolved> | undefined => {
      const chain: Array<Resolved> = []
      for (let next: string | undefined = entity; next !== undefined;) {
        // A loop or a chain too deep is reported by the effectful walk.
        if (chain.length === MAX_DEPTH || chain.some((r) => r.entity === next)) return undefined
        const values = cache.peek(keysOf(next, resource), now)
        if (values === undefined) return undefined
        const resolved = levelsOf(next, resource, values)
        chain.push(resolved)
        next = resolved.parent
      }
      cache.hit(3 * chain.length)
      return chain
    }
    const walk = (entity: string, resource: string) =>
      Effect.gen(function*() {
        const chain: Array<Resolved> = []
        let next: string | undefined = entity
        while (next !== undefined) {
          if (chain.some((r) => r.entity === next)) {
            return yield* new InvalidHierarchy({ chain: [...chain.map((r) => r.entity), next], reason: "cycle" })
          }
          if (chain.length === MAX_DEPTH) return yield* new InvalidHierarchy({ chain: chain.map((r) => r.entity), reason: "tooDeep" })
          const resolved: Resolved = yield* resolve(next, resource)
          chain.push(resolved)
          next = resolved.parent
        }
        return chain
      })
    const resolveChain = (entity: string, resource: string) =>
      Effect.clockWith((clock) => {
        const chain = cachedChain(entity, resource, clock.unsafeCurrentTimeMillis())
        return chain === undefined ? walk(entity, resource) : Effect.succeed(chain)
      })
    return { resolve, resolveChain, stats: cache.stats, invalidate: cache.clear }
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: LimitsResolverOptions = {}): Layer.Layer<LimitsResolver, never, LimitsStore> =>
  Layer.effect(LimitsResolver, make(options))
