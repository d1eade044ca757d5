import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { InvalidConfig } from "../../src/config/errors.js"
import * as Limit from "../../src/limiter/Limit.js"

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
