import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Option, TestClock } from "effect"
import type { CacheEntry } from "../../src/cache/CacheStore.js"
import { entrySize } from "../../src/cache/CacheStore.js"
import { makeMemoryStore } from "../../src/cache/MemoryStore.js"

const entry = (text: string, extra: Partial<CacheEntry> = {}): CacheEntry => ({
  status: 200,
  headers: { "content-type": "text/plain" },
  body: new TextEncoder().encode(text),
  storedAt: 0,
  expiresAt: 1000,
  ...extra
})
const bodyOf = (o: Option.Option<CacheEntry>) => Option.map(o, (e) => new TextDecoder().decode(e.body))

describe("memory store", () => {
  it.effect("keeps an entry for its TTL on the Clock", () =>
    Effect.gen(function*() {
      const store = yield* makeMemoryStore()
      yield* store.set("k", entry("v"), Duration.seconds(10))
      expect(bodyOf(yield* store.get("k"))).toEqual(Option.some("v"))
      yield* TestClock.adjust(Duration.millis(9_999))
      expect(Option.isSome(yield* store.get("k"))).toBe(true)
      yield* TestClock.adjust(Duration.millis(1))
      expect(Option.isNone(yield* store.get("k"))).toBe(true)
      const s = yield* store.stats
      expect(s).toMatchObject({ hits: 2, misses: 1, entries: 0, bytes: 0, expirations: 1 })
      expect(s.hitRate).toBeCloseTo(2 / 3)
    }))

  it.effect("cleanupExpired removes only expired entries", () =>
    Effect.gen(function*() {
      const store = yield* makeMemoryStore()
      yield* store.set("short", entry("a"), Duration.seconds(1))
      yield* store.set("long", entry("b"), Duration.seconds(60))
      yield* TestClock.adjust(Duration.seconds(2))
      expect(yield* store.cleanupExpired).toBe(1)
      expect((yield* store.stats).entries).toBe(1)
      expect(Option.isSome(yield* store.get("long"))).toBe(true)
    }))

  it.effect("evicts the least recently used entry beyond maxEntries", () =>
    Effect.gen(function*() {
      const store = yield* makeMemoryStore({ maxEntries: 3 })
      for (const k of ["a", "b", "c"]) yield* store.set(k, entry(k), Duration.minutes(1))
      yield* store.get("a") // a is now most recently used; b is the LRU
      yield* store.set("d", entry("d"), Duration.minutes(1))
      expect(Option.isNone(yield* store.get("b"))).toBe(true)
      for (const k of ["a", "c", "d"]) expect(bodyOf(yield* store.get(k))).toEqual(Option.some(k))
      expect(yield* store.stats).toMatchObject({ entries: 3, evictions: 1 })
    }))

  it.effect("bounds bytes, evicting LRU entries, and refuses an entry larger than the bound", () =>
    Effect.gen(function*() {
      const big = "x".repeat(1000)
      const size = entrySize("k0", entry(big))
      const store = yield* makeMemoryStore({ maxBytes: size * 2 + 10 })
      yield* store.set("k0", entry(big), Duration.minutes(1))
      yield* store.set("k1", entry(big), Duration.minutes(1))
      yield* store.set("k2", entry(big), Duration.minutes(1))
      const s = yield* store.stats
      expect(s.entries).toBe(2)
      expect(s.bytes).toBeLessThanOrEqual(size * 2 + 10)
      expect(Option.isNone(yield* store.get("k0"))).toBe(true)
      yield* store.set("huge", entry("y".repeat(size * 3)), Duration.minutes(1))
      expect(Option.isNone(yield* store.get("huge"))).toBe(true)
      expect((yield* store.stats).entries).toBe(2)
    }))

  it.effect("replacing a key adjusts bytes; delete and clear work", () =>
    Effect.gen(function*() {
      const store = yield* makeMemoryStore()
      yield* store.set("k", entry("a".repeat(100)), Duration.minutes(1))
      yield* store.set("k", entry("b"), Duration.minutes(1))
      expect((yield* store.stats).bytes).toBe(entrySize("k", entry("b")))
      expect(yield* store.delete("k")).toBe(true)
      expect(yield* store.delete("k")).toBe(false)
      yield* store.set("x", entry("x"), Duration.minutes(1))
      yield* store.clear
      expect(yield* store.stats).toMatchObject({ entries: 0, bytes: 0 })
    }))

  it.effect("rejects invalid bounds with a typed error", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(makeMemoryStore({ maxEntries: 0 }))
      expect(Exit.isFailure(exit)).toBe(true)
      const err = yield* Effect.flip(makeMemoryStore({ maxBytes: Number.NaN }))
      expect(err._tag).toBe("InvalidCacheOptions")
      expect(err.field).toBe("maxBytes")
    }))
})
