/**
 * The hierarchy script agrees with the pure admission core, level by level: the same waits, the same
 * blocked levels and limits, on generated trees (the core is what the memory store runs).
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either } from "effect"
import fc from "fast-check"
import type { Redis as IORedis } from "ioredis"
import { afterAll, beforeAll } from "vitest"
import * as Admission from "../../src/limiter/admission.js"
import * as Limit from "../../src/limiter/Limit.js"
import { compileSet, type LimitSet, type Request, resolveCost } from "../../src/limiter/request.js"
import { type RedisServer, skipRedis, startRedisServer } from "../redis/server.js"
import { rawClient, redisLayer, uniquePrefix } from "../redis/util.js"
import { tenantOn } from "./redisFixtures.js"

const none = (): Admission.Pacer => ({ cooldownUntil: -Infinity, paceAt: -Infinity, adaptive: null })
const serverNow = (client: IORedis) =>
  Effect.promise(() => client.time() as Promise<[string | number, string | number]>).pipe(Effect.map(([s, us]) => Number(s) * 1000 + Number(us) / 1000))

const LEVELS = ["u", "o", "a"] as const
const ENTITIES = { u: "user", o: "org", a: "app" } as const

describe.skipIf(skipRedis)("hierarchy script vs the admission core", () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it.live("waits and blocked levels agree on generated trees (fast path and general path)", () =>
    Effect.scoped(Effect.gen(function*() {
      const client = yield* rawClient(server.url)
      const level = fc.record({
        capacity: fc.integer({ min: 1, max: 40 }),
        // Percentages: fast-check's doubles cluster at their bounds, and the interesting cases are between.
        refillFraction: fc.integer({ min: 5, max: 100 }).map((p) => p / 100),
        periodMs: fc.integer({ min: 200, max: 5000 }),
        drainFraction: fc.integer({ min: 0, max: 100 }).map((p) => p / 100),
        costFraction: fc.integer({ min: 1, max: 100 }).map((p) => p / 100)
      })
      const cases = fc.sample(fc.tuple(level, level, level), { numRuns: 40, seed: 11 })
      for (const [i, c] of cases.entries()) {
        const prefix = uniquePrefix(`diff${i}`)
        const { store, tenants } = yield* tenantOn(redisLayer(server.url, prefix), { usage: false })
        const limits = LEVELS.map((name, j) =>
          Limit.custom({
            name,
            capacity: c[j]!.capacity,
            refillAmount: Math.max(0.01, c[j]!.capacity * c[j]!.refillFraction),
            refillPeriod: Duration.millis(c[j]!.periodMs)
          })
        )
        yield* store.put({ kind: "entity", name: "app", settings: { limits: { api: [limits[2]!] } } }, { source: "t" })
        yield* store.put({ kind: "entity", name: "org", settings: { parent: "app", limits: { api: [limits[1]!] } } }, { source: "t" })
        yield* store.put({ kind: "entity", name: "user", settings: { parent: "org", limits: { api: [limits[0]!] } } }, { source: "t" })
        const drain = Object.fromEntries(LEVELS.map((n, j) => [n, c[j]!.capacity * c[j]!.drainFraction]))
        const cost = Object.fromEntries(LEVELS.map((n, j) => [n, c[j]!.capacity * c[j]!.costFraction]))
        const t0 = yield* serverNow(client)
        yield* tenants.acquire({ entity: "user", resource: "api", cost: drain, maxWait: 0 })
        const result = yield* Effect.either(tenants.acquire({ entity: "user", resource: "api", cost, maxWait: 0 }))
        const t1 = yield* serverNow(client)
        // The reference: each level's bucket drained at t0, asked for its cost between t0 and t1.
        const state = (at: number) =>
          LEVELS.map((name, j) => {
            const set = compileSet([limits[j]!]) as LimitSet
            const view = set.specs.map((spec) => Admission.makeKeyBucket(spec, 0))
            Admission.commit({ throttle: false, minIntervalMs: 0 }, none(), view, resolveCost("k", set, { [name]: drain[name]! }) as Request, 0)
            return Admission.waitFor(none(), view, resolveCost("k", set, { [name]: cost[name]! }) as Request, at)
          })
        const latest = state(0)
        const earliest = state(t1 - t0)
        if (Either.isRight(result)) {
          expect(earliest.every((w) => w === 0), `case ${i}`).toBe(true)
          continue
        }
        const error = result.left
        if (error._tag !== "RateLimitExceeded") return expect.fail(`${error._tag}: ${error.message}`)
        expect(Math.max(...latest)).toBeGreaterThan(0)
        const retryMs = Duration.toMillis(error.retryAfter)
        expect(retryMs).toBeGreaterThanOrEqual(Math.floor(Math.max(...earliest)))
        expect(retryMs).toBeLessThanOrEqual(Math.ceil(Math.max(...latest)) + 1)
        const blocked = new Set(error.violations?.map((v) => v.entity))
        LEVELS.forEach((name, j) => {
          if (earliest[j]! > 0) expect(blocked.has(ENTITIES[name]), `case ${i}: ${name} blocked at t1`).toBe(true)
          if (latest[j] === 0) expect(blocked.has(ENTITIES[name]), `case ${i}: ${name} had room at t0`).toBe(false)
        })
        for (const v of error.violations ?? []) expect(v.limit).toBe(LEVELS[Object.values(ENTITIES).indexOf(v.entity as never)])
      }
    })), 60_000)
})
