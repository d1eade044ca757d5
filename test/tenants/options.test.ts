import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { layer as resolverLayer } from "../../src/limits/LimitsResolver.js"
import { layerMemory as limitsMemory } from "../../src/limits/memoryStore.js"
import { makeMemory } from "../../src/Tenants.js"
import { decodeSettings } from "../../src/tenants/options.js"

describe("TenantLimiter options", () => {
  it.effect("take any Duration.DurationInput, a Duration included, as their type says", () =>
    Effect.gen(function*() {
      const settings = yield* decodeSettings({
        minInterval: Duration.millis(250),
        usage: { interval: Duration.minutes(2), slots: 5 }
      })
      expect(settings.minIntervalMs).toBe(250)
      expect(settings.usage).toEqual({ intervalMs: 120_000, slots: 5 })
    }))

  it.effect("a bad value fails with an InvalidTenantLimiterOptions naming the field", () =>
    Effect.gen(function*() {
      const refusal = (options: Parameters<typeof decodeSettings>[0]) => Effect.flip(decodeSettings(options))
      for (
        const [options, field] of [
          [{ minInterval: "-5 seconds" }, "minInterval"],
          [{ minInterval: "2 days" }, "minInterval"],
          [{ usage: { interval: Duration.days(32) } }, "usage.interval"],
          [{ usage: { slots: 0 } }, "usage.slots"],
          [{ throttle: { threshold: 1.5 } }, "throttle.threshold"]
        ] as const
      ) {
        const error = yield* refusal(options)
        expect(error, field).toMatchObject({ _tag: "InvalidTenantLimiterOptions", field })
        expect(error.message, field).toContain(field)
      }
    }))

  it.effect("the memory limiter's maxKeys is a whole number >= 1, refused rather than rounded", () =>
    Effect.gen(function*() {
      for (const maxKeys of [0, 2.5, Number.NaN]) {
        const error = yield* Effect.flip(makeMemory({ maxKeys }))
        expect(error, String(maxKeys)).toMatchObject({ _tag: "InvalidTenantLimiterOptions", field: "maxKeys" })
      }
      yield* makeMemory({ maxKeys: 3 })
    }).pipe(Effect.provide(resolverLayer({ ttl: "1 minute" }).pipe(Layer.provide(limitsMemory())))))
})
