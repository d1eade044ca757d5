/**
 * Waiting without polling (reservations) and batched tokens (`localBatch`) on a real redis-server.
 * "Clients" are separate limiter instances, each with its own connection: what is checked is what
 * the server decides, the same whether they share a process or not (test/redis/workers.test.ts runs
 * real processes).
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Scope } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as Limit from "../../src/limiter/Limit.js"
import type { RateLimiterShape } from "../../src/limiter/RateLimiter.js"
import { type RedisServer, skipRedis, startRedisServer } from "./server.js"
import { limiterOn, maxOvershoot, rawClient, scriptCalls, uniquePrefix } from "./util.js"

/** Acquire on `key` until `deadline`, recording admission times; a fiber stops once refused. */
const hammer = (rl: RateLimiterShape, key: string, deadline: number, into: Array<number>): Effect.Effect<void> =>
  Effect.suspend(() =>
    Date.now() >= deadline
      ? Effect.void
      : rl.acquire({ key, maxWait: Duration.millis(Math.max(0, deadline - Date.now())) }).pipe(
        Effect.flatMap(() => {
          into.push(Date.now())
          return hammer(rl, key, deadline, into)
        }),
        Effect.catchTag("RateLimitExceeded", () => Effect.void),
        Effect.orDie
      )
  )

describe.skipIf(skipRedis)("reservations and batched tokens on a real redis-server", () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  const tokens = (rl: RateLimiterShape, key: string) => Effect.map(rl.snapshot(key), (s) => s.limits[0]!.tokens)

  it.live("8 clients contending on one key: no window over the limit, about one script call per admission", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("k8")
      const capacity = 5
      const rate = 20 / 1000
      const limit = Limit.custom({ name: "shared", capacity, refillAmount: 5, refillPeriod: "250 millis" })
      const clients = yield* Effect.forEach(Array.from({ length: 8 }), () => limiterOn(server.url, prefix, { limits: [limit], throttle: false }))
      yield* Effect.forEach(clients, (rl) => rl.snapshot("api"))
      const raw = yield* rawClient(server.url)
      yield* Effect.promise(() => raw.config("RESETSTAT"))
      const perClient = clients.map((): Array<number> => [])
      const start = Date.now()
      yield* Effect.all(
        clients.flatMap((rl, i) => [0, 1].map(() => hammer(rl, "api", start + 1500, perClient[i]!))),
        { concurrency: "unbounded", discard: true }
      )
      const calls = yield* Effect.promise(() => scriptCalls(raw))
      const times = perClient.flat().sort((a, b) => a - b)
      // Over every window: at most capacity + rate × width (100 ms for timers firing late).
      expect(maxOvershoot(times, capacity, rate, 100)).toBe(0)
      const allowed = capacity + rate * (times[times.length - 1]! - start)
      expect(times.length).toBeLessThanOrEqual(Math.floor(allowed))
      expect(times.length).toBeGreaterThan(0.7 * allowed)
      expect(perClient.filter((t) => t.length > 0).length).toBeGreaterThanOrEqual(6)
      // A waiting fiber books its slot and sleeps once (polling took 30 calls per admission here).
      expect(calls / times.length).toBeLessThanOrEqual(2)
    })), 30_000)

  it.live("a fiber interrupted while it sleeps on its reservation gives the slot back; one refused past maxWait takes nothing", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("refund")
      // One token per 30 s: what refills during the test is negligible.
      const limit = Limit.custom({ name: "slow", capacity: 2, refillAmount: 2, refillPeriod: "60 seconds" })
      const rl = yield* limiterOn(server.url, prefix, { limits: [limit], throttle: false })
      const other = yield* limiterOn(server.url, prefix, { limits: [limit], throttle: false })
      yield* rl.acquire({ key: "k", cost: 2 })
      const refused = yield* Effect.flip(rl.acquire({ key: "k", maxWait: "100 millis" }))
      if (refused._tag !== "RateLimitExceeded") return expect.fail(refused._tag)
      expect(Duration.toMillis(refused.retryAfter)).toBeGreaterThan(25_000)
      expect(yield* tokens(other, "k")).toBeCloseTo(0, 1)
      // Booked: the bucket goes into debt at once, the fiber sleeps.
      const waiter = yield* Effect.fork(rl.acquire({ key: "k", maxWait: "1 minute" }))
      yield* Effect.sleep("100 millis")
      expect(yield* tokens(other, "k")).toBeCloseTo(-1, 1)
      expect((yield* rl.snapshot("k")).waiters).toBe(1)
      yield* Fiber.interrupt(waiter)
      expect(yield* tokens(other, "k")).toBeCloseTo(0, 1)
      expect((yield* rl.snapshot("k")).waiters).toBe(0)
      expect((yield* rl.stats).acquired).toBe(1)
    })))

  it.live("a booked fiber starts when its slot comes, after one round trip", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("booked")
      const limit = Limit.custom({ name: "r", capacity: 1, refillAmount: 1, refillPeriod: "200 millis" })
      const rl = yield* limiterOn(server.url, prefix, { limits: [limit], throttle: false })
      const raw = yield* rawClient(server.url)
      yield* rl.acquire({ key: "k" })
      yield* Effect.promise(() => raw.config("RESETSTAT"))
      const permits = yield* Effect.all([rl.acquire({ key: "k" }), rl.acquire({ key: "k" })], { concurrency: "unbounded" })
      const waited = permits.map((p) => Duration.toMillis(p.waited)).sort((a, b) => a - b)
      // One slot every 200 ms, served in the order booked.
      expect(waited[0]).toBeGreaterThan(150)
      expect(waited[1]).toBeGreaterThan(350)
      expect(yield* Effect.promise(() => scriptCalls(raw))).toBe(2)
    })))

  it.live("a wait into the next fixed window is not booked: the caller sleeps until the window opens and asks again", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("window")
      const limit = Limit.custom({ name: "w", capacity: 2, refillAmount: 2, refillPeriod: "1 second", window: { type: "fixed" } })
      const rl = yield* limiterOn(server.url, prefix, { limits: [limit], throttle: false })
      yield* rl.acquire({ key: "k", cost: 2 })
      const permit = yield* rl.acquire({ key: "k", maxWait: "2 seconds" })
      expect(Duration.toMillis(permit.waited)).toBeLessThanOrEqual(1050)
      // Taken from the new window's capacity, no debt carried over from the old one.
      expect(yield* tokens(rl, "k")).toBeCloseTo(1, 6)
    })))

  it.live("localBatch: one round trip takes up to n, handed out locally; unused tokens go back when idle and on close", () =>
    Effect.gen(function*() {
      const prefix = uniquePrefix("batch")
      const limit = Limit.perHour("hourly", 100)
      const scope = yield* Scope.make()
      const batched = yield* limiterOn(server.url, prefix, {
        limits: [limit],
        throttle: false,
        localBatch: 10,
        localBatchTtl: "200 millis"
      }).pipe(Scope.extend(scope))
      const other = yield* limiterOn(server.url, prefix, { limits: [limit], throttle: false }).pipe(Scope.extend(scope))
      const raw = yield* rawClient(server.url).pipe(Scope.extend(scope))
      yield* batched.snapshot("k")
      yield* Effect.promise(() => raw.config("RESETSTAT"))
      for (let i = 0; i < 3; i++) yield* batched.acquire({ key: "k" })
      expect(yield* Effect.promise(() => scriptCalls(raw))).toBe(1)
      expect(yield* tokens(other, "k")).toBeCloseTo(90, 2)
      expect((yield* batched.stats).acquired).toBe(3)
      // Idle for the TTL: the 7 left go back.
      yield* Effect.sleep("600 millis")
      expect(yield* tokens(other, "k")).toBeCloseTo(97, 1)
      for (let i = 0; i < 2; i++) yield* batched.acquire({ key: "k" })
      expect(yield* tokens(other, "k")).toBeCloseTo(87, 1)
      // This process's cooldown gives its pocket back and holds its next request.
      yield* batched.cooldown("k", "200 millis")
      expect(yield* tokens(other, "k")).toBeCloseTo(95, 1)
      const held = yield* Effect.flip(batched.tryAcquire({ key: "k" }))
      if (held._tag !== "RateLimitExceeded") return expect.fail(held._tag)
      expect(held.limits).toEqual(["cooldown"])
      yield* Effect.sleep("250 millis")
      yield* batched.acquire({ key: "k" })
      expect(yield* tokens(other, "k")).toBeCloseTo(85, 1)
      // Closing the limiter gives the rest back.
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.scoped(Effect.flatMap(limiterOn(server.url, prefix, { limits: [limit] }), (rl) => tokens(rl, "k")))
      expect(after).toBeCloseTo(94, 1)
    }), 20_000)

  it.live("localBatch with several clients: within clients × (n - 1) of the limit over any window, fewer round trips than admissions", () =>
    Effect.scoped(Effect.gen(function*() {
      const prefix = uniquePrefix("batch-k")
      const capacity = 20
      const rate = 20 / 1000
      const n = 5
      const limit = Limit.custom({ name: "shared", capacity, refillAmount: 10, refillPeriod: "500 millis" })
      const clients = yield* Effect.forEach(
        Array.from({ length: 4 }),
        () => limiterOn(server.url, prefix, { limits: [limit], throttle: false, localBatch: n })
      )
      yield* Effect.forEach(clients, (rl) => rl.snapshot("api"))
      const raw = yield* rawClient(server.url)
      yield* Effect.promise(() => raw.config("RESETSTAT"))
      const times: Array<number> = []
      const start = Date.now()
      yield* Effect.all(clients.flatMap((rl) => [0, 1, 2].map(() => hammer(rl, "api", start + 1500, times))), {
        concurrency: "unbounded",
        discard: true
      })
      const calls = yield* Effect.promise(() => scriptCalls(raw))
      times.sort((a, b) => a - b)
      // Never more than the shared bucket gave out since the start…
      expect(times.length).toBeLessThanOrEqual(Math.floor(capacity + rate * (times[times.length - 1]! - start)))
      // …and over any window at most what the pockets held beyond it.
      expect(maxOvershoot(times, capacity, rate, 100)).toBeLessThanOrEqual(clients.length * (n - 1))
      expect(calls).toBeLessThan(times.length)
    })), 30_000)

  it.live("localBatch, localBatchTtl and throttle.threshold are checked: an InvalidRateLimiterOptions naming the field", () =>
    Effect.scoped(Effect.gen(function*() {
      const limits = [Limit.perSecond("rps", 10)]
      const bad = [
        [{ localBatch: 0 }, "localBatch"],
        [{ localBatch: 2.5 }, "localBatch"],
        [{ localBatch: 10_001 }, "localBatch"],
        [{ localBatch: "5" }, "localBatch"],
        [{ localBatchTtl: "0 millis" }, "localBatchTtl"],
        [{ localBatchTtl: "2 hours" }, "localBatchTtl"],
        [{ localBatchTtl: "soon" }, "localBatchTtl"],
        [{ throttle: { threshold: 1.5 } }, "throttle.threshold"]
      ] as const
      for (const [options, field] of bad) {
        const error = yield* Effect.flip(limiterOn(server.url, uniquePrefix("bad"), { limits, ...(options as object) }))
        expect(error, JSON.stringify(options)).toMatchObject({ _tag: "InvalidRateLimiterOptions", field })
      }
    })))
})
