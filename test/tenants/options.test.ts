import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, ParseResult } from "effect"
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

  it.effect("a bad value fails with a ParseError naming the field", () =>
    Effect.gen(function*() {
      // The decoder reports every issue (a union adds one per member): the bad field is among them.
      const fields = (options: Parameters<typeof decodeSettings>[0]) =>
        Effect.map(Effect.flip(decodeSettings(options)), (e) =>
          ParseResult.ArrayFormatter.formatErrorSync(e).map((i) => i.path.join(".")))
      expect(yield* fields({ minInterval: "-5 seconds" })).toContain("minInterval")
      expect(yield* fields({ minInterval: "2 days" })).toContain("minInterval")
      expect(yield* fields({ usage: { interval: Duration.days(32) } })).toContain("usage.interval")
    }))
})
