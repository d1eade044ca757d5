import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Option, Stream, TestClock } from "effect"
import * as Limit from "../../src/limiter/Limit.js"
import { LimitsStore } from "../../src/limits/LimitsStore.js"
import { LimitsResolver, layer as resolverLayer } from "../../src/limits/LimitsResolver.js"
import { layerMemory, makeMemory } from "../../src/limits/memoryStore.js"
import * as Layer from "effect/Layer"

const rpm = (n: number) => [Limit.perMinute("rpm", n)]
const source = { source: "test" }

describe("memory limits store", () => {
  it.effect("writes are idempotent, audited once each, conditional writes detect a change", () =>
    Effect.gen(function*() {
      const store = yield* LimitsStore
      const first = yield* store.put({ kind: "resource", name: "api", limits: rpm(10) }, source)
      expect(Option.map(first, (e) => e.action)).toEqual(Option.some("create"))
      expect(Option.isNone(yield* store.put({ kind: "resource", name: "api", limits: rpm(10) }, source))).toBe(true)
      yield* TestClock.adjust("1 second")
      const text = (yield* store.texts).get("resource:api")
      const update = yield* store.put({ kind: "resource", name: "api", limits: rpm(20) }, { source: "ops", expected: { text } })
      const event = Option.getOrThrow(update)
      expect([event.action, event.source, event.at, event.before, event.after]).toEqual([
        "update",
        "ops",
        1000,
        text,
        (yield* store.texts).get("resource:api")
      ])
      const stale = yield* Effect.flip(store.put({ kind: "resource", name: "api", limits: rpm(30) }, { source: "ops", expected: { text } }))
      expect(stale._tag).toBe("LimitsConflict")
      const removed = Option.getOrThrow(yield* store.remove({ kind: "resource", name: "api" }, source))
      expect([removed.action, removed.after]).toEqual(["delete", undefined])
      expect(Option.isNone(yield* store.remove({ kind: "resource", name: "api" }, source))).toBe(true)
      const events = Chunk.toArray(yield* Stream.runCollect(store.audit()))
      expect(events.map((e) => e.action)).toEqual(["create", "update", "delete"])
      expect(new Set(events.map((e) => e.id)).size).toBe(3)
    }).pipe(Effect.provide(layerMemory())))

  it.effect("the audit ring keeps the newest events only, and filters by target", () =>
    Effect.gen(function*() {
      const store = yield* LimitsStore
      for (let i = 1; i <= 7; i++) yield* store.put({ kind: "entity", name: i % 2 === 0 ? "a" : "b", settings: { limits: { "*": rpm(i) } } }, source)
      const all = Chunk.toArray(yield* Stream.runCollect(store.audit()))
      expect(all.map((e) => JSON.parse(e.after!).limits["*"][0].capacity)).toEqual([3, 4, 5, 6, 7])
      const onlyA = Chunk.toArray(yield* Stream.runCollect(store.audit({ target: { kind: "entity", name: "a" }, limit: 1 })))
      expect(onlyA.map((e) => JSON.parse(e.after!).limits["*"][0].capacity)).toEqual([6])
    }).pipe(Effect.provide(layerMemory({ auditCapacity: 5 }))))

  it.effect("auditCapacity is a whole number from 1: a bad one is an InvalidLimitsStoreOptions, not rounded", () =>
    Effect.gen(function*() {
      for (const auditCapacity of [0, 2.5, Number.NaN, 1e7]) {
        const error = yield* Effect.flip(makeMemory({ auditCapacity }))
        expect(error, String(auditCapacity)).toMatchObject({ _tag: "InvalidLimitsStoreOptions", field: "auditCapacity" })
      }
      yield* makeMemory({ auditCapacity: 1 })
    }))

  it.effect("refuses an entity that is its own parent, or an empty name", () =>
    Effect.gen(function*() {
      const store = yield* LimitsStore
      const self = yield* Effect.flip(store.put({ kind: "entity", name: "e", settings: { parent: "e", limits: {} } }, source))
      expect(self.message).toContain("own parent")
      const empty = yield* Effect.flip(store.put({ kind: "resource", name: "", limits: [] }, source))
      expect(empty._tag).toBe("InvalidLimitsEntry")
    }).pipe(Effect.provide(layerMemory())))
})

const both = resolverLayer({ ttl: "5 seconds" }).pipe(Layer.provideMerge(layerMemory()))

describe("limits resolver", () => {
  it.effect("a change in the store takes effect within the cache TTL, and not before", () =>
    Effect.gen(function*() {
      const store = yield* LimitsStore
      const resolver = yield* LimitsResolver
      yield* store.put({ kind: "system", limits: rpm(100) }, source)
      const before = yield* resolver.resolve("user-1", "api")
      expect([before.source, before.limits[0]!.capacity]).toEqual(["system", 100])
      yield* store.put({ kind: "entity", name: "user-1", settings: { limits: { api: rpm(5) } } }, source)
      yield* TestClock.adjust("4999 millis")
      expect((yield* resolver.resolve("user-1", "api")).source).toBe("system")
      yield* TestClock.adjust("1 millis")
      const after = yield* resolver.resolve("user-1", "api")
      expect([after.source, after.limits[0]!.capacity]).toEqual(["entity", 5])
      expect(yield* resolver.stats).toEqual({ hits: 3, misses: 3, refreshes: 3, size: 3 })
    }).pipe(Effect.provide(both)))

  it.effect("resolveChain walks stored parents to the root, and reports a loop", () =>
    Effect.gen(function*() {
      const store = yield* LimitsStore
      const resolver = yield* LimitsResolver
      yield* store.put({ kind: "resource", name: "api", limits: rpm(1000) }, source)
      yield* store.put({ kind: "entity", name: "org-1", settings: { limits: { api: rpm(300) } } }, source)
      yield* store.put({ kind: "entity", name: "user-42", settings: { parent: "org-1", limits: {} } }, source)
      const chain = yield* resolver.resolveChain("user-42", "api")
      expect(chain.map((r) => [r.entity, r.source, r.limits[0]!.capacity])).toEqual([["user-42", "resource", 1000], ["org-1", "entity", 300]])
      // Cached: answered without reading the store (3 hits per level), the same limit lists handed out.
      const { hits, misses } = yield* resolver.stats
      const again = yield* resolver.resolveChain("user-42", "api")
      expect(again[1]!.limits).toBe(chain[1]!.limits)
      expect(yield* resolver.stats).toMatchObject({ misses, hits: hits + 6 })
      yield* store.put({ kind: "entity", name: "org-1", settings: { parent: "user-42", limits: {} } }, source)
      // A loop made while cached is found once the cache is read again.
      yield* TestClock.adjust("5 seconds")
      const stale = yield* Effect.flip(resolver.resolveChain("user-42", "api"))
      expect(stale._tag).toBe("InvalidHierarchy")
      yield* resolver.invalidate
      const loop = yield* Effect.flip(resolver.resolveChain("user-42", "api"))
      expect(loop._tag === "InvalidHierarchy" && loop.chain).toEqual(["user-42", "org-1", "user-42"])
    }).pipe(Effect.provide(both)))
})
