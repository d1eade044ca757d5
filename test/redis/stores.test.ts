import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, type Scope } from "effect"
import * as AdaptiveController from "../../src/adaptive/AdaptiveController.js"
import * as Aimd from "../../src/adaptive/aimd.js"
import * as WindowGate from "../../src/adaptive/windowGate.js"
import type { CacheEntry } from "../../src/cache/CacheStore.js"
import * as Limit from "../../src/limiter/Limit.js"
import { RateLimiter } from "../../src/limiter/RateLimiter.js"
import { make as makeRedis } from "../../src/redis/RedisLimiter.js"
import { makeAdaptiveStore } from "../../src/redis/adaptiveStore.js"
import { decodeEntry, encodeEntry, makeCacheStore } from "../../src/redis/cacheStore.js"
import * as Redis from "../../src/redis/Redis.js"
import { flavors, flavorTitle, skipFlavor, skipRedis } from "./server.js"
import { keySlot, rawClient, uniquePrefix, useRedisServer } from "./util.js"

const connection = (url: string, prefix: string): Effect.Effect<Layer.Layer<Redis.Redis>, Redis.RedisError | Redis.RedisVersionUnsupported, Scope.Scope> =>
  Effect.map(Layer.build(Redis.layer({ url, prefix })), (ctx) => Layer.succeedContext(ctx))

const entry = (body: string, extra: Partial<CacheEntry> = {}): CacheEntry => ({
  status: 200,
  headers: { "content-type": "application/octet-stream", etag: "\"v1\"" },
  body: new Uint8Array([0, 255, 10, 13, ...new TextEncoder().encode(body)]),
  storedAt: 1_700_000_000_000,
  expiresAt: 1_700_000_060_000,
  etag: "\"v1\"",
  vary: { "accept-language": null },
  ...extra
})

for (const flavor of flavors) {
  describe.skipIf(skipFlavor(flavor, skipRedis))(flavorTitle("Redis adaptive and cache stores", flavor, skipRedis), () => {
    const server = useRedisServer({ flavor })

    it.live("adaptive store: concurrent updates from several workers are never lost", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("cas")
        const stores = yield* Effect.forEach([0, 1, 2], () =>
          Effect.flatMap(connection(server.url, prefix), (layer) => Effect.provide(makeAdaptiveStore(), layer)))
        const start = Aimd.initial(Aimd.defaultConfig(10))
        const bump = (s: Aimd.AimdState | undefined) => {
          const next = { ...(s ?? start), decreases: (s ?? start).decreases + 1 }
          return [next.decreases, next] as const
        }
        yield* Effect.forEach(
          stores.flatMap((store) => Array.from({ length: 30 }, () => store.modify("api", bump))),
          (e) => e,
          { concurrency: 16, discard: true }
        )
        for (const store of stores) expect((yield* store.get("api"))?.decreases).toBe(90)
        // Non-finite numbers survive the round trip.
        yield* stores[0]!.modify("inf", () => [undefined, { ...start, cooldownUntil: Infinity }])
        expect((yield* stores[1]!.get("inf"))?.cooldownUntil).toBe(Infinity)
        expect(yield* stores[2]!.get("never-seen")).toBeUndefined()
        // Its key has a TTL and sits in the entity's slot.
        const client = yield* rawClient(server.url)
        const key = Redis.keyFor(prefix, "api", ["adaptive"])
        expect(yield* Effect.promise(() => client.pttl(key))).toBeGreaterThan(3_500_000)
        expect(keySlot(key)).toBe(keySlot(Redis.keyFor(prefix, "api", ["limiter"])))
      })))

    it.live("adaptive store: the header readings and the window gate's log (most of the state) go to Redis packed, and come back whole", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("packed")
        const [a, b] = yield* Effect.forEach([0, 1], () =>
          Effect.flatMap(connection(server.url, prefix), (layer) => Effect.provide(makeAdaptiveStore(), layer)))
        const c = Aimd.defaultConfig(50)
        // Answers of a 50-per-second quota at about 77 rps, 60 ms away: 128 readings kept.
        let state = Aimd.initial(c)
        const t0 = 1_796_505_120_000
        for (let i = 0; i < 400; i++) {
          const t = t0 + 13 * i
          state = Aimd.onHeaders(c, state, { limit: 50, remaining: 40 - (i % 30), resetAt: t + 1060, source: "x-ratelimit" }, t + 60, t)
        }
        expect(state.restore?.samples.length).toBe(128)
        // And a window gate's log of 100 decisions (a quota of 50 keeps up to twice that).
        const gate = WindowGate.make(null, 50, 1000, true)!
        state = { ...state, windowGate: { ...gate, log: Array.from({ length: 100 }, (_, i) => t0 + 10 * i + (i % 3)) } }
        yield* a!.modify("api", () => [undefined, state])
        expect(yield* b!.get("api")).toEqual(state)
        const client = yield* rawClient(server.url)
        const stored = yield* Effect.promise(() => client.hget(Redis.keyFor(prefix, "api", ["adaptive"]), "s"))
        // The unpacked state is about 6.5 KB of JSON, over 5.5 KB of it the readings and the log.
        expect(JSON.stringify(state).length).toBeGreaterThan(6000)
        expect(stored!.length).toBeLessThan(2800)
      })))

    it.live("adaptive controllers of two workers learn one shared rate and pace together", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("learn")
        const worker = Effect.gen(function*() {
          const layer = yield* connection(server.url, prefix)
          const limiter = yield* makeRedis({ limits: [Limit.perSecond("rps", 1000)], throttle: false }).pipe(Effect.provide(layer))
          const store = yield* Effect.provide(makeAdaptiveStore(), layer)
          const controller = yield* AdaptiveController.makeWithStore({ initialRate: 40, slowStart: false }, store).pipe(
            Effect.provideService(RateLimiter, limiter)
          )
          return { limiter, controller }
        })
        const a = yield* worker
        const b = yield* worker
        yield* a.controller.prime("api")
        const after = yield* a.controller.observe("api", { status: 429 })
        expect(after.currentRate).toBeLessThan(40)
        expect(after.decreases).toBe(1)
        // B sees what A learned, without having seen a 429 itself.
        const seenByB = yield* b.controller.snapshot("api")
        expect(seenByB.currentRate).toBe(after.currentRate)
        expect(seenByB.decreases).toBe(1)
        // And the limiter pace is one shared rate, not one per worker.
        const paced = yield* b.limiter.snapshot("api")
        expect(paced.rateSource).toBe("adaptive")
        expect(paced.currentRate).toBeCloseTo(after.currentRate, 6)
      })))

    it.live("adaptive store: local learning while Redis is unreachable, or a typed failure", () =>
      Effect.scoped(Effect.gen(function*() {
        const down = Layer.succeedContext(yield* Layer.build(Redis.layer({ url: "redis://127.0.0.1:1", connectTimeout: "100 millis" })))
        const local = yield* Effect.provide(makeAdaptiveStore(), down)
        const start = Aimd.initial(Aimd.defaultConfig(5))
        const n = yield* local.modify("k", (s) => [(s?.decreases ?? 0) + 1, { ...(s ?? start), decreases: (s?.decreases ?? 0) + 1 }])
        expect(n).toBe(1)
        expect((yield* local.get("k"))?.decreases).toBe(1)
        const strict = yield* Effect.provide(makeAdaptiveStore({ onUnavailable: "fail" }), down)
        const error = yield* Effect.flip(strict.get("k"))
        expect(error._tag).toBe("RateLimiterUnavailable")
      })))

    it("cache frames round-trip entries byte for byte and reject garbage", () => {
      const e = entry("hello")
      expect(decodeEntry(encodeEntry(e))).toEqual(e)
      const bare: CacheEntry = { status: 204, headers: {}, body: new Uint8Array(), storedAt: 1, expiresAt: 2 }
      expect(decodeEntry(encodeEntry(bare))).toEqual(bare)
      expect(decodeEntry(Buffer.from([0, 0, 0, 9, 1]))).toBeUndefined()
      expect(decodeEntry(Buffer.from([0, 0, 0, 2, 123, 125]))).toBeUndefined()
      expect(decodeEntry(Buffer.from("x"))).toBeUndefined()
    })

    it.live("the stores' options are decoded: a bad one is the concept's typed error naming it, not a defect", () =>
      Effect.scoped(Effect.gen(function*() {
        const layer = yield* connection(server.url, uniquePrefix("store-options"))
        for (const namespace of ["", "a:b", "two words"]) {
          const error = yield* Effect.flip(Effect.provide(makeCacheStore({ namespace }), layer))
          expect(error, namespace).toMatchObject({ _tag: "InvalidCacheOptions", field: "namespace" })
        }
        const adaptive = [
          [{ ttl: "soon" as Duration.DurationInput }, "ttl"],
          [{ ttl: -5 }, "ttl"],
          [{ ttl: Duration.infinity }, "ttl"],
          [{ maxAttempts: 0 }, "maxAttempts"],
          [{ maxAttempts: Number.NaN }, "maxAttempts"],
          [{ onUnavailable: "retry" as "fail" }, "onUnavailable"]
        ] as const
        for (const [options, field] of adaptive) {
          const error = yield* Effect.flip(Effect.provide(makeAdaptiveStore(options), layer))
          expect(error, field).toMatchObject({ _tag: "InvalidAdaptiveOptions", field })
        }
        yield* Effect.provide(makeAdaptiveStore({ ttl: "10 minutes", maxAttempts: 8, onUnavailable: "fail" }), layer)
      })))

    it.live("cache store: get/set with retention on the Redis clock, delete, clear, stats", () =>
      Effect.scoped(Effect.gen(function*() {
        const prefix = uniquePrefix("cache")
        const layer = yield* connection(server.url, prefix)
        const store = yield* Effect.provide(makeCacheStore(), layer)
        const other = yield* Effect.provide(makeCacheStore({ namespace: "other" }), layer)
        const client = yield* rawClient(server.url)
        const key = "a".repeat(64)
        expect(Option.isNone(yield* store.get(key))).toBe(true)
        yield* store.set(key, entry("one"), Duration.seconds(30))
        const got = yield* store.get(key)
        expect(Option.getOrThrow(got)).toEqual(entry("one"))
        const redisKey = Redis.keyFor(prefix, `cache:${key}`, ["cache"])
        const ttl = yield* Effect.promise(() => client.pttl(redisKey))
        expect(ttl).toBeGreaterThan(29_000)
        expect(ttl).toBeLessThanOrEqual(30_000)
        // A zero retention stores nothing.
        yield* store.set("b".repeat(64), entry("zero"), Duration.zero)
        expect(Option.isNone(yield* store.get("b".repeat(64)))).toBe(true)
        // Retention passes on Redis' clock.
        yield* store.set("c".repeat(64), entry("short"), Duration.millis(60))
        yield* Effect.sleep("120 millis")
        expect(Option.isNone(yield* store.get("c".repeat(64)))).toBe(true)
        // A corrupt entry is a miss and is removed.
        yield* Effect.promise(() => client.set(Redis.keyFor(prefix, `cache:${"d".repeat(64)}`, ["cache"]), "garbage", "PX", 10_000))
        expect(Option.isNone(yield* store.get("d".repeat(64)))).toBe(true)
        expect(yield* Effect.promise(() => client.exists(Redis.keyFor(prefix, `cache:${"d".repeat(64)}`, ["cache"])))).toBe(0)
        yield* other.set(key, entry("elsewhere"), Duration.seconds(30))
        const stats = yield* store.stats
        expect(stats).toMatchObject({ hits: 1, misses: 4, entries: 1, corrupt: 1 })
        expect(stats.bytes).toBeGreaterThan(entry("one").body.length)
        expect(yield* store.delete(key)).toBe(true)
        expect(yield* store.delete(key)).toBe(false)
        yield* store.set("e".repeat(64), entry("e"), Duration.seconds(30))
        yield* store.clear
        expect((yield* store.stats).entries).toBe(0)
        // clear stays inside its namespace.
        expect(Option.isSome(yield* other.get(key))).toBe(true)
        expect(yield* store.cleanupExpired).toBe(0)
      })))

    it.live("cache store: failures are CacheStoreError, not misses", () =>
      Effect.scoped(Effect.gen(function*() {
        const down = Layer.succeedContext(yield* Layer.build(Redis.layer({ url: "redis://127.0.0.1:1", connectTimeout: "100 millis" })))
        const store = yield* Effect.provide(makeCacheStore(), down)
        const error = yield* Effect.flip(store.get("k"))
        expect(error._tag).toBe("CacheStoreError")
        expect(error.operation).toBe("get")
      })))
  })
}
