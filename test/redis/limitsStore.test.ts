import { describe, expect, it } from "@effect/vitest"
import { Chunk, type Duration, Effect, Either, Layer, Option, type Scope, Stream } from "effect"
import * as Limit from "../../src/limiter/Limit.js"
import { LimitsStore, type LimitsStoreShape } from "../../src/limits/LimitsStore.js"
import * as LimitsResolver from "../../src/limits/LimitsResolver.js"
import { layerLimitsStore } from "../../src/redis/limitsStore.js"
import { skipRedis } from "./server.js"
import { keySlot, rawClient, redisLayer, scopedRedisServer, uniquePrefix, useRedisServer } from "./util.js"

const rpm = (n: number) => [Limit.perMinute("rpm", n)]

/** A store with its own connection, as a separate process would have. */
const storeOn = (url: string, prefix: string, auditCapacity?: number) =>
  Layer.build(layerLimitsStore({ auditCapacity }).pipe(Layer.provideMerge(redisLayer(url, prefix)))).pipe(
    Effect.map((ctx) => Layer.succeedContext(ctx))
  )

const resolverOn = (layer: Layer.Layer<LimitsStore>, ttl: Duration.DurationInput): Effect.Effect<LimitsResolver.LimitsResolverShape, never, Scope.Scope> =>
  LimitsResolver.make({ ttl }).pipe(Effect.provide(layer))

describe.skipIf(skipRedis)("Redis limits store", () => {
  const server = useRedisServer()

  it.live("auditCapacity is decoded: a bad one is an InvalidLimitsStoreOptions naming it", () =>
    Effect.scoped(Effect.gen(function*() {
      for (const auditCapacity of [0, 2.5, Number.NaN]) {
        const error = yield* Effect.flip(Layer.build(
          layerLimitsStore({ auditCapacity }).pipe(Layer.provide(redisLayer(server.url, uniquePrefix("audit-options"))))
        ))
        expect(error, String(auditCapacity)).toMatchObject({ _tag: "InvalidLimitsStoreOptions", field: "auditCapacity" })
      }
    })))

  it.live("a change made by one process takes effect in another within its cache TTL", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("ttl")
      const writer = yield* Effect.provide(LimitsStore, yield* storeOn(server.url, prefix))
      const reader = yield* resolverOn(yield* storeOn(server.url, prefix), "300 millis")
      yield* writer.put({ kind: "resource", name: "api", limits: rpm(100) }, { source: "test" })
      expect((yield* reader.resolve("user-1", "api")).source).toBe("resource")
      const changedAt = Date.now()
      yield* writer.put({ kind: "entity", name: "user-1", settings: { limits: { api: rpm(5) } } }, { source: "test" })
      // Still cached right after the change: no round trip on the hot path.
      expect((yield* reader.resolve("user-1", "api")).source).toBe("resource")
      let seen = yield* reader.resolve("user-1", "api")
      while (seen.source !== "entity" && Date.now() - changedAt < 2000) {
        yield* Effect.sleep("10 millis")
        seen = yield* reader.resolve("user-1", "api")
      }
      const tookMs = Date.now() - changedAt
      expect([seen.source, seen.limits[0]!.capacity]).toEqual(["entity", 5])
      expect(tookMs).toBeLessThanOrEqual(300 + 100)
      const stats = yield* reader.stats
      expect(stats.misses).toBe(3)
      expect(stats.refreshes).toBeGreaterThanOrEqual(3)
      expect(stats.hits).toBeGreaterThan(stats.refreshes)
    })))

  it.live("writes are idempotent and audited with server time; the stream is capped; keys share one slot", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("audit")
      const store = yield* Effect.provide(LimitsStore, yield* storeOn(server.url, prefix, 3))
      const t0 = Date.now()
      const created = Option.getOrThrow(yield* store.put({ kind: "system", limits: rpm(10) }, { source: "ops" }))
      expect(created.action).toBe("create")
      expect(Math.abs(created.at - t0)).toBeLessThan(1000)
      expect(Option.isNone(yield* store.put({ kind: "system", limits: rpm(10) }, { source: "ops" }))).toBe(true)
      for (let n = 11; n <= 14; n++) yield* store.put({ kind: "system", limits: rpm(n) }, { source: `ops-${n}` })
      const events = Chunk.toArray(yield* Stream.runCollect(store.audit()))
      expect(events.map((e) => e.source)).toEqual(["ops-12", "ops-13", "ops-14"])
      expect(events[0]!.before).toContain("\"capacity\":11")
      expect(events[2]!.after).toContain("\"capacity\":14")
      expect(Chunk.toArray(yield* Stream.runCollect(store.audit({ limit: 1 }))).map((e) => e.source)).toEqual(["ops-14"])
      expect(Chunk.size(yield* Stream.runCollect(store.audit({ target: { kind: "entity", name: "x" } })))).toBe(0)
      const client = yield* rawClient(server.url)
      const keys = yield* Effect.promise(() => client.keys(`{${prefix}:*`))
      expect(keys.sort()).toEqual([`{${prefix}:limits}:limits-audit`, `{${prefix}:limits}:limits-data`])
      expect(new Set(keys.map(keySlot)).size).toBe(1)
    })))

  it.live("of concurrent conditional writes from several processes to one entity, exactly one wins", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("cas")
      const stores: Array<LimitsStoreShape> = []
      for (let i = 0; i < 4; i++) stores.push(yield* Effect.provide(LimitsStore, yield* storeOn(server.url, prefix)))
      const results = yield* Effect.forEach(
        Array.from({ length: 20 }, (_, i) => i),
        (i) =>
          Effect.either(stores[i % 4]!.put(
            { kind: "entity", name: "org-1", settings: { limits: { "*": rpm(i + 1) } } },
            { source: `w${i}`, expected: { text: undefined } }
          )),
        { concurrency: "unbounded" }
      )
      expect(results.filter(Either.isRight)).toHaveLength(1)
      expect(results.filter(Either.isLeft).every((r) => Either.isLeft(r) && r.left._tag === "LimitsConflict")).toBe(true)
      expect(Chunk.size(yield* Stream.runCollect(stores[0]!.audit()))).toBe(1)
    })))

  it.live("a stopped server fails reads with LimitsStoreError, and a resolver keeps serving what it had", () =>
    Effect.scoped(Effect.gen(function*() {
      const other = yield* scopedRedisServer()
      const prefix = uniquePrefix("down")
      const layer = yield* storeOn(other.url, prefix)
      const store = yield* Effect.provide(LimitsStore, layer)
      const resolver = yield* resolverOn(layer, "50 millis")
      yield* store.put({ kind: "resource", name: "api", limits: rpm(7) }, { source: "test" })
      expect((yield* resolver.resolve("u", "api")).source).toBe("resource")
      yield* Effect.promise(() => other.stop())
      yield* Effect.sleep("100 millis")
      expect((yield* Effect.flip(store.get({ kind: "system" })))._tag).toBe("LimitsStoreError")
      expect((yield* resolver.resolve("u", "api")).limits[0]!.capacity).toBe(7)
      expect((yield* Effect.flip(resolver.resolve("other", "api")))._tag).toBe("LimitsStoreError")
    })))
})
