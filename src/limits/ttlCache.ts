/**
 * A small TTL cache of values loaded in batches, with hit/miss/refresh counts. Time comes from the
 * Effect `Clock` (so `TestClock` drives expiry). Bounded: beyond `capacity` the oldest loaded entries go.
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"

/**
 * Lookups served from a fresh entry (`hits`), loaded for the first time (`misses`) or reloaded after
 * their TTL (`refreshes`); `size` entries are held now.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheStats {
  readonly hits: number
  readonly misses: number
  readonly refreshes: number
  readonly size: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TtlCache<V> {
  /**
   * The values of `keys`, in order: fresh ones from the cache, the others from one call of `load`
   * (given only the keys it must load, in order). A failed load serves the stale values when every
   * key it needed has one (the store being down does not unset limits), and fails otherwise.
   */
  readonly get: <E>(
    keys: ReadonlyArray<string>,
    load: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<V>, E>
  ) => Effect.Effect<ReadonlyArray<V>, E>
  /**
   * The values of `keys` at `now` when every one is fresh, else `undefined`: the synchronous fast path
   * of {@link get}. Nothing is counted: a caller that used them counts them with {@link hit}.
   */
  readonly peek: (keys: ReadonlyArray<string>, now: number) => ReadonlyArray<V> | undefined
  readonly hit: (lookups: number) => void
  readonly stats: Effect.Effect<CacheStats>
  /** Forget every entry (the next lookups load). */
  readonly clear: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = <V>(options: { readonly ttlMs: number; readonly capacity: number }): TtlCache<V> => {
  const entries = new Map<string, { readonly value: V; readonly expiresAt: number }>()
  let hits = 0
  let misses = 0
  let refreshes = 0
  const store = (key: string, value: V, now: number) => {
    entries.delete(key)
    entries.set(key, { value, expiresAt: now + options.ttlMs })
    // Map iteration follows insertion order: the first key is the one loaded longest ago.
    while (entries.size > options.capacity) entries.delete(entries.keys().next().value!)
  }
  return {
    get: (keys, load) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const stale: Array<string> = []
        for (const key of keys) {
          const entry = entries.get(key)
          if (entry !== undefined && entry.expiresAt > now) hits++
          else {
            if (entry === undefined) misses++
            else refreshes++
            if (!stale.includes(key)) stale.push(key)
          }
        }
        if (stale.length === 0) return Effect.succeed(keys.map((key) => entries.get(key)!.value))
        // Answered from what this call saw and loaded: storing may evict (capacity below keys.length).
        const seen = new Map<string, V>()
        for (const key of keys) {
          const entry = entries.get(key)
          if (entry !== undefined) seen.set(key, entry.value)
        }
        const values = () => keys.map((key) => seen.get(key)!)
        return load(stale).pipe(
          Effect.map((loaded) => {
            stale.forEach((key, i) => {
              seen.set(key, loaded[i]!)
              store(key, loaded[i]!, now)
            })
            return values()
          }),
          Effect.catchAll((error) => stale.every((key) => entries.has(key)) ? Effect.succeed(values()) : Effect.fail(error))
        )
      }),
    peek: (keys, now) => {
      const values: Array<V> = []
      for (const key of keys) {
        const entry = entries.get(key)
        if (entry === undefined || entry.expiresAt <= now) return undefined
        values.push(entry.value)
      }
      return values
    },
    hit: (lookups) => {
      hits += lookups
    },
    stats: Effect.sync(() => ({ hits, misses, refreshes, size: entries.size })),
    clear: Effect.sync(() => entries.clear())
  }
}
