import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Option, Ref, Scope, TestClock } from "effect"
import { Limit } from "../../src/index.js"
import type { MemoryOptions, RateLimiterShape } from "../../src/RateLimiter.js"
import { makeMemory, MAX_PACING_MS, MIN_PACING_RATE, RateLimiter } from "../../src/RateLimiter.js"
import { layerMemory } from "../../src/limiter/memory.js"

const make = (options: MemoryOptions) => Effect.orDie(makeMemory(options))

/** Let forked fibers run up to their first suspension. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

const now = Effect.map(TestClock.currentTimeMillis, Number)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  return Option.getOrThrow(Cause.failureOption(exit.cause))
}

const tokensOf = (limiter: RateLimiterShape, key: string, name: string) =>
  Effect.map(limiter.snapshot(key), (s) => s.limits.find((l) => l.name === name)!.tokens)

describe("memory RateLimiter", () => {
  it.effect("waits for room and is admitted at the exact instant", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perSecond("rps", 2)], throttle: false })
      yield* limiter.acquire()
      yield* limiter.acquire()
      const fiber = yield* Effect.fork(limiter.acquire())
      yield* settle
      yield* TestClock.adjust("499 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      expect((yield* limiter.snapshot()).waiters).toBe(1)
      yield* TestClock.adjust("1 millis")
      const permit = yield* Fiber.join(fiber)
      expect(Duration.toMillis(permit.waited)).toBe(500)
      expect(permit.costs).toEqual({ rps: 1 })
      const stats = yield* limiter.stats
      expect(stats).toMatchObject({ acquired: 3, waited: 1, totalWaitMs: 500, rejected: 0, keys: 1 })
    }))

  it.effect("serves waiters first-in first-out: a cheap request does not overtake a costly one", () =>
    Effect.gen(function*() {
      const limiter = yield* make({
        limits: [Limit.custom({ name: "bucket", capacity: 10, refillAmount: 1, refillPeriod: "100 millis" })],
        throttle: false
      })
      yield* limiter.acquire({ cost: 10 })
      const order = yield* Ref.make<Array<[string, number]>>([])
      const run = (name: string, cost: number) =>
        Effect.fork(
          Effect.flatMap(limiter.acquire({ cost }), () =>
            Effect.flatMap(now, (t) => Ref.update(order, (o) => [...o, [name, t] as [string, number]])))
        )
      const a = yield* run("costly", 5)
      yield* settle
      const b = yield* run("cheap-1", 1)
      yield* settle
      const c = yield* run("cheap-2", 1)
      yield* settle
      yield* TestClock.adjust("100 millis") // one token: enough for cheap-1, but costly is first
      expect(yield* Ref.get(order)).toEqual([])
      yield* TestClock.adjust("400 millis")
      yield* TestClock.adjust("100 millis")
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(Fiber.zip(Fiber.zip(a, b), c))
      expect(yield* Ref.get(order)).toEqual([["costly", 500], ["cheap-1", 600], ["cheap-2", 700]])
    }))

  it.effect("consumes from every limit or from none", () =>
    Effect.gen(function*() {
      const limiter = yield* make({
        limits: [Limit.perMinute("a", 5), Limit.perMinute("b", 10)],
        throttle: false
      })
      yield* limiter.consume({ a: 5, b: 5 })
      const exit = yield* Effect.exit(limiter.tryAcquire())
      const error = failureOf(exit)
      expect(error._tag).toBe("RateLimitExceeded")
      if (error._tag === "RateLimitExceeded") expect(error.limits).toEqual(["a"])
      expect(yield* tokensOf(limiter, "default", "b")).toBe(5)
      expect(yield* tokensOf(limiter, "default", "a")).toBe(0)
    }))

  it.effect("takes per-limit cost maps and rejects bad costs with typed errors", () =>
    Effect.gen(function*() {
      const limiter = yield* make({
        limits: [Limit.perMinute("rpm", 60), Limit.perMinute("tpm", 10_000)],
        throttle: false
      })
      const permit = yield* limiter.consume({ rpm: 1, tpm: 500 })
      expect(permit.costs).toEqual({ rpm: 1, tpm: 500 })
      expect(yield* tokensOf(limiter, "default", "rpm")).toBe(59)
      expect(yield* tokensOf(limiter, "default", "tpm")).toBe(9500)
      // A limit missing from the map costs nothing.
      yield* limiter.consume({ tpm: 100 })
      expect(yield* tokensOf(limiter, "default", "rpm")).toBe(59)

      const unknown = failureOf(yield* Effect.exit(limiter.consume({ rpm: 1, images: 3 })))
      expect(unknown._tag).toBe("InvalidCost")
      expect(unknown.message).toContain("images")
      expect(failureOf(yield* Effect.exit(limiter.acquire({ cost: -1 })))._tag).toBe("InvalidCost")
      expect(failureOf(yield* Effect.exit(limiter.acquire({ cost: Number.NaN })))._tag).toBe("InvalidCost")
      expect(failureOf(yield* Effect.exit(limiter.consume({ tpm: Number.POSITIVE_INFINITY })))._tag).toBe(
        "InvalidCost"
      )
      const tooBig = failureOf(yield* Effect.exit(limiter.consume({ tpm: 10_001 })))
      expect(tooBig).toMatchObject({ _tag: "CostExceedsCapacity", limit: "tpm", cost: 10_001, capacity: 10_000 })
      // Nothing was taken by the failed calls.
      expect(yield* tokensOf(limiter, "default", "tpm")).toBe(9400)
    }))

  it.effect("fails fast with RateLimitExceeded carrying retryAfter (tryAcquire, maxWait, behind a queue)", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perSecond("rps", 10)], throttle: false })
      yield* limiter.acquire({ cost: 10 })
      const tried = failureOf(yield* Effect.exit(limiter.tryAcquire()))
      expect(tried).toMatchObject({ _tag: "RateLimitExceeded", key: "default", limits: ["rps"], cost: 1 })
      if (tried._tag === "RateLimitExceeded") expect(Duration.toMillis(tried.retryAfter)).toBeCloseTo(100, 6)
      const short = failureOf(yield* Effect.exit(limiter.acquire({ maxWait: "50 millis" })))
      if (short._tag !== "RateLimitExceeded") throw new Error("expected RateLimitExceeded")
      expect(Duration.toMillis(short.retryAfter)).toBeCloseTo(100, 6)

      // A waiter whose maxWait covers its wait (3 tokens: 300 ms) is queued...
      const waiter = yield* Effect.fork(limiter.acquire({ maxWait: "300 millis", cost: 3 }))
      yield* settle
      expect((yield* limiter.snapshot()).waiters).toBe(1)
      // ...and a later caller's retryAfter counts the queue ahead of it: 300 ms for the waiter, +100 ms.
      const behind = failureOf(yield* Effect.exit(limiter.tryAcquire()))
      if (behind._tag !== "RateLimitExceeded") throw new Error("expected RateLimitExceeded")
      expect(Duration.toMillis(behind.retryAfter)).toBeCloseTo(400, 6)
      // One whose maxWait is too short for its own cost is refused at once, not queued.
      const tooLong = failureOf(yield* Effect.exit(limiter.acquire({ maxWait: "350 millis", cost: 2 })))
      if (tooLong._tag !== "RateLimitExceeded") throw new Error("expected RateLimitExceeded")
      expect(Duration.toMillis(tooLong.retryAfter)).toBeCloseTo(500, 6)
      expect(tooLong.cost).toBe(2)
      expect((yield* limiter.stats).rejected).toBe(4)
      yield* TestClock.adjust("300 millis")
      const permit = yield* Fiber.join(waiter)
      expect(Duration.toMillis(permit.waited)).toBe(300)
    }))

  it.effect("a maxWait of -1, NaN or \"-5 seconds\" is an InvalidCost naming maxWait, not a silent 0, even with room", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perSecond("rps", 10)], throttle: false })
      for (const maxWait of [-1, Number.NaN, "-5 seconds", "soon", -Infinity]) {
        const error = yield* Effect.flip(limiter.acquire({ maxWait: maxWait as Duration.DurationInput }))
        expect(error._tag, String(maxWait)).toBe("InvalidCost")
        expect(error.message).toMatch(/maxWait must be a duration >= 0/)
      }
      // Nothing was consumed by the refused calls; valid forms still work.
      expect(yield* tokensOf(limiter, "default", "rps")).toBe(10)
      yield* limiter.acquire({ maxWait: 0 })
      yield* limiter.acquire({ maxWait: Infinity })
      yield* limiter.acquire({ maxWait: Duration.seconds(1) })
      const lease = yield* Effect.flip(Effect.scoped(limiter.lease({ maxWait: -1 })))
      expect(lease._tag).toBe("InvalidCost")
    }))

  it.effect("maxWait admits when the wait fits", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perSecond("rps", 10)], throttle: false })
      yield* limiter.acquire({ cost: 10 })
      const fiber = yield* Effect.fork(limiter.acquire({ maxWait: "100 millis" }))
      yield* settle
      yield* TestClock.adjust("100 millis")
      const permit = yield* Fiber.join(fiber)
      expect(Duration.toMillis(permit.waited)).toBe(100)
    }))

  it.effect("leases: adjust up into debt, adjust down refunds, refundOnFailure gives capacity back", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perMinute("tpm", 1000)], throttle: false })
      yield* Effect.scoped(
        Effect.gen(function*() {
          const lease = yield* limiter.lease({ cost: 400 })
          expect(yield* tokensOf(limiter, "default", "tpm")).toBe(600)
          yield* lease.adjust(1500) // used more than the whole capacity: debt
          expect(yield* tokensOf(limiter, "default", "tpm")).toBe(-500)
          expect(yield* lease.current).toEqual({ tpm: 1500 })
          yield* lease.adjust(1200) // corrected down: 300 back
          expect(yield* tokensOf(limiter, "default", "tpm")).toBe(-200)
        })
      )
      // Debt is waited out: 1 token needs 201 tokens of refill = 12.06 s at 1000/min.
      const fiber = yield* Effect.fork(limiter.acquire())
      yield* settle
      yield* TestClock.adjust("12059 millis")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)

      // refundOnFailure: the work failed, the quota comes back.
      const other = { key: "k2" }
      const failed = yield* Effect.exit(
        Effect.scoped(
          Effect.flatMap(limiter.lease({ ...other, cost: 300, refundOnFailure: true }), () => Effect.fail("boom"))
        )
      )
      expect(Exit.isFailure(failed)).toBe(true)
      expect(yield* tokensOf(limiter, "k2", "tpm")).toBe(1000)
      // Without it, a failed call still spent quota.
      yield* Effect.exit(
        Effect.scoped(Effect.flatMap(limiter.lease({ ...other, cost: 300 }), () => Effect.fail("boom")))
      )
      expect(yield* tokensOf(limiter, "k2", "tpm")).toBe(700)
      // A successful scope keeps the charge even with refundOnFailure.
      yield* Effect.scoped(limiter.lease({ ...other, cost: 100, refundOnFailure: true }))
      expect(yield* tokensOf(limiter, "k2", "tpm")).toBe(600)
    }))

  it.effect("a refund wakes the head waiter early", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perMinute("tpm", 600)], throttle: false })
      const scope = yield* Scope.make()
      const lease = yield* Scope.extend(limiter.lease({ cost: 600 }), scope)
      const fiber = yield* Effect.fork(limiter.acquire({ cost: 100 }))
      yield* settle
      yield* TestClock.adjust("1 second")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* lease.adjust(200)
      yield* settle
      const permit = yield* Fiber.join(fiber)
      expect(Duration.toMillis(permit.waited)).toBe(1000)
      yield* Scope.close(scope, Exit.void)
    }))

  it.effect("cooldown pauses every caller of the key and only ever extends", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perSecond("rps", 100)], throttle: false })
      yield* limiter.cooldown("api", "1 second")
      yield* limiter.cooldown("api", "200 millis") // shorter: ignored
      expect((yield* limiter.snapshot("api")).cooldownUntil).toBe(1000)
      const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.fork(limiter.acquire({ key: "api" })))
      const elsewhere = yield* limiter.tryAcquire({ key: "other" }) // other keys are not paused
      expect(elsewhere.key).toBe("other")
      yield* settle
      yield* TestClock.adjust("999 millis")
      for (const f of fibers) expect(Option.isNone(yield* Fiber.poll(f))).toBe(true)
      yield* TestClock.adjust("1 millis")
      const permits = yield* Fiber.join(Fiber.all(fibers))
      expect(permits.map((p) => Duration.toMillis(p.waited))).toEqual([1000, 1000, 1000])
      expect((yield* limiter.snapshot("api")).cooldownUntil).toBe(null)
      const bad = failureOf(yield* Effect.exit(limiter.cooldown("api", "soon" as Duration.DurationInput)))
      expect(bad._tag).toBe("InvalidPacing")
    }))

  it.effect("no caller can pause a key for good: a cooldown beyond 31 days or infinite, or a rate slower than one per 31 days, is refused", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perSecond("rps", 100)], throttle: false })
      // 1.8e302 ms: too long for Effect's formatter (its nanoseconds overflow), still a typed refusal.
      for (const d of [Duration.infinity, Duration.days(32), "1000000000 seconds", 1.8e302] as const) {
        expect(failureOf(yield* Effect.exit(limiter.cooldown("api", d)))._tag).toBe("InvalidPacing")
      }
      expect(failureOf(yield* Effect.exit(limiter.setRate("api", 1 / (32 * 86_400))))._tag).toBe("InvalidPacing")
      expect(failureOf(yield* Effect.exit(limiter.setRate("api", 1e-300)))._tag).toBe("InvalidPacing")
      // Nothing refused took effect; the longest accepted ones do.
      expect(yield* limiter.snapshot("api")).toMatchObject({ cooldownUntil: null, rateSource: "configured" })
      yield* limiter.setRate("api", MIN_PACING_RATE)
      yield* limiter.cooldown("api", Duration.millis(MAX_PACING_MS))
      expect(yield* limiter.snapshot("api")).toMatchObject({ cooldownUntil: MAX_PACING_MS, rateSource: "adaptive" })
    }))

  it.effect("setRate paces a key at the adaptive rate and reports it in the snapshot", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perSecond("rps", 100)], throttle: false })
      yield* limiter.setRate("api", 2)
      const snap = yield* limiter.snapshot("api")
      expect(snap).toMatchObject({ currentRate: 2, rateSource: "adaptive" })
      const times = yield* Ref.make<Array<number>>([])
      const fiber = yield* Effect.fork(
        Effect.repeatN(Effect.zipRight(limiter.acquire({ key: "api" }), Effect.flatMap(now, (t) => Ref.update(times, (a) => [...a, t]))), 3)
      )
      yield* settle
      for (let i = 0; i < 4; i++) yield* TestClock.adjust("500 millis")
      yield* Fiber.join(fiber)
      expect(yield* Ref.get(times)).toEqual([0, 500, 1000, 1500])
      // Raising the rate with a burst lets a few through back to back.
      yield* TestClock.adjust("10 seconds")
      // Changing the rate keeps the tokens the pacing bucket had (here 1): no free burst on a change.
      yield* limiter.setRate("api", 10, { burst: 3 })
      yield* limiter.tryAcquire({ key: "api" })
      expect(failureOf(yield* Effect.exit(limiter.tryAcquire({ key: "api" })))).toMatchObject({ limits: ["adaptive"] })
      yield* TestClock.adjust("300 millis")
      for (let i = 0; i < 3; i++) yield* limiter.tryAcquire({ key: "api" })
      expect(failureOf(yield* Effect.exit(limiter.tryAcquire({ key: "api" })))._tag).toBe("RateLimitExceeded")
      // An adaptive pace above a configured limit: while the limit's bucket has tokens the pace is what
      // is enforced; once the bucket is empty, the limit is.
      yield* limiter.setRate("api", 250, { burst: 1000 })
      yield* TestClock.adjust("5 seconds") // fill both buckets (a rate change gives no free tokens)
      expect(yield* limiter.snapshot("api")).toMatchObject({ currentRate: 250, rateSource: "adaptive" })
      for (let i = 0; i < 100; i++) yield* limiter.tryAcquire({ key: "api" })
      expect(yield* limiter.snapshot("api")).toMatchObject({ currentRate: 100, rateSource: "configured" })
      yield* limiter.setRate("api", null)
      expect(yield* limiter.snapshot("api")).toMatchObject({ currentRate: 100, rateSource: "configured" })
      expect(failureOf(yield* Effect.exit(limiter.setRate("api", 0)))._tag).toBe("InvalidPacing")
      expect(failureOf(yield* Effect.exit(limiter.setRate("api", 5, { burst: 0.5 })))._tag).toBe("InvalidPacing")
    }))

  it.effect("throttling spreads the tail of a fixed window instead of bursting into the wall", () =>
    Effect.gen(function*() {
      const limiter = yield* make({
        limits: [Limit.perMinute("rpm", 10, { window: { type: "fixed" } })],
        throttle: { threshold: 0.8 }
      })
      const times = yield* Ref.make<Array<number>>([])
      const fiber = yield* Effect.fork(
        Effect.repeatN(Effect.zipRight(limiter.acquire(), Effect.flatMap(now, (t) => Ref.update(times, (a) => [...a, t]))), 10)
      )
      yield* settle
      for (let i = 0; i < 4; i++) yield* TestClock.adjust("15 seconds")
      yield* Fiber.join(fiber)
      // 8 at once (80 %), then the 2 left spread over the rest of the minute, then the next window.
      expect(yield* Ref.get(times)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 30_000, 60_000])
    }))

  it.effect("throttling of a rolling limit glides down to the sustained rate", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perSecond("rps", 10)] })
      const times = yield* Ref.make<Array<number>>([])
      const fiber = yield* Effect.fork(
        Effect.repeatN(Effect.zipRight(limiter.acquire(), Effect.flatMap(now, (t) => Ref.update(times, (a) => [...a, t]))), 29)
      )
      yield* settle
      yield* TestClock.adjust("4 seconds")
      yield* Fiber.join(fiber)
      const t = yield* Ref.get(times)
      expect(t.slice(0, 9)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0])
      const gaps = t.slice(9).map((x, i) => x - t[8 + i]!)
      // Never faster than 10/s on average over any second, and no gap ever above the sustained 100 ms.
      for (const g of gaps) expect(g).toBeLessThanOrEqual(100)
      expect(gaps[0]).toBeGreaterThan(0)
      // Gaps grow monotonically towards 100 ms (the pace slows as tokens run out)...
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]! - 1e-6)
      // ...and the limit itself holds: in any window, at most capacity + rate * length admissions.
      for (let i = 0; i < t.length; i++) {
        for (let j = i; j < t.length; j++) expect(j - i + 1).toBeLessThanOrEqual(10 + (t[j]! - t[i]!) / 100 + 1e-6)
      }
    }))

  it.effect("minInterval keeps a minimum gap between admissions of a key", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perSecond("rps", 100)], minInterval: "100 millis" })
      const times = yield* Ref.make<Array<number>>([])
      const fiber = yield* Effect.fork(
        Effect.repeatN(Effect.zipRight(limiter.acquire({ key: "x" }), Effect.flatMap(now, (t) => Ref.update(times, (a) => [...a, t]))), 2)
      )
      yield* settle
      yield* TestClock.adjust("100 millis")
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(fiber)
      expect(yield* Ref.get(times)).toEqual([0, 100, 200])
      expect((yield* limiter.snapshot("x")).currentRate).toBe(10)
    }))

  it.effect("a fixed daily window resets at midnight in America/New_York", () =>
    Effect.gen(function*() {
      // 2024-06-01 23:30 in New York (EDT, UTC-4) = 2024-06-02 03:30 UTC.
      yield* TestClock.setTime(Date.UTC(2024, 5, 2, 3, 30))
      const limiter = yield* make({
        limits: [Limit.perDay("daily", 100, { window: { type: "fixed", timeZone: "America/New_York" } })],
        throttle: false
      })
      yield* limiter.acquire({ cost: 100 })
      const snap = yield* limiter.snapshot()
      expect(snap.limits[0]!.fullAt).toBe(Date.UTC(2024, 5, 2, 4, 0))
      const tried = failureOf(yield* Effect.exit(limiter.tryAcquire()))
      if (tried._tag !== "RateLimitExceeded") throw new Error("expected RateLimitExceeded")
      expect(Duration.toMillis(tried.retryAfter)).toBe(30 * 60_000)
      const fiber = yield* Effect.fork(limiter.acquire({ cost: 100 }))
      yield* settle
      yield* TestClock.adjust("29 minutes")
      yield* TestClock.adjust("59 seconds")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 second")
      const permit = yield* Fiber.join(fiber)
      expect(Duration.toMillis(permit.waited)).toBe(30 * 60_000)
    }))

  it.effect("interrupting a waiter removes it from the queue without leaking tokens", () =>
    Effect.gen(function*() {
      const limiter = yield* make({
        limits: [Limit.custom({ name: "bucket", capacity: 10, refillAmount: 1, refillPeriod: "100 millis" })],
        throttle: false
      })
      yield* limiter.acquire({ cost: 10 })
      const costly = yield* Effect.fork(limiter.acquire({ cost: 8 }))
      yield* settle
      const cheap = yield* Effect.fork(limiter.acquire({ cost: 1 }))
      yield* settle
      expect((yield* limiter.snapshot()).waiters).toBe(2)
      yield* TestClock.adjust("50 millis")
      yield* Fiber.interrupt(costly)
      yield* settle
      yield* TestClock.adjust("50 millis")
      const permit = yield* Fiber.join(cheap)
      expect(Duration.toMillis(permit.waited)).toBe(100)
      const snap = yield* limiter.snapshot()
      expect(snap.waiters).toBe(0)
      expect(snap.limits[0]!.tokens).toBeCloseTo(0, 9) // 1 refilled, 1 taken by cheap, none by costly
    }))

  it.effect("per-call limits share buckets by name with the configured ones", () =>
    Effect.gen(function*() {
      const rpm = Limit.perMinute("rpm", 10)
      const tpm = Limit.perMinute("tpm", 1000)
      const limiter = yield* make({ limits: [rpm, tpm], throttle: false })
      yield* limiter.consume({ rpm: 1, tpm: 100 }, { key: "m" })
      yield* limiter.acquire({ key: "m", limits: [rpm] }) // embeddings: only rpm applies
      expect(yield* tokensOf(limiter, "m", "rpm")).toBe(8)
      expect(yield* tokensOf(limiter, "m", "tpm")).toBe(900)
      const wrong = failureOf(yield* Effect.exit(limiter.consume({ tpm: 1 }, { key: "m", limits: [rpm] })))
      expect(wrong._tag).toBe("InvalidCost")
    }))

  it.effect("keeps at most maxKeys keys and evicts idle ones first", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perSecond("rps", 10)], maxKeys: 100, throttle: false })
      for (let i = 0; i < 1000; i++) yield* limiter.acquire({ key: `k${i}` })
      let stats = yield* limiter.stats
      expect(stats.keys).toBe(100)
      expect(stats.evicted).toBe(900)
      // A key with a waiter is never evicted.
      yield* limiter.acquire({ key: "busy", cost: 10 })
      const waiter = yield* Effect.fork(limiter.acquire({ key: "busy" }))
      yield* settle
      for (let i = 0; i < 300; i++) yield* limiter.acquire({ key: `n${i}` })
      expect((yield* limiter.snapshot("busy")).waiters).toBe(1)
      yield* TestClock.adjust("100 millis")
      yield* Fiber.join(waiter)
      // Once every bucket is full again, keys are idle and new keys sweep them away.
      yield* TestClock.adjust("1 second")
      for (let i = 0; i < 10; i++) yield* limiter.acquire({ key: `fresh${i}` })
      stats = yield* limiter.stats
      expect(stats.keys).toBeLessThanOrEqual(100)
      expect(stats.evicted).toBeGreaterThan(900 + 300)
    }))

  it.effect("idleTimeout evicts keys untouched for that long even when not full", () =>
    Effect.gen(function*() {
      const limiter = yield* make({
        limits: [Limit.perDay("daily", 10)],
        idleTimeout: "1 hour",
        throttle: false
      })
      yield* limiter.acquire({ key: "a" })
      yield* limiter.acquire({ key: "b" })
      yield* TestClock.adjust("30 minutes")
      yield* limiter.acquire({ key: "c" })
      expect((yield* limiter.stats).keys).toBe(3) // nothing is full, nothing is old enough
      yield* TestClock.adjust("31 minutes")
      yield* limiter.acquire({ key: "d" })
      expect(yield* limiter.stats).toMatchObject({ keys: 2, evicted: 2 })
    }))

  it.effect("snapshot of an unknown key reports the configured limits, full", () =>
    Effect.gen(function*() {
      const limiter = yield* make({ limits: [Limit.perSecond("rps", 5, { burst: 10 })], throttle: false })
      const snap = yield* limiter.snapshot("nobody")
      expect(snap).toEqual({
        key: "nobody",
        limits: [{ name: "rps", capacity: 10, tokens: 10, ratePerSecond: 5, window: "rolling", fullAt: 0 }],
        currentRate: 5,
        rateSource: "configured",
        waiters: 0,
        cooldownUntil: null
      })
      yield* limiter.acquire({ key: "nobody", cost: 4 })
      const after = yield* limiter.snapshot("nobody")
      expect(after.limits[0]).toMatchObject({ tokens: 6, fullAt: 800 })
    }))

  it.effect("the layer provides the tag", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      const permit = yield* limiter.acquire({ key: "via-layer" })
      expect(permit.key).toBe("via-layer")
    }).pipe(Effect.provide(layerMemory({ limits: [Limit.perSecond("rps", 1)] }))))

  it.effect("invalid options fail with an InvalidRateLimiterOptions naming the field", () =>
    Effect.gen(function*() {
      const threshold = yield* Effect.flip(makeMemory({ limits: [], throttle: { threshold: 1.5 } }))
      expect(threshold).toMatchObject({ _tag: "InvalidRateLimiterOptions", field: "throttle.threshold" })
      expect(threshold.message).toContain("threshold")
      const maxKeys = yield* Effect.flip(makeMemory({ limits: [], maxKeys: 0 }))
      expect(maxKeys).toMatchObject({ _tag: "InvalidRateLimiterOptions", field: "maxKeys" })
      expect(maxKeys.message).toContain("maxKeys")
      const dup = yield* Effect.flip(makeMemory({ limits: [Limit.perSecond("a", 1), Limit.perMinute("a", 5)] }))
      expect(dup).toMatchObject({ _tag: "InvalidRateLimiterOptions", field: "limits.name" })
      expect(dup.reason).toMatch(/^item 1: duplicate limit name/)
      expect(dup.message).toContain("duplicate limit name")
      const interval = yield* Effect.flip(makeMemory({ limits: [], minInterval: -5 }))
      expect(interval.message).toContain("minInterval")
      // The config's bound holds here too; a negative text or bigint is not read as 0, a huge one is no defect.
      for (const minInterval of ["365 days", "-5 seconds", BigInt(-1), 1.8e302] as const) {
        const error = yield* Effect.flip(makeMemory({ limits: [], minInterval }))
        expect(error, String(minInterval)).toMatchObject({ _tag: "InvalidRateLimiterOptions", field: "minInterval" })
      }
      yield* makeMemory({ limits: [], minInterval: "1 day" })
    }))
})
