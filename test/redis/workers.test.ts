import { describe, expect, it } from "vitest"
import { Redis as IORedis } from "ioredis"
import { Effect, Layer } from "effect"
import { layerLimitsStore } from "../../src/redis/limitsStore.js"
import * as Redis from "../../src/redis/Redis.js"
import { BINDING, byLevel, capacityOf, overAdmitted, storeTree, USERS } from "../tenants/fixtures.js"
import { provableOvershoot } from "./measure.js"
import { skipCluster, skipRedis } from "./server.js"
import { keySlot, maxOvershoot, redisLayer, scriptCalls, uniquePrefix, useRedisCluster, useRedisServer } from "./util.js"
import { keyName, startWorker, tsxWorker } from "./worker.js"

// 10 at once, then 20 per second.
const capacity = 10
const refillAmount = 10
const periodMs = 500
const rate = refillAmount / periodMs

describe.skipIf(skipRedis)("several processes sharing one Redis limit", () => {
  const server = useRedisServer()

  it("never admit more than the limit allows over any window, together, and wait without polling (<= 2 script calls per admission)", async () => {
    // Shared by 3 processes of 6 fibers each.
    const options = {
      url: server.url,
      prefix: uniquePrefix("procs"),
      key: "shared-api",
      capacity,
      refillAmount,
      periodMs,
      durationMs: 1500,
      concurrency: 6
    }
    const workers = [0, 1, 2].map(() => startWorker(tsxWorker, options))
    await Promise.all(workers.map((w) => w.ready))
    const client = new IORedis(server.url)
    await client.config("RESETSTAT")
    const start = Date.now()
    for (const w of workers) w.go()
    const results = await Promise.all(workers.map((w) => w.result))
    const calls = await scriptCalls(client)
    await client.quit()
    const times = results.flatMap((r) => r.admitted).sort((a, b) => a - b)
    const perWorker = results.map((r) => r.admitted.length)
    // Everyone got a share (the limit is shared, not owned by the fastest process).
    for (const n of perWorker) expect(n).toBeGreaterThan(3)
    // Over every window [t_i, t_j] the count admitted is at most capacity + rate * width. The times
    // are read by each process after its reply arrived, on a loaded machine: allow 100 ms of jitter.
    for (let i = 0; i < times.length; i++) {
      for (let j = i; j < times.length; j++) {
        const width = times[j]! - times[i]! + 100
        expect(j - i + 1).toBeLessThanOrEqual(capacity + rate * width + 1e-9)
      }
    }
    // Exact over the whole run: every admission happened (on the one machine clock that Redis and
    // the workers share) between "go" and the last reply read.
    const span = times[times.length - 1]! - start
    const allowed = capacity + rate * span
    expect(times.length).toBeLessThanOrEqual(Math.floor(allowed))
    // …and the limit was actually used: three processes did not each get a full limit, nor a third.
    expect(times.length).toBeGreaterThan(0.75 * allowed)
    // A waiting fiber books its slot and sleeps once: about one script call per admission (polling
    // took 8.5 with two processes), plus one refusal per fiber that could not finish in time.
    expect(calls / times.length).toBeLessThanOrEqual(2)
  }, 90_000)
})

describe.skipIf(skipCluster)("several processes sharing Redis limits on a 3-master cluster", () => {
  const cluster = useRedisCluster()

  it("never exceed a limit on one key nor on keys of every master, and wait without polling, over rounds of the same workers", async () => {
    const prefix = uniquePrefix("procs-cluster")
    const options = { seeds: cluster.seeds, prefix, key: "one", capacity, refillAmount, periodMs, durationMs: 1200, concurrency: 4 }
    const workers = [0, 1, 2].map(() => startWorker(tsxWorker, options))
    const clients = cluster.nodes.map((n) => new IORedis(n.url))
    try {
      await Promise.all(workers.map((w) => w.ready))
      for (const keys of [1, 12]) {
        await Promise.all(clients.map((c) => c.config("RESETSTAT")))
        const start = Date.now()
        const results = await Promise.all(workers.map((w) => w.round({ key: `k${keys}`, keys })))
        const calls = (await Promise.all(clients.map(scriptCalls))).reduce((a, b) => a + b, 0)
        const byKey = new Map<string, Array<number>>()
        for (const r of results) {
          r.admitted.forEach((t, j) => {
            const key = keyName(`k${keys}`, keys, keys === 1 ? 0 : r.keyOf[j]!)
            byKey.set(key, [...(byKey.get(key) ?? []), t])
          })
        }
        expect(byKey.size).toBe(keys)
        let admitted = 0
        for (const [key, times] of byKey) {
          times.sort((a, b) => a - b)
          admitted += times.length
          // Exact over the run (Redis and the workers share the machine's clock), and used.
          const allowed = Math.floor(capacity + rate * (times[times.length - 1]! - start))
          expect(times.length, key).toBeLessThanOrEqual(allowed)
          expect(times.length, key).toBeGreaterThan(0.6 * allowed)
          expect(maxOvershoot(times, capacity, rate, 100), key).toBe(0)
        }
        expect(calls / admitted, `${keys} keys`).toBeLessThanOrEqual(2)
        if (keys > 1) {
          // The keys lived on every master.
          const owners = new Set([...byKey.keys()].map((k) => Math.floor(keySlot(Redis.keyFor(prefix, k)) / (16384 / 3))))
          expect(owners.size).toBe(3)
        }
      }
    } finally {
      await Promise.all(workers.map((w) => w.exit()))
      await Promise.all(clients.map((c) => c.quit()))
    }
  }, 120_000)
})

describe.skipIf(skipRedis)("several processes sharing a tenant hierarchy", () => {
  const server = useRedisServer()

  it("0 admissions over the limit at any level (user, customer, app), the app's limit used", async () => {
    const prefix = uniquePrefix("procs-tenants")
    await Effect.runPromise(storeTree("second", BINDING).pipe(Effect.provide(layerLimitsStore().pipe(Layer.provide(redisLayer(server.url, prefix))))))
    // The per-key limit options are unused here: the tenant limiter reads the stored tree.
    const options = { url: server.url, prefix, key: "api", entities: USERS, capacity: 1, refillAmount: 1, periodMs: 1000, durationMs: 2000, concurrency: 4 }
    const workers = [0, 1, 2].map(() => startWorker(tsxWorker, options))
    try {
      await Promise.all(workers.map((w) => w.ready))
      const start = Date.now()
      for (const w of workers) w.go()
      const results = await Promise.all(workers.map((w) => w.result))
      const admitted = results.flatMap((r) => r.admitted.map((at, j) => ({ user: USERS[r.keyOf[j]!]!, at, asked: r.asked[j]! })))
      const levels = byLevel(admitted)
      for (const [entity, times] of levels) {
        const { capacity, perSecond } = capacityOf(entity, BINDING)
        expect(overAdmitted(times, capacity, perSecond, 100), entity).toEqual([])
        // Exact over the run: every admission happened between "go" and the last one seen.
        expect(times.length, entity).toBeLessThanOrEqual(Math.floor(capacity + (perSecond * (Math.max(...times) - start)) / 1000))
      }
      // Provably, with no slack: each admission placed anywhere between asked and seen.
      for (const level of ["app", "acme", "globex"]) {
        const mine = admitted.filter((a) => level === "app" || a.user.startsWith(level))
        const { capacity, perSecond } = capacityOf(level, BINDING)
        expect(provableOvershoot(mine.map((a) => a.asked), mine.map((a) => a.at), capacity, perSecond / 1000), level).toBe(0)
      }
      // The app's limit was used: the hierarchy binds, it does not starve.
      expect(levels.get("app")!.length).toBeGreaterThan(0.75 * (BINDING.app.capacity + BINDING.app.perSecond * 2))
    } finally {
      await Promise.all(workers.map((w) => w.exit()))
    }
  }, 90_000)
})
