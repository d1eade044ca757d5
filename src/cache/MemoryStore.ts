/**
 * In-memory {@link CacheStore}: retention TTL, bounds on entry count and bytes with
 * least-recently-used eviction, and counters.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Option, Schema } from "effect"
import { decodeOptions } from "../internal/schema.js"
import type { CacheEntry, CacheStore, CacheStoreStats } from "./CacheStore.js"
import { entrySize, hitRate, InvalidCacheOptions } from "./CacheStore.js"
import { BoundedLru, type SizedNode } from "./boundedLru.js"
import { MaxBytes, MaxEntries } from "./fields.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface MemoryStoreOptions {
  /** Most entries kept, 1 to 10,000,000; default 1 000. */
  readonly maxEntries?: number | undefined
  /**
   * Most bytes kept (see `entrySize`), 1 to 2^40 (1 TiB); default 64 MiB. An entry larger than this
   * is not stored.
   */
  readonly maxBytes?: number | undefined
}

class Slot implements SizedNode<Slot> {
  prev: Slot | null = null
  next: Slot | null = null
  constructor(readonly key: string, readonly entry: CacheEntry, readonly size: number, readonly deleteAt: number) {}
}

/**
 * The schema `makeMemoryStore` decodes its options with; the config's cache section shares its bounds.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MemoryStoreOptionsSchema = Schema.Struct({
  maxEntries: Schema.optional(MaxEntries),
  maxBytes: Schema.optional(MaxBytes)
})

const decode = decodeOptions(MemoryStoreOptionsSchema, (field, reason) => new InvalidCacheOptions({ field, reason }))

/**
 * Creates a memory store. Time comes from `Clock`, so `TestClock` drives retention.
 *
 * The state is a bounded LRU list (`boundedLru.ts`, shared with the file store's memo). Each
 * operation reads the clock first and then runs as one synchronous block, so no other fiber can
 * observe a half-done update: the same guarantee a `Ref` gives, without copying the map on every hit.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemoryStore = (options: MemoryStoreOptions = {}): Effect.Effect<CacheStore, InvalidCacheOptions> =>
  Effect.gen(function*() {
    const decoded = yield* decode(options)
    const maxEntries = decoded.maxEntries ?? 1000
    const maxBytes = decoded.maxBytes ?? 64 * 1024 * 1024
    const slots = new BoundedLru<Slot>(maxEntries, maxBytes)
    let hits = 0
    let misses = 0
    let evictions = 0
    let expirations = 0

    const get = (key: string) =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const now = clock.unsafeCurrentTimeMillis()
          const slot = slots.use(key)
          if (slot === undefined) {
            misses++
            return Option.none<CacheEntry>()
          }
          if (now >= slot.deleteAt) {
            slots.remove(slot)
            expirations++
            misses++
            return Option.none<CacheEntry>()
          }
          hits++
          return Option.some(slot.entry)
        }))

    const set = (key: string, entry: CacheEntry, ttl: Duration.Duration) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => {
          const ttlMs = Duration.toMillis(ttl)
          if (!(ttlMs > 0)) slots.delete(key)
          else evictions += slots.set(new Slot(key, entry, entrySize(key, entry), now + ttlMs))
        }))

    const del = (key: string) => Effect.sync(() => slots.delete(key) !== undefined)

    const clear = Effect.sync(() => slots.clear())

    const cleanupExpired = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => {
        let removed = 0
        for (const slot of slots.oldestFirst()) {
          if (now >= slot.deleteAt) {
            slots.remove(slot)
            removed++
          }
        }
        expirations += removed
        return removed
      }))

    const stats = Effect.sync((): CacheStoreStats => ({
      hits,
      misses,
      hitRate: hitRate(hits, misses),
      entries: slots.size,
      bytes: slots.bytes,
      evictions,
      expirations,
      corrupt: 0,
      unreadable: 0
    }))

    const store: CacheStore = { name: "memory", get, set, delete: del, clear, cleanupExpired, stats }
    return store
  })
