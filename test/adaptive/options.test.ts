import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import fc from "fast-check"
import { type Options, resolveOptions } from "../../src/adaptive/options.js"
import { ApiConfig } from "../../src/config/ApiConfig.js"

const errorOf = (options: Record<string, unknown>) =>
  Either.match(resolveOptions({ initialRate: 5, ...options } as Options), {
    onLeft: (e) => ({ tag: e._tag, field: e.field, reason: e.reason }),
    onRight: () => undefined
  })

const configAccepts = (adaptive: unknown): boolean =>
  Either.isRight(Schema.decodeUnknownEither(ApiConfig)({ name: "acme", baseUrl: "https://api.acme.test", adaptive }))

describe("AdaptiveController options schema", () => {
  it("a bad value of each option is an InvalidAdaptiveOptions naming the option and saying why", () => {
    const bad: ReadonlyArray<readonly [string, unknown]> = [
      ["initialRate", "5"],
      ["minRate", 0],
      ["maxRate", 2e6],
      ["increaseStep", -1],
      ["decreaseFactor", 0],
      ["backoffStatuses", [429, 200]],
      ["slowStart", "no"],
      ["recovery", 0],
      ["steady", "-5 seconds"],
      ["ceilingMargin", 0.5],
      ["hold", -1],
      ["respectHeaders", 1],
      ["burst", Number.POSITIVE_INFINITY],
      ["catchUp", "forever"],
      ["maxRetryAfter", "32 days"],
      ["maxQuotaWait", "-1 day"]
    ]
    for (const [field, value] of bad) {
      const error = errorOf({ [field]: value })
      expect(error, field).toMatchObject({ tag: "InvalidAdaptiveOptions", field })
      expect(error?.reason.length, field).toBeGreaterThan(0)
    }
    expect(errorOf({ backoffStatuses: [429, 200] })?.reason).toBe(
      "item 1: Expected an HTTP error status code (400-599), got 200"
    )
  })

  it("the controller's periods are bounded like a server's wait (31 days), the catch-up to a minute", () => {
    for (const field of ["hold", "steady", "recovery"]) {
      expect(errorOf({ [field]: BigInt(10) ** BigInt(400) })?.field, field).toBe(field)
      expect(errorOf({ [field]: "32 days" })?.field, field).toBe(field)
      expect(errorOf({ [field]: "30 days" }), field).toBeUndefined()
    }
    expect(errorOf({ catchUp: "1000000 days" })?.field).toBe("catchUp")
    expect(errorOf({ catchUp: "61 seconds" })?.field).toBe("catchUp")
    expect(errorOf({ catchUp: "1 minute" })).toBeUndefined()
  })

  it("negative durations are refused in every form, not read as 0", () => {
    for (const value of [-1, "-5 seconds", [-1, 0], BigInt(-1)]) {
      expect(errorOf({ hold: value })?.field, String(value)).toBe("hold")
    }
  })

  it("property: the options and the config's adaptive section agree on statuses, maxQuotaWait and the order and bounds of the rates", () => {
    const status = fc.oneof(fc.integer({ min: 90, max: 650 }), fc.double())
    // Below one a day the options accept what the config refuses (one per 31 days, see AdaptiveRate).
    const rate = fc.oneof(fc.double({ min: 0.01, max: 1000, noNaN: true }), fc.constantFrom(1e6, 1e6 + 1))
    const day = 86_400_000
    const quotaWait = fc.oneof(fc.double(), fc.constantFrom(0, 0.5, 31 * day, 31 * day + 1))
    fc.assert(
      fc.property(status, rate, rate, rate, quotaWait, (s, initialRate, minRate, maxRate, maxQuotaWait) => {
        expect(errorOf({ backoffStatuses: [s] }) === undefined).toBe(configAccepts({ backoffStatuses: [s] }))
        expect(errorOf({ maxQuotaWait }) === undefined).toBe(configAccepts({ initialRate: 5, maxQuotaWait }))
        const rates = { initialRate, minRate, maxRate }
        expect(errorOf(rates) === undefined).toBe(configAccepts(rates))
      })
    )
  })
})
