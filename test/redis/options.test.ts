/**
 * The Redis limiter's options are decoded by a Schema, like the memory limiter's: a bad option is a
 * `RateLimiter.InvalidRateLimiterOptions` naming the field, before any round trip; never a defect, never
 * silently accepted. The tenant limiter's likewise (`Tenants.InvalidTenantLimiterOptions`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import * as Limit from "../../src/limiter/Limit.js"
import { layer as resolverLayer } from "../../src/limits/LimitsResolver.js"
import { layerLimitsStore } from "../../src/redis/limitsStore.js"
import { make as makeRedis, type RedisLimiterOptions } from "../../src/redis/RedisLimiter.js"
import { makeTenantLimiter, type RedisTenantOptions } from "../../src/redis/tenantLimiter.js"
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

  it.live("a bad option is an InvalidRateLimiterOptions naming the field", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [RedisLimiterOptions, string]> = [
        [{ limits, onUnavailable: "local-fallback", expectedWorkers: Number.NaN }, "expectedWorkers"],
        [{ limits, expectedWorkers: 0 }, "expectedWorkers"],
        [{ limits, expectedWorkers: 2.5 }, "expectedWorkers"],
        [{ limits, throttle: { threshold: 2 } }, "throttle.threshold"],
        [{ limits, onUnavailable: "fail-sometimes" as never }, "onUnavailable"],
        [{ limits, rateTtl: -5 }, "rateTtl"],
        [{ limits, keyTtlMargin: Duration.infinity }, "keyTtlMargin"],
        [{ limits, rateTtl: BigInt(10) ** BigInt(400) }, "rateTtl"],
        [{ limits, keyTtlMargin: "367 days" }, "keyTtlMargin"],
        [{ limits, minInterval: "2 days" }, "minInterval"],
        [{ limits: [Limit.perSecond("a", 1), Limit.perMinute("a", 5)] }, "limits.name"]
      ]
      for (const [options, field] of cases) {
        const error = yield* refusal(options)
        expect(error, field).toMatchObject({ _tag: "InvalidRateLimiterOptions", field })
        expect(error.message, field).toContain(field)
      }
    }))

  it.live("the tenant limiter's TTLs are the limiter's options: a bad one is an InvalidTenantLimiterOptions, not a defect", () =>
    Effect.scoped(Effect.gen(function*() {
      const ctx = yield* Layer.build(
        Layer.provideMerge(resolverLayer({ ttl: "1 minute" }), layerLimitsStore()).pipe(
          Layer.provideMerge(redisLayer(server.url, uniquePrefix("tenant-options")))
        )
      )
      const cases: ReadonlyArray<readonly [RedisTenantOptions, string]> = [
        [{ rateTtl: -5 }, "rateTtl"],
        [{ rateTtl: "soon" as Duration.DurationInput }, "rateTtl"],
        [{ keyTtlMargin: Duration.infinity }, "keyTtlMargin"],
        [{ usage: { slots: 0 } }, "usage.slots"]
      ]
      for (const [options, field] of cases) {
        const error = yield* Effect.flip(makeTenantLimiter(options).pipe(Effect.provide(ctx)))
        expect(error, field).toMatchObject({ _tag: "InvalidTenantLimiterOptions", field })
      }
      yield* makeTenantLimiter({ rateTtl: "10 minutes", keyTtlMargin: Duration.millis(500) }).pipe(Effect.provide(ctx))
    })))

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
