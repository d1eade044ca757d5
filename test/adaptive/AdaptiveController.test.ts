import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Either, Fiber, Layer, Logger, LogLevel, Ref, TestClock } from "effect"
import * as AdaptiveController from "../../src/adaptive/AdaptiveController.js"
import * as Aimd from "../../src/adaptive/aimd.js"
import * as WindowGate from "../../src/adaptive/windowGate.js"
import { Limit } from "../../src/index.js"
import { layerMemory } from "../../src/limiter/memory.js"
import { RateLimiter } from "../../src/limiter/RateLimiter.js"

const limiter = layerMemory({ limits: [Limit.perSecond("api", 1000)], throttle: false })
const controller = (options: AdaptiveController.Options) =>
  AdaptiveController.layer(options).pipe(Layer.provideMerge(limiter))

describe("AdaptiveController", () => {
  it("validates options with a typed error naming the field", () => {
    const bad = (o: AdaptiveController.Options, field: string) => {
      const r = AdaptiveController.resolveOptions(o)
      expect(Either.isLeft(r) && r.left.field).toBe(field)
    }
    bad({ initialRate: 0 }, "initialRate")
    bad({ initialRate: Number.NaN }, "initialRate")
    bad({ initialRate: 5, minRate: 10, maxRate: 8 }, "minRate")
    bad({ initialRate: 50, maxRate: 10 }, "initialRate")
    bad({ initialRate: 5, decreaseFactor: 1 }, "decreaseFactor")
    bad({ initialRate: 5, backoffStatuses: [429, 42] }, "backoffStatuses")
    bad({ initialRate: 5, recovery: "forever and a day" as Duration.DurationInput }, "recovery")
    bad({ initialRate: 5, burst: 0.5 }, "burst")
    bad({ initialRate: 5, catchUp: "soon" as Duration.DurationInput }, "catchUp")
    // Server-imposed waits are bounded by what the limiter accepts (31 days), and so is the slowest pace.
    bad({ initialRate: 5, maxRetryAfter: "40 days" }, "maxRetryAfter")
    bad({ initialRate: 5, maxQuotaWait: 0 }, "maxQuotaWait")
    bad({ initialRate: 5, maxQuotaWait: "32 days" }, "maxQuotaWait")
    bad({ initialRate: 1e-9 }, "initialRate")
    bad({ initialRate: 5, minRate: 1e-300 }, "minRate")
    expect(Either.isRight(AdaptiveController.resolveOptions({ initialRate: 5 }))).toBe(true)
  })

  it("gives the limiter a burst of 1 + rate x catchUp (default 50 ms: half the smallest bucket servers hold), or the fixed burst asked for", () => {
    const get = (o: AdaptiveController.Options) => Either.getOrThrow(AdaptiveController.resolveOptions(o))
    expect(AdaptiveController.burstFor(get({ initialRate: 5 }), 50)).toBeCloseTo(3.5, 9)
    expect(AdaptiveController.burstFor(get({ initialRate: 5, catchUp: "20 millis" }), 50)).toBeCloseTo(2, 9)
    expect(AdaptiveController.burstFor(get({ initialRate: 5, burst: 3 }), 50)).toBe(3)
  })

  it.effect("applies the configured rate, then the decrease on a 429, to the RateLimiter", () =>
    Effect.gen(function*() {
      const c = yield* AdaptiveController.AdaptiveController
      const rl = yield* RateLimiter
      yield* c.prime("k")
      expect((yield* rl.snapshot("k")).currentRate).toBe(10)
      const s = yield* c.observe("k", { status: 429 })
      // Nothing to fit yet, and the documented rate itself met the wall without a pause, nothing in
      // flight: resume 10% below it (a quarter below after a Retry-After).
      expect(s.currentRate).toBe(9)
      expect(s.lastDecreaseRate).toBe(10)
      expect(s.source).toBe("learned")
      expect((yield* rl.snapshot("k")).currentRate).toBe(9)
    }).pipe(Effect.provide(controller({ initialRate: 10 }))))

  it.effect("primed, the pace lets one request go at once, not its catch-up burst; the first answer applies the burst", () =>
    Effect.gen(function*() {
      const c = yield* AdaptiveController.AdaptiveController
      const rl = yield* RateLimiter
      yield* c.prime("k")
      const at = Effect.zipRight(rl.acquire({ key: "k" }), Effect.clockWith((cl) => cl.currentTimeMillis))
      const first = yield* Effect.forEach([1, 2, 3], () => Effect.fork(at))
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("10 millis")
      // 100 rps: one at once, then one a pace apart (the burst of 6 would have let all three go at 0).
      expect((yield* Effect.forEach(first, Fiber.join)).sort((a, b) => a - b)).toEqual([0, 10, 20])
      yield* c.observe("k", { status: 200, sentAt: 0 })
      yield* TestClock.adjust("1 second")
      const later = yield* Effect.forEach([1, 2, 3], () => Effect.fork(at))
      yield* TestClock.adjust("1 millis")
      // Idle a second, the key's bucket holds its burst again: the three go at once.
      expect((yield* Effect.forEach(later, Fiber.join))).toEqual([1050, 1050, 1050])
    }).pipe(Effect.provide(controller({ initialRate: 100 }))))

  it.effect("Retry-After pauses every fiber sharing the key", () =>
    Effect.gen(function*() {
      const c = yield* AdaptiveController.AdaptiveController
      const rl = yield* RateLimiter
      yield* c.prime("k")
      const s = yield* c.observe("k", { status: 429, headers: { "Retry-After": "3" } })
      expect(s.cooldownUntil).toBe(3000)
      const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.fork(rl.acquire({ key: "k" })))
      yield* TestClock.adjust("2999 millis")
      for (const f of waiters) expect(yield* Fiber.poll(f)).toEqual(expect.objectContaining({ _tag: "None" }))
      yield* TestClock.adjust("2 seconds")
      for (const f of waiters) yield* Fiber.join(f)
    }).pipe(Effect.provide(controller({ initialRate: 10 }))))

  it.effect("after a Retry-After pause the limiter resumes at the new pace, without a burst", () =>
    Effect.gen(function*() {
      const c = yield* AdaptiveController.AdaptiveController
      const rl = yield* RateLimiter
      yield* c.prime("k")
      yield* c.observe("k", { status: 429, headers: { "retry-after": "1" }, sentAt: 0 })
      // 7.5 rps with a catch-up burst of 1.75: during the pause the pace bucket would have filled;
      // instead one request goes at the end of the pause and the next a pace later.
      yield* TestClock.adjust("1 second")
      const times: Array<number> = []
      const fibers = yield* Effect.forEach([1, 2, 3], () =>
        Effect.fork(Effect.zipRight(rl.acquire({ key: "k" }), Effect.clockWith((cl) => cl.currentTimeMillis))))
      for (let i = 0; i < 30; i++) yield* TestClock.adjust("10 millis")
      for (const f of fibers) times.push(yield* Fiber.join(f))
      const sorted = times.sort((a, b) => a - b)
      ;[1000, 1000 + 1000 / 7.5, 1000 + 2000 / 7.5].forEach((t, i) => expect(sorted[i]).toBeCloseTo(t, 3))
    }).pipe(Effect.provide(controller({ initialRate: 10 }))))

  it.effect("HTTP-date Retry-After is honoured too", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2025-01-01T00:00:00Z"))
      const c = yield* AdaptiveController.AdaptiveController
      const s = yield* c.observe("k", { status: 503, headers: { "retry-after": "Wed, 01 Jan 2025 00:00:10 GMT" } })
      expect(s.cooldownUntil).toBe(Date.parse("2025-01-01T00:00:10Z"))
    }).pipe(Effect.provide(controller({ initialRate: 10 }))))

  it.effect("non-backoff statuses do not decrease; custom backoff set is used", () =>
    Effect.gen(function*() {
      const c = yield* AdaptiveController.AdaptiveController
      expect((yield* c.observe("k", { status: 503 })).currentRate).toBe(10)
      expect((yield* c.observe("k", { status: 408, headers: { "retry-after": "1" } })).currentRate).toBe(7.5)
    }).pipe(Effect.provide(controller({ initialRate: 10, backoffStatuses: [408] }))))

  it.effect("paces by RateLimit headers and reports source header", () =>
    Effect.gen(function*() {
      const c = yield* AdaptiveController.AdaptiveController
      const rl = yield* RateLimiter
      const s = yield* c.observe("k", {
        status: 200,
        headers: { "ratelimit-policy": '"d";q=100;w=10', ratelimit: '"d";r=40;t=5' }
      })
      // 100 per 10 s: the sustained rate less one request per window (and at least 1%), whatever
      // remains until nothing does.
      expect(s.currentRate).toBeCloseTo(9.9, 9)
      expect(s.source).toBe("header")
      expect(s.ceiling).toBe(10)
      expect((yield* rl.snapshot("k")).currentRate).toBeCloseTo(9.9, 9)
      const low = yield* c.observe("k", {
        status: 200,
        headers: { "ratelimit-policy": '"d";q=100;w=10', ratelimit: '"d";r=8;t=5' }
      })
      expect(low.currentRate).toBeCloseTo(9.9, 9)
      const z = yield* c.observe("k", { status: 200, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "4" } })
      expect(z.cooldownUntil).toBe(4000)
    }).pipe(Effect.provide(controller({ initialRate: 5 }))))

  it.effect("keeps under a stated window's quota: the window gate pauses the limiter when the next request would find it spent", () =>
    Effect.gen(function*() {
      const c = yield* AdaptiveController.AdaptiveController
      const rl = yield* RateLimiter
      // 10 per second, nearly spent at every answer, one answer every 100 ms, 2 ms away: paced at 10, the
      // whole quota (none on its way: the gate keeps it, `headerPacing.ts`), not 9.
      const answer = (t: number) =>
        c.observe("k", { status: 200, sentAt: t - 2, headers: { "ratelimit-policy": '"d";q=10;w=1', ratelimit: '"d";r=1;t=1' } })
      for (let t = 0; t < 1000; t += 100) {
        yield* TestClock.setTime(t)
        const s = yield* answer(t)
        expect(s.currentRate).toBeCloseTo(10, 9)
        // Less than a window at that pace yet: the gate waits (a slow start's burst is no pattern).
        expect(s.cooldownUntil).toBe(null)
      }
      yield* TestClock.setTime(1000)
      // Ten decided in the last second (at 99, 199, ..., 999): the next request waits for the first
      // to leave the window, arriving half a round trip after it is sent.
      const s = yield* answer(1000)
      expect(s.cooldownUntil).toBe(99 + 1000 - 1)
      expect((yield* rl.snapshot("k")).cooldownUntil).toBe(1098)
      expect(s.currentRate).toBeCloseTo(10, 9)
    }).pipe(Effect.provide(controller({ initialRate: 5 }))))

  it.effect("a hostile server cannot lock the key out: Retry-After is cut to maxRetryAfter, a far reset is logged and ignored, a slow pace floored", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => void logs.push(`${logLevel.label}:${String(message)}`))
      const program = Effect.gen(function*() {
        const c = yield* AdaptiveController.AdaptiveController
        const rl = yield* RateLimiter
        yield* c.prime("k")
        // A day of Retry-After on a 429: the key pauses for maxRetryAfter (30 s), not a day.
        expect((yield* c.observe("k", { status: 429, headers: { "retry-after": "86400" } })).cooldownUntil).toBe(30_000)
        expect((yield* rl.snapshot("k")).cooldownUntil).toBe(30_000)
        yield* TestClock.adjust("31 seconds")
        // Remaining 0 until a reset 31 years away (every family): malformed, logged, no pause at all.
        for (
          const headers of [
            { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "999999999" },
            { ratelimit: '"q";r=0;t=1000000000000' },
            { "ratelimit-remaining": "0", "ratelimit-reset": "7200" }
          ]
        ) {
          expect((yield* c.observe("k", { status: 200, headers })).cooldownUntil).toBeNull()
        }
        expect((yield* rl.snapshot("k")).cooldownUntil).toBeNull()
        // Remaining 1 until that reset would pace at one request per 31 years: ignored the same way.
        const one = yield* c.observe("k", { status: 200, headers: { "x-ratelimit-remaining": "1", "x-ratelimit-reset": "999999999" } })
        expect(one.source).not.toBe("header")
        // A stated policy of one request per 30 days paces at one per maxQuotaWait (1 h) instead.
        const monthly = yield* c.observe("k", { status: 200, headers: { "ratelimit-policy": '"m";q=1;w=2592000' } })
        expect(monthly.source).toBe("header")
        expect(monthly.currentRate).toBeCloseTo(1 / 3600, 12)
        expect((yield* rl.snapshot("k")).currentRate).toBeCloseTo(1 / 3600, 12)
      })
      yield* program.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(LogLevel.Debug))
      const beyond = logs.filter((l) => l.includes("malformed") && l.includes("reset"))
      expect(beyond.map((l) => l.split(":")[0])).toEqual(["WARN", "WARN", "WARN", "DEBUG"])
    }).pipe(Effect.provide(controller({ initialRate: 10, minRate: 1e-6, maxRetryAfter: "30 seconds", maxQuotaWait: "1 hour" }))))

  it.effect("keeps separate state per key and learns upward with time on successes", () =>
    Effect.gen(function*() {
      const c = yield* AdaptiveController.AdaptiveController
      for (let i = 0; i < 50; i++) {
        yield* TestClock.adjust("20 millis")
        yield* c.observe("a", { status: 200 })
      }
      expect((yield* c.snapshot("a")).currentRate).toBeCloseTo(20, 0)
      expect((yield* c.snapshot("b")).currentRate).toBe(10)
      expect((yield* c.snapshot("b")).source).toBe("configured")
    }).pipe(Effect.provide(controller({ initialRate: 10 }))))

  it.effect("logs malformed headers (warning once per header, then debug) and ignores them", () =>
    Effect.gen(function*() {
      const logs = yield* Ref.make<Array<string>>([])
      const logger = Logger.make(({ logLevel, message }) => {
        Effect.runSync(Ref.update(logs, (l) => [...l, `${logLevel.label}:${String(message)}`]))
      })
      const program = Effect.gen(function*() {
        const c = yield* AdaptiveController.AdaptiveController
        yield* c.observe("k", { status: 200, headers: { "x-ratelimit-limit": "many" } })
        yield* c.observe("k", { status: 200, headers: { "x-ratelimit-limit": "many" } })
        return yield* c.snapshot("k")
      })
      const s = yield* program.pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.Debug)
      )
      expect(s.source).toBe("configured")
      const lines = yield* Ref.get(logs)
      expect(lines.filter((l) => l.includes("x-ratelimit-limit")).map((l) => l.split(":")[0])).toEqual(["WARN", "DEBUG"])
    }).pipe(Effect.provide(controller({ initialRate: 10 }))))

  it.effect("a shared state from a clock far ahead, or corrupted, neither kills the controller nor pauses the key past its bounds", () =>
    Effect.gen(function*() {
      const store = yield* AdaptiveController.makeMemoryStore
      const day = 86_400_000
      // Another process's clock 40 days ahead wrote the gate's log; a corrupted value left the pauses
      // infinite or past what the limiter accepts (31 days).
      const gate = { ...WindowGate.make(null, 10, 1000, true)!, log: Array.from({ length: 12 }, (_, i) => 40 * day + i), within: 0 }
      const bad = { ...Aimd.initial(Aimd.defaultConfig(10)), windowGate: gate, gateUntil: Infinity, cooldownUntil: 40 * day }
      yield* store.modify("k", () => [undefined, bad])
      const c = yield* AdaptiveController.makeWithStore({ initialRate: 10, maxRetryAfter: "30 seconds", maxQuotaWait: "1 hour" }, store)
      const rl = yield* RateLimiter
      yield* c.prime("k")
      // The longest pause the controller sets itself: maxQuotaWait.
      expect((yield* rl.snapshot("k")).cooldownUntil).toBe(3_600_000)
      yield* TestClock.setTime(3_600_000)
      // At an answer the log's entries count as decided now: the gate pauses a window at most.
      yield* c.observe("k", { status: 200, sentAt: 3_600_000 - 2 })
      expect((yield* rl.snapshot("k")).cooldownUntil ?? 0).toBeLessThanOrEqual(3_601_000)
      // The stored pauses are cut to what the controller could have set, learning is not held 40 days.
      const stored = (yield* store.get("k"))!
      expect(stored.cooldownUntil).toBeLessThanOrEqual(2 * 3_600_000)
      expect(stored.gateUntil).toBeLessThanOrEqual(3_601_000)
    }).pipe(Effect.provide(limiter)))

  it.effect("paces the limiter under a window gate's pace in force, never under a corrupted one", () =>
    Effect.gen(function*() {
      const rl = yield* RateLimiter
      for (const [pace, expected] of [[8, 8], [0.001, 10], [null, 10]] as const) {
        const store = yield* AdaptiveController.makeMemoryStore
        const gate = { ...WindowGate.make(null, 10, 1000, true)!, within: 0, rttMs: 100, pace }
        yield* store.modify(`k${pace}`, () => [undefined, { ...Aimd.initial(Aimd.defaultConfig(10)), windowGate: gate }])
        const c = yield* AdaptiveController.makeWithStore({ initialRate: 10 }, store)
        yield* c.prime(`k${pace}`)
        expect((yield* rl.snapshot(`k${pace}`)).currentRate).toBeCloseTo(expected, 9)
        // The learned rate stays what it is: the gate's pace only holds the limiter below it.
        expect((yield* c.snapshot(`k${pace}`)).currentRate).toBe(10)
      }
    }).pipe(Effect.provide(limiter)))

  it.effect("shares state through a custom store (two controllers, one store)", () =>
    Effect.gen(function*() {
      const store = yield* AdaptiveController.makeMemoryStore
      const a = yield* AdaptiveController.makeWithStore({ initialRate: 10 }, store)
      const b = yield* AdaptiveController.makeWithStore({ initialRate: 10 }, store)
      yield* a.observe("k", { status: 429 })
      expect((yield* b.snapshot("k")).currentRate).toBe(9)
      yield* TestClock.adjust(Duration.seconds(1))
      yield* b.observe("k", { status: 429 })
      expect((yield* a.snapshot("k")).decreases).toBe(2)
    }).pipe(Effect.provide(limiter)))

  it.effect("on the plateau a request waits while the key's in-flight cap is full; the pace pauses once the oldest answer is late; never past maxRetryAfter", () =>
    Effect.gen(function*() {
      const store = yield* AdaptiveController.makeMemoryStore
      // Steady at 50 per second, 10 ms round trip, a limiter burst of 1: a cap of 2 x 50 x 0.01 + 2 = 3.
      yield* store.modify("k", () => [undefined, { ...Aimd.initial(Aimd.defaultConfig(50)), phase: "steady", rate: 50, rttMs: 10 }])
      const c = yield* AdaptiveController.makeWithStore({ initialRate: 50, maxRetryAfter: "1 second", burst: 1 }, store)
      const rl = yield* RateLimiter
      const answers = yield* Effect.forEach([1, 2, 3], () => Deferred.make<void>())
      const held = yield* Effect.forEach(answers, (d) => Effect.fork(c.inFlight("k", Deferred.await(d))))
      yield* TestClock.adjust("1 millis")
      const sent = yield* Ref.make(0)
      const fourth = yield* Effect.fork(c.inFlight("k", Ref.update(sent, (n) => n + 1)))
      yield* TestClock.adjust("20 millis")
      expect(yield* Ref.get(sent)).toBe(0)
      // Answers due in 10 ms and not late yet (by more than the round trip and 20 ms): no pause.
      expect((yield* rl.snapshot("k")).cooldownUntil).toBeNull()
      yield* TestClock.adjust("20 millis")
      expect((yield* rl.snapshot("k")).cooldownUntil).toBeGreaterThan(41)
      // An answer comes: the fourth goes at its next look, a slot later at most.
      yield* Deferred.succeed(answers[0]!, undefined)
      yield* Fiber.join(held[0]!)
      yield* TestClock.adjust("20 millis")
      yield* Fiber.join(fourth)
      expect(yield* Ref.get(sent)).toBe(1)
      // A failed send leaves the count too: with two answers missing, two more go at once.
      yield* Effect.exit(c.inFlight("k", Effect.fail("boom")))
      yield* c.inFlight("k", Effect.void)
      // Answers that never come hold the cap no longer than maxRetryAfter.
      const late = yield* Effect.forEach([1, 2], () => Effect.fork(c.inFlight("k", Effect.never)))
      yield* TestClock.adjust("1 millis")
      const waiting = yield* Effect.fork(c.inFlight("k", Ref.update(sent, (n) => n + 1)))
      yield* TestClock.adjust("999 millis")
      expect(yield* Ref.get(sent)).toBe(1)
      yield* TestClock.adjust("20 millis")
      yield* Fiber.join(waiting)
      expect(yield* Ref.get(sent)).toBe(2)
      yield* Effect.forEach([...late, held[1]!, held[2]!], Fiber.interrupt)
    }).pipe(Effect.provide(limiter)))

  it.effect("a request waiting at the in-flight cap can be interrupted, and off the plateau nothing waits", () =>
    Effect.gen(function*() {
      const store = yield* AdaptiveController.makeMemoryStore
      yield* store.modify("k", () => [undefined, { ...Aimd.initial(Aimd.defaultConfig(50)), phase: "steady", rate: 50, rttMs: 0 }])
      const c = yield* AdaptiveController.makeWithStore({ initialRate: 50, burst: 2 }, store)
      // Cap 2 (the limiter's burst; the round trip's share is 2 too): two requests never answered, a
      // third waits and is interrupted (its deadline).
      const never = yield* Effect.forEach([1, 2], () => Effect.fork(c.inFlight("k", Effect.never)))
      yield* TestClock.adjust("1 millis")
      const third = yield* Effect.fork(c.inFlight("k", Effect.void))
      yield* TestClock.adjust("100 millis")
      yield* Fiber.interrupt(third)
      yield* Effect.forEach(never, Fiber.interrupt)
      // Both interrupted sends left the count: two go at once again.
      const two = yield* Effect.forEach([1, 2], () => Effect.fork(c.inFlight("k", Effect.never)))
      yield* TestClock.adjust("1 millis")
      const ok = yield* Ref.make(false)
      const fiber = yield* Effect.fork(c.inFlight("k", Ref.set(ok, true)))
      yield* TestClock.adjust("1 millis")
      expect(yield* Ref.get(ok)).toBe(false)
      yield* Effect.forEach(two, Fiber.interrupt)
      yield* TestClock.adjust("30 millis")
      yield* Fiber.join(fiber)
      expect(yield* Ref.get(ok)).toBe(true)
      // A slow start has no cap: many unanswered, the next still goes.
      const fresh = yield* AdaptiveController.make({ initialRate: 50 })
      const many = yield* Effect.forEach([1, 2, 3, 4, 5], () => Effect.fork(fresh.inFlight("k", Effect.never)))
      yield* fresh.inFlight("k", Effect.void)
      yield* Effect.forEach(many, Fiber.interrupt)
    }).pipe(Effect.provide(limiter)))
})
