/**
 * The Redis limiter's pace around a cooldown (Retry-After), as the memory limiter does it: a cooldown
 * ends at the pace, not with the burst the pacing bucket gathered meanwhile, and a `setRate` during a
 * cooldown restates the debt at the new rate, so the pause still ends when the cooldown does.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import * as Limit from "../../src/limiter/Limit.js"
import { skipRedis } from "./server.js"
import { limiterOn, uniquePrefix, useRedisServer } from "./util.js"

const options = {
  limits: [Limit.custom({ name: "a", capacity: 1000, refillAmount: 1000, refillPeriod: "1 hour" })],
  throttle: false as const
}

describe.skipIf(skipRedis)("RedisLimiter pace around a cooldown", () => {
  const server = useRedisServer()

  /** The wait a refused `tryAcquire` announces, in ms. */
  const refusedWait = (rl: Effect.Effect.Success<ReturnType<typeof limiterOn>>, key: string) =>
    Effect.flatMap(Effect.flip(rl.tryAcquire({ key })), (e) =>
      e._tag === "RateLimitExceeded"
        ? Effect.succeed({ ms: Duration.toMillis(e.retryAfter), limits: e.limits })
        : Effect.dieMessage(`expected RateLimitExceeded, got ${e._tag}`))

  it.live("a slower pace set during a cooldown does not stretch the pause beyond it", () =>
    Effect.scoped(Effect.gen(function*() {
      const rl = yield* limiterOn(server.url, uniquePrefix("restate"), options)
      yield* rl.setRate("api", 20, { burst: 1 })
      yield* rl.cooldown("api", "400 millis")
      // At 20/s the cooldown is a debt of 8 requests; kept as is at 1/s it would be an 8 s pause.
      yield* rl.setRate("api", 1, { burst: 1 })
      const during = yield* refusedWait(rl, "api")
      expect(during.limits).toContain("cooldown")
      expect(during.ms).toBeLessThanOrEqual(420)
      const first = yield* rl.acquire({ key: "api", maxWait: "2 seconds" })
      expect(Duration.toMillis(first.waited)).toBeLessThan(1000)
      // Then one request a second: the new pace, from the end of the pause.
      const next = yield* refusedWait(rl, "api")
      expect(next.limits).toEqual(["adaptive"])
      expect(next.ms).toBeGreaterThan(800)
      expect(next.ms).toBeLessThanOrEqual(1000)
    })))

  it.live("a pace first set during a cooldown starts when the pause ends, without its burst", () =>
    Effect.scoped(Effect.gen(function*() {
      const rl = yield* limiterOn(server.url, uniquePrefix("restate-fresh"), options)
      yield* rl.cooldown("api", "300 millis")
      yield* rl.setRate("api", 5, { burst: 5 })
      expect((yield* refusedWait(rl, "api")).ms).toBeLessThanOrEqual(320)
      const start = Date.now()
      for (let i = 0; i < 3; i++) yield* rl.acquire({ key: "api", maxWait: "2 seconds" })
      // The pause, then one every 200 ms: not the pause and a burst of 3.
      expect(Date.now() - start).toBeGreaterThanOrEqual(650)
    })))

  it.live("a cooldown ends at the pace, not with the burst gathered while paused", () =>
    Effect.scoped(Effect.gen(function*() {
      const rl = yield* limiterOn(server.url, uniquePrefix("resume"), options)
      // A full pacing bucket of 5 at 5/s: without a cooldown, 5 would go back to back.
      yield* rl.setRate("api", 5, { burst: 5 })
      yield* rl.cooldown("api", "300 millis")
      const start = Date.now()
      for (let i = 0; i < 3; i++) yield* rl.acquire({ key: "api", maxWait: "2 seconds" })
      expect(Date.now() - start).toBeGreaterThanOrEqual(650)
      const next = yield* refusedWait(rl, "api")
      expect(next.limits).toEqual(["adaptive"])
    })))
})
