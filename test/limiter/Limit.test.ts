import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Schema } from "effect"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import { InvalidConfig } from "../../src/config/errors.js"
import * as Limit from "../../src/limiter/Limit.js"
import { makeMemory } from "../../src/limiter/memory.js"
import * as LimitsFile from "../../src/limits/LimitsFile.js"

/** What a constructor threw. */
const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (error) {
    return error
  }
  throw new Error("did not throw")
}

describe("constructors", () => {
  it("throw the friendly InvalidConfig of the config, naming the field, not a ParseError tree", () => {
    const error = thrown(() => Limit.perSecond("rps", 10, { burst: 5 }))
    expect(error).toBeInstanceOf(InvalidConfig)
    const e = error as InvalidConfig
    expect(e.path).toBe("burst")
    expect(e.message).toBe(
      "Invalid config (Limit.perSecond(\"rps\")):\n  - burst: burst 5 is below the rate 10: burst must be >= limit"
    )
    expect(e.message).not.toMatch(/└─|Refinement|Struct/)
  })

  it("custom names its field too", () => {
    const e = thrown(() => Limit.custom({ name: "x", capacity: 10, refillAmount: 1, refillPeriod: -5 })) as InvalidConfig
    expect(e._tag).toBe("InvalidConfig")
    expect(e.path).toBe("refillPeriod")
    expect(e.source).toBe("Limit.custom(\"x\")")
  })

  it("build the same limit as the config shorthand", () => {
    const limit = Limit.perMinute("rpm", 60, { burst: 100 })
    expect(limit.capacity).toBe(100)
    expect(limit.refillAmount).toBe(60)
    expect(Duration.toMillis(limit.refillPeriod)).toBe(60_000)
    expect(Limit.perDay("q", 1, { window: { type: "fixed", timeZone: "America/Los_Angeles" } }).window)
      .toEqual({ type: "fixed", timeZone: "America/Los_Angeles" })
    expect(Limit.custom({ name: "c", capacity: 5, refillAmount: 1, refillPeriod: Duration.seconds(2) }).ratePerSecond)
      .toBe(0.5)
  })

  it.effect("decode is the Effect form: a typed InvalidConfig, nothing thrown", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Limit.decode({ name: "rps", limit: 10, per: "second", burst: 5 }))
      expect(error._tag).toBe("InvalidConfig")
      expect(error.path).toBe("burst")
      const ok = yield* Limit.decode({ name: "rps", limit: 10, per: "second" })
      expect(ok.capacity).toBe(10)
    }))
})

describe("one limits-list schema", () => {
  const dup = [{ name: "a", limit: 1, per: "second" }, { name: "a", limit: 60, per: "minute" }] as const
  const expected = 'duplicate limit name "a" (also used at index 0); names must be unique'

  it.effect("the limiters' options, ApiConfig and a limits file report a duplicate name the same way, at its index", () =>
    Effect.gen(function*() {
      const memory = yield* Effect.flip(makeMemory({ limits: dup as never }))
      expect(memory.message).toContain(expected)
      // An options error names the option; the item's index leads the reason (decodeOptions).
      expect(memory).toMatchObject({ _tag: "InvalidRateLimiterOptions", field: "limits.name", reason: `item 1: ${expected}` })
      const config = yield* Effect.flip(ApiConfig.decode({ name: "x", baseUrl: "https://x.test", limits: dup }))
      expect(config.message).toContain(expected)
      expect(config.message).toContain("limits[1].name")
      const file = yield* Effect.flip(LimitsFile.decode({ defaults: dup }, "limits.yaml"))
      expect(file.message).toContain(expected)
      expect(file.message).toContain("defaults[1].name")
    }))

  it("takes built limits and either JSON form, and encodes to the full form", () => {
    const built = Limit.perMinute("rpm", 60)
    const decoded = Schema.decodeUnknownSync(Limit.LimitList)([built, { name: "rps", limit: 2, per: "second" }])
    expect(decoded[0]).toBe(built)
    expect(decoded[1]).toBeInstanceOf(Limit.Limit)
    expect(Schema.encodeSync(Limit.LimitList)(decoded)[0]).toEqual({
      name: "rpm",
      capacity: 60,
      refillAmount: 60,
      refillPeriod: 60_000,
      window: { type: "rolling" }
    })
  })
})
