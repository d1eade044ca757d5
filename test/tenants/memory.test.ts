import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Layer, TestClock } from "effect"
import * as Limit from "../../src/limiter/Limit.js"
import { LimitsResolver, layer as resolverLayer } from "../../src/limits/LimitsResolver.js"
import { LimitsStore } from "../../src/limits/LimitsStore.js"
import { layerMemory as limitsMemory } from "../../src/limits/memoryStore.js"
import { layerMemory, type MemoryTenantOptions, TenantLimiter } from "../../src/Tenants.js"
import { BINDING, byLevel, capacityOf, overAdmitted, storeTree, USERS } from "./fixtures.js"

const live = (options: MemoryTenantOptions = {}) =>
  layerMemory({ throttle: false, ...options }).pipe(
    Layer.provideMerge(resolverLayer({ ttl: "10 seconds" })),
    Layer.provideMerge(limitsMemory())
  )

const settle = Effect.repeatN(Effect.yieldNow(), 20)

describe("tenant limiter (memory)", () => {
  it.effect("consumes from the entity and every ancestor; a refusal names the level that blocked", () =>
    Effect.gen(function*() {
      yield* storeTree()
      const tenants = yield* TenantLimiter
      const ann = { entity: "acme-ann", resource: "api", maxWait: 0 }
      const first = yield* tenants.acquire(ann)
      expect(first.key).toBe("acme-ann@api")
      expect(first.levels).toEqual([
        { entity: "acme-ann", source: "entityDefault" },
        { entity: "acme", source: "entityDefault" },
        { entity: "app", source: "entityDefault" }
      ])
      yield* tenants.acquire(ann)
      // The user's own bucket (2) is empty.
      const own = yield* Effect.flip(tenants.acquire(ann))
      expect(own._tag).toBe("RateLimitExceeded")
      if (own._tag !== "RateLimitExceeded") return
      expect(own.violations?.map((v) => [v.entity, v.limit, Duration.toMillis(v.wait)])).toEqual([["acme-ann", "rps", 500]])
      expect(own.message).toContain("blocked at acme-ann (rps")
      // Bob has room of his own, but the customer's 4 run out after his 2.
      yield* tenants.acquire({ ...ann, entity: "acme-bob" })
      yield* tenants.acquire({ ...ann, entity: "acme-bob" })
      const cust = yield* Effect.flip(tenants.acquire({ ...ann, entity: "acme-bob" }))
      expect(cust._tag === "RateLimitExceeded" && cust.violations?.map((v) => v.entity)).toEqual(["acme-bob", "acme"])
      // Nothing was taken from app or acme by the refusals (all or none).
      const cap = yield* tenants.capacity("globex-cy", "api")
      expect(cap.levels.map((l) => [l.entity, l.limits[0]!.tokens])).toEqual([["globex-cy", 2], ["globex", 4], ["app", 6]])
      const acme = yield* tenants.capacity("acme-ann", "api")
      expect(acme.levels[1]!.limits[0]).toMatchObject({ tokens: 0, capacity: 4, fullAt: 1000 })
    }).pipe(Effect.provide(live())))

  it.effect("K concurrent clients: 0 admissions over the limit at any level, each level binding in turn", () =>
    Effect.gen(function*() {
      yield* storeTree("second", BINDING)
      const tenants = yield* TenantLimiter
      const admitted: Array<{ user: string; at: number }> = []
      const endAt = 6_000
      const client = (k: number) =>
        Effect.gen(function*() {
          for (let i = 0;; i++) {
            const user = USERS[(k + i) % USERS.length]!
            const permit = yield* Effect.either(tenants.acquire({ entity: user, resource: "api", maxWait: "3 seconds" }))
            const at = yield* Clock.currentTimeMillis
            if (at >= endAt) return
            if (permit._tag === "Right") admitted.push({ user, at })
          }
        })
      const fibers = yield* Effect.forEach(Array.from({ length: 8 }, (_, k) => k), (k) => Effect.fork(client(k)))
      for (let t = 0; t < endAt + 4000; t += 50) {
        yield* settle
        yield* TestClock.adjust("50 millis")
      }
      yield* Effect.forEach(fibers, Fiber.join)
      const levels = byLevel(admitted)
      for (const [entity, times] of levels) {
        const { capacity, perSecond } = capacityOf(entity, BINDING)
        expect(overAdmitted(times, capacity, perSecond), entity).toEqual([])
      }
      // The app's 10/s is what binds in the end, and it is used.
      expect(levels.get("app")!.length).toBeGreaterThanOrEqual(0.9 * (BINDING.app.capacity + BINDING.app.perSecond * 6))
    }).pipe(Effect.provide(live())))

  it.effect("a limit changed in the store applies within the resolver's TTL, tokens clamped", () =>
    Effect.gen(function*() {
      yield* storeTree()
      const tenants = yield* TenantLimiter
      const store = yield* LimitsStore
      expect((yield* tenants.capacity("acme-ann", "api")).levels[1]!.limits[0]!.capacity).toBe(4)
      yield* TestClock.adjust("1 millis")
      // acme drops to 1/s; the cached resolution still says 4 until the TTL runs out.
      yield* store.put({ kind: "entity", name: "acme", settings: { parent: "app", limits: { "*": [Limit.perSecond("rps", 1)] } } }, {
        source: "test"
      })
      const before = yield* tenants.capacity("acme-ann", "api")
      expect(before.levels[1]!.limits[0]!.capacity).toBe(4)
      yield* TestClock.adjust("10 seconds")
      const after = yield* tenants.capacity("acme-ann", "api")
      expect(after.levels[1]!.limits[0]).toMatchObject({ capacity: 1, tokens: 1 })
      yield* tenants.acquire({ entity: "acme-ann", resource: "api" })
      const refused = yield* Effect.flip(tenants.acquire({ entity: "acme-bob", resource: "api", maxWait: 0 }))
      expect(refused._tag === "RateLimitExceeded" && refused.violations?.map((v) => v.entity)).toEqual(["acme"])
      expect((yield* (yield* LimitsResolver).stats).refreshes).toBeGreaterThan(0)
    }).pipe(Effect.provide(live())))

  it.effect("a changed limit keeps the bucket's tokens and refills at the new rate from then on", () =>
    Effect.gen(function*() {
      yield* storeTree("minute")
      const tenants = yield* TenantLimiter
      const store = yield* LimitsStore
      // acme (4 at once, 4/min) keeps 1 token after 3 admissions of its users.
      for (const entity of ["acme-ann", "acme-ann", "acme-bob"]) yield* tenants.acquire({ entity, resource: "api", maxWait: 0 })
      const acme = Effect.map(tenants.capacity("acme-ann", "api"), (c) => c.levels[1]!.limits[0]!)
      expect((yield* acme).tokens).toBeCloseTo(1, 9)
      // Now 8 at once, 12/min: seen once the resolver's TTL (10 s) has run out.
      const wider = Limit.custom({ name: "rps", capacity: 8, refillAmount: 3, refillPeriod: "15 seconds" })
      yield* store.put({ kind: "entity", name: "acme", settings: { parent: "app", limits: { "*": [wider] } } }, { source: "test" })
      yield* TestClock.adjust("10 seconds")
      const seen = yield* acme
      expect(seen.capacity).toBe(8)
      // Not a new full bucket: the 1 token kept, plus 10 s of refill (at 4/min, or 12/min from the last decision).
      expect(seen.tokens).toBeGreaterThan(1.6)
      expect(seen.tokens).toBeLessThanOrEqual(3 + 1e-9)
      yield* TestClock.adjust("5 seconds")
      expect((yield* acme).tokens - seen.tokens).toBeCloseTo(1, 9)
    }).pipe(Effect.provide(live())))

  it.effect("a cooldown (a 429 for one customer's token) pauses that entity's key only", () =>
    Effect.gen(function*() {
      yield* storeTree()
      const tenants = yield* TenantLimiter
      const limiter = tenants.forResource("api")
      yield* limiter.cooldown("acme-ann", "2 seconds")
      const paused = yield* Effect.flip(limiter.tryAcquire({ key: "acme-ann" }))
      expect(paused._tag === "RateLimitExceeded" && paused.violations).toEqual([
        { entity: "acme-ann", limit: "cooldown", wait: Duration.millis(2000) }
      ])
      // Her customer and its other user are not paused.
      const bob = yield* limiter.tryAcquire({ key: "acme-bob" })
      expect(bob.key).toBe("acme-bob@api")
      expect((yield* limiter.snapshot("acme-ann")).cooldownUntil).toBe(2000)
      const waiting = yield* Effect.fork(limiter.acquire({ key: "acme-ann" }))
      yield* settle
      yield* TestClock.adjust("2 seconds")
      const permit = yield* Fiber.join(waiting)
      expect(Duration.toMillis(permit.waited)).toBe(2000)
    }).pipe(Effect.provide(live())))

  it.effect("usage: consumption per interval and level, bounded to the ring", () =>
    Effect.gen(function*() {
      yield* storeTree()
      const tenants = yield* TenantLimiter
      for (let minute = 0; minute < 5; minute++) {
        for (let i = 0; i <= minute; i++) {
          yield* tenants.acquire({ entity: i % 2 === 0 ? "acme-ann" : "acme-bob", resource: "api", maxWait: 0 })
          yield* TestClock.adjust("1 second")
        }
        yield* TestClock.adjust(Duration.seconds(60 - minute - 1))
      }
      const ann = yield* tenants.usage("acme-ann", "10 minutes")
      expect(ann.intervalMs).toBe(60_000)
      // The ring holds 3 intervals: minutes 3 and 4 (minute 5, the current one, has nothing yet).
      expect(ann.rows.map((r) => [r.start / 60_000, r.resource, r.limit, r.amount])).toEqual([[3, "api", "rps", 2], [4, "api", "rps", 3]])
      expect([ann.from, ann.to]).toEqual([3 * 60_000, 6 * 60_000])
      const acme = yield* tenants.usage("acme")
      expect(acme.rows.map((r) => r.amount)).toEqual([4, 5])
      const app = yield* tenants.usage("app", "1 minute")
      expect(app.rows).toEqual([])
    }).pipe(Effect.provide(live({ usage: { interval: "1 minute", slots: 3 } }))))

  it.effect("cost maps charge each named limit where a level has it; a name no level has is refused", () =>
    Effect.gen(function*() {
      const store = yield* LimitsStore
      yield* store.put({ kind: "entity", name: "org", settings: { limits: { llm: [Limit.perMinute("tpm", 1000)] } } }, { source: "t" })
      yield* store.put({ kind: "entity", name: "u", settings: { parent: "org", limits: { llm: [Limit.perMinute("rpm", 10)] } } }, {
        source: "t"
      })
      const tenants = yield* TenantLimiter
      const permit = yield* tenants.acquire({ entity: "u", resource: "llm", cost: { rpm: 1, tpm: 400 } })
      expect(permit.costs).toEqual({ rpm: 1, tpm: 400 })
      const cap = yield* tenants.capacity("u", "llm")
      expect(cap.levels.map((l) => l.limits.map((x) => [x.name, x.tokens]))).toEqual([[["rpm", 9]], [["tpm", 600]]])
      const bad = yield* Effect.flip(tenants.acquire({ entity: "u", resource: "llm", cost: { rpd: 1 } }))
      expect(bad._tag === "InvalidCost" && bad.reason).toContain(`limit "rpd" applies at no level of u > org`)
      // A lease adjusted down gives back at every level.
      yield* Effect.scoped(Effect.gen(function*() {
        const lease = yield* tenants.lease({ entity: "u", resource: "llm", cost: { rpm: 1, tpm: 500 } })
        yield* lease.adjust({ rpm: 1, tpm: 100 })
        expect(yield* lease.current).toEqual({ rpm: 1, tpm: 100 })
      }))
      const left = yield* tenants.capacity("u", "llm")
      expect(left.levels.map((l) => l.limits[0]!.tokens)).toEqual([8, 500])
      // An entity with nothing stored takes the fallback limits, and is its own root.
      const stranger = yield* tenants.acquire({ entity: "nobody", resource: "llm", limits: [Limit.perSecond("rps", 1)] })
      expect(stranger.levels).toEqual([{ entity: "nobody", source: "none" }])
    }).pipe(Effect.provide(live())))
})
