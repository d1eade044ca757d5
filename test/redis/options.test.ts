/**
 * The Redis limiter's options are decoded by a Schema, like the memory limiter's: a bad option is a
 * `ParseError` naming the field, before any round trip; never a defect, never silently accepted.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import * as Limit from "../../src/limiter/Limit.js"
import { make as makeRedis, type RedisLimiterOptions } from "../../src/redis/RedisLimiter.js"
import { skipRedis } from "./server.js"
import { redisLayer, uniquePrefix, useRedisServer } from "./util.js"

describe.skipIf(skipRedis)("RedisLimiter options", () => {
  const server = useRedisServer()

  const limits = [Limit.perSecond("rps", 10)]
  const refusal = (options: RedisLimiterOptions) =>
    Effect.scoped(
      Effect.flatMap(Layer.build(redisLayer(server.url, uniquePrefix("options"))), (ctx) =>
        Effect.flip(makeRedis(options).pipe(Effect.provide(ctx))))
    )

  it.live("a bad option is a ParseError naming the field", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [RedisLimiterOptions, string]> = [
        [{ limits, onUnavailable: "local-fallback", expectedWorkers: Number.NaN }, "expectedWorkers"],
        [{ limits, expectedWorkers: 0 }, "expectedWorkers"],
        [{ limits, expectedWorkers: 2.5 }, "expectedWorkers"],
        [{ limits, throttle: { threshold: 2 } }, "threshold"],
        [{ limits, onUnavailable: "fail-sometimes" as never }, "onUnavailable"],
        [{ limits, rateTtl: -5 }, "rateTtl"],
        [{ limits, keyTtlMargin: Duration.infinity }, "keyTtlMargin"],
        [{ limits, minInterval: "2 days" }, "minInterval"],
        [{ limits: [Limit.perSecond("a", 1), Limit.perMinute("a", 5)] }, "[1][\"name\"]"]
      ]
      for (const [options, field] of cases) {
        const error = yield* refusal(options)
        expect(error._tag, field).toBe("ParseError")
        expect(error.message, field).toContain(field)
      }
    }))

  it.live("valid options in every accepted form build a limiter", () =>
    Effect.scoped(Effect.gen(function*() {
      const ctx = yield* Layer.build(redisLayer(server.url, uniquePrefix("options-ok")))
      const rl = yield* makeRedis({
        limits,
        onUnavailable: "local-fallback",
        expectedWorkers: 3,
        throttle: false,
        minInterval: 5,
        rateTtl: "10 minutes",
        keyTtlMargin: Duration.millis(500)
      }).pipe(Effect.provide(ctx))
      yield* rl.tryAcquire({ key: "k" })
      expect((yield* rl.stats).acquired).toBe(1)
    })))
})
