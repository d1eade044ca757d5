import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as Limit from "../../src/limiter/Limit.js"
import { type RedisCluster, type RedisServer, skipCluster, skipRedis, startRedisCluster, startRedisServer } from "../redis/server.js"
import { clusterLayer, keySlot, namesOnEveryMaster, rawClient, redisLayer, uniquePrefix } from "../redis/util.js"
import { tenantOn } from "./redisFixtures.js"
import { BINDING, byLevel, capacityOf, overAdmitted, storeTree, USERS } from "./fixtures.js"

const rps = (n: number) => [Limit.perSecond("rps", n)]

describe.skipIf(skipRedis)("tenant limiter on Redis", () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it.live("one script call per admission: levels, violations, snapshot through the limiter script, cooldown of one key", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("levels")
      const { tenants, layer } = yield* tenantOn(redisLayer(server.url, prefix))
      // Per minute: nothing refills while the test runs, on however loaded a machine.
      yield* storeTree("minute").pipe(Effect.provide(layer))
      const ann = { entity: "acme-ann", resource: "api", maxWait: 0 }
      const first = yield* tenants.acquire(ann)
      expect(first.levels.map((l) => l.entity)).toEqual(["acme-ann", "acme", "app"])
      // With the resolution cached, an admission over three levels is one EVALSHA and nothing else.
      const raw = yield* rawClient(server.url)
      const calls = Effect.map(Effect.promise(() => raw.info("commandstats")), (text) => {
        const count = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(text)?.[1] ?? 0)
        return { evalsha: count("evalsha"), eval: count("eval"), hmget: count("hmget") }
      })
      const before = yield* calls
      yield* tenants.acquire(ann)
      const after = yield* calls
      expect([after.evalsha - before.evalsha, after.eval - before.eval, after.hmget - before.hmget]).toEqual([1, 0, 0])
      const own = yield* Effect.flip(tenants.acquire(ann))
      expect(own._tag === "RateLimitExceeded" && own.violations?.map((v) => [v.entity, v.limit])).toEqual([["acme-ann", "rps"]])
      yield* tenants.acquire({ ...ann, entity: "acme-bob" })
      yield* tenants.acquire({ ...ann, entity: "acme-bob" })
      const cust = yield* Effect.flip(tenants.acquire({ ...ann, entity: "acme-bob" }))
      expect(cust._tag === "RateLimitExceeded" && cust.violations?.map((v) => v.entity)).toEqual(["acme-bob", "acme"])
      const cap = yield* tenants.capacity("globex-cy", "api")
      expect(cap.levels.map((l) => [l.entity, Math.floor(l.limits[0]!.tokens)])).toEqual([["globex-cy", 2], ["globex", 4], ["app", 6]])
      // The limiter script reads what the hierarchy script wrote (the same value format).
      const limiter = tenants.forResource("api")
      const snap = yield* limiter.snapshot("acme")
      expect(snap.limits[0]!.tokens).toBeLessThan(1)
      // A 429 for Ann's token pauses Ann only.
      yield* limiter.cooldown("globex-cy", "3 seconds")
      const paused = yield* Effect.flip(limiter.tryAcquire({ key: "globex-cy" }))
      expect(paused._tag === "RateLimitExceeded" && paused.violations?.map((v) => [v.entity, v.limit])).toEqual([["globex-cy", "cooldown"]])
      yield* limiter.tryAcquire({ key: "globex-dee" })
      const all = yield* Effect.flatMap(rawClient(server.url), (c) => Effect.promise(() => c.keys(`{${prefix}:*`)))
      // Every key of the hierarchy carries the root's hash tag (the limits store's keys have their own).
      const keys = all.filter((k) => !k.startsWith(`{${prefix}:limits}`))
      expect(keys.filter((k) => k.includes(":tenant:")).length).toBe(7)
      expect(keys.filter((k) => k.includes(":usage:")).length).toBe(6)
      for (const k of keys) expect(k.startsWith(`{${prefix}:app}:`), k).toBe(true)
    })))

  it.live("K concurrent clients on their own connections: 0 admissions over the limit at any level", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("k-clients")
      const clients = yield* Effect.forEach([0, 1, 2, 3], () => tenantOn(redisLayer(server.url, prefix)))
      yield* storeTree("second", BINDING).pipe(Effect.provide(clients[0]!.layer))
      const admitted: Array<{ user: string; at: number }> = []
      const start = Date.now()
      const durationMs = 2500
      const lane = (tenants: (typeof clients)[number]["tenants"], k: number) =>
        Effect.gen(function*() {
          for (let i = 0; Date.now() - start < durationMs; i++) {
            const user = USERS[(k + i) % USERS.length]!
            const left = durationMs - (Date.now() - start)
            const r = yield* Effect.either(tenants.acquire({ entity: user, resource: "api", maxWait: Duration.millis(Math.max(0, left)) }))
            if (r._tag === "Right" && Date.now() - start < durationMs) admitted.push({ user, at: Date.now() })
          }
        })
      yield* Effect.forEach(clients.flatMap((c, i) => [0, 1, 2].map((j) => lane(c.tenants, i * 3 + j))), (x) => x, {
        concurrency: "unbounded",
        discard: true
      })
      const levels = byLevel(admitted)
      for (const [entity, times] of levels) {
        const { capacity: rate } = capacityOf(entity, BINDING)
        // Times are read after each reply on a loaded machine: 100 ms of jitter allowed.
        expect(overAdmitted(times, rate, rate, 100).map((w) => ({ ...w, from: w.from - start, to: w.to - start })), entity).toEqual([])
      }
      // Every level binds in turn; the app's 10/s is what is left, and it was used.
      expect(levels.get("app")!.length).toBeGreaterThan(0.75 * (10 + 10 * 2.5))
    })), 60_000)

  it.live("a limit changed by another process takes effect within the resolver's TTL", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("change")
      const { tenants, layer } = yield* tenantOn(redisLayer(server.url, prefix), {}, "300 millis")
      yield* storeTree("second", BINDING).pipe(Effect.provide(layer))
      expect((yield* tenants.capacity("acme-ann", "api")).levels[1]!.limits[0]!.capacity).toBe(6)
      const admin = yield* tenantOn(redisLayer(server.url, prefix))
      const changedAt = Date.now()
      yield* admin.store.put({ kind: "entity", name: "acme", settings: { parent: "app", limits: { "*": rps(2) } } }, { source: "ops" })
      let capacity = 6
      while (capacity !== 2 && Date.now() - changedAt < 2000) {
        yield* Effect.sleep("10 millis")
        capacity = (yield* tenants.capacity("acme-ann", "api")).levels[1]!.limits[0]!.capacity
      }
      expect(capacity).toBe(2)
      expect(Date.now() - changedAt).toBeLessThan(300 + 150)
      // The new limit binds: the bucket kept its tokens, clamped to 2.
      const tokens = (yield* tenants.capacity("acme-ann", "api")).levels[1]!.limits[0]!.tokens
      expect(tokens).toBeLessThanOrEqual(2)
      yield* tenants.acquire({ entity: "acme-ann", resource: "api", maxWait: 0 })
      yield* tenants.acquire({ entity: "acme-bob", resource: "api", maxWait: 0 })
      const refused = yield* Effect.flip(tenants.acquire({ entity: "acme-bob", resource: "api", maxWait: 0 }))
      expect(refused._tag === "RateLimitExceeded" && refused.violations?.map((v) => v.entity)).toContain("acme")
    })))

  it.live("usage rings count every level, on server time, with the ring's interval recorded", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("usage")
      const { tenants, layer } = yield* tenantOn(redisLayer(server.url, prefix), { usage: { interval: "1 hour", slots: 4 } })
      yield* storeTree("minute").pipe(Effect.provide(layer))
      yield* tenants.acquire({ entity: "acme-ann", resource: "api", cost: 2 })
      yield* tenants.acquire({ entity: "acme-bob", resource: "api" })
      yield* tenants.acquire({ entity: "globex-cy", resource: "api", cost: 0.5 })
      const amounts = (entity: string) => Effect.map(tenants.usage(entity), (u) => u.rows.map((r) => [r.resource, r.limit, r.amount]))
      expect(yield* amounts("acme-ann")).toEqual([["api", "rps", 2]])
      expect(yield* amounts("acme")).toEqual([["api", "rps", 3]])
      expect(yield* amounts("app")).toEqual([["api", "rps", 3.5]])
      const usage = yield* tenants.usage("app", "1 day")
      expect(usage.intervalMs).toBe(3_600_000)
      expect(usage.to - usage.from).toBe(4 * 3_600_000)
      const raw = yield* rawClient(server.url)
      const ring = `{${prefix}:app}:usage:acme`
      expect(yield* Effect.promise(() => raw.hget(ring, "iv"))).toBe("3600000")
      expect(yield* Effect.promise(() => raw.pttl(ring))).toBeGreaterThan(3 * 3_600_000)
    })))

  it.live("a usage ring keeps its last `slots` intervals only", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("ring")
      const { tenants, layer } = yield* tenantOn(redisLayer(server.url, prefix), { usage: { interval: "100 millis", slots: 2 } })
      yield* storeTree("minute").pipe(Effect.provide(layer))
      for (let i = 0; i < 6; i++) {
        yield* tenants.acquire({ entity: "acme-ann", resource: "api", cost: 0.25 })
        yield* Effect.sleep("100 millis")
      }
      const raw = yield* rawClient(server.url)
      const fields = yield* Effect.promise(() => raw.hkeys(`{${prefix}:app}:usage:app`))
      // iv, n, and at most the two intervals of the ring plus the one being started.
      expect(fields.filter((f) => f.includes("|")).length).toBeLessThanOrEqual(3)
      expect(fields).toContain("iv")
      const usage = yield* tenants.usage("app", "1 hour")
      expect(usage.rows.length).toBeLessThanOrEqual(2)
      expect(usage.to - usage.from).toBe(200)
    })))
})


describe.skipIf(skipCluster)("tenant limiter on a 3-master Redis Cluster", () => {
  let cluster: RedisCluster
  beforeAll(async () => {
    cluster = await startRedisCluster(3)
  }, 30_000)
  afterAll(async () => {
    await cluster?.stop()
  })

  it.live("a hierarchy lives in its root's slot: admissions, capacity, cooldown and usage run on every master", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("cluster")
      const { tenants, store } = yield* tenantOn(clusterLayer(cluster.seeds, prefix))
      const roots = namesOnEveryMaster(prefix, 1, "tenant", "root")
      for (const root of roots) {
        const put = (name: string, parent: string | undefined, n: number) =>
          store.put({ kind: "entity", name, settings: { ...(parent === undefined ? {} : { parent }), limits: { "*": rps(n) } } }, { source: "t" })
        yield* put(root, undefined, 5)
        yield* put(`${root}/c`, root, 3)
        yield* put(`${root}/c/u`, `${root}/c`, 2)
      }
      const slots = new Set<number>()
      for (const root of roots) {
        const user = `${root}/c/u`
        yield* tenants.acquire({ entity: user, resource: "api", maxWait: 0 })
        yield* tenants.acquire({ entity: user, resource: "api", maxWait: 0 })
        const refused = yield* Effect.flip(tenants.acquire({ entity: user, resource: "api", maxWait: 0 }))
        expect(refused._tag === "RateLimitExceeded" && refused.violations?.map((v) => v.entity)).toEqual([user])
        const cap = yield* tenants.capacity(user, "api")
        expect(cap.levels.map((l) => Math.round(l.limits[0]!.tokens))).toEqual([0, 1, 3])
        yield* tenants.cooldown(`${root}/c`, "api", "1 second")
        expect((yield* tenants.usage(root)).rows.map((r) => r.amount)).toEqual([2])
        slots.add(keySlot(`{${prefix}:${root}}`))
      }
      // The roots were picked on the three masters: the scripts ran on each of them.
      expect(slots.size).toBe(3)
    })), 60_000)
})
