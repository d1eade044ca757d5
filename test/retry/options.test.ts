import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import fc from "fast-check"
import { ApiConfig, decode } from "../../src/config/ApiConfig.js"
import * as RetryPolicy from "../../src/retry/RetryPolicy.js"

const errorOf = (options: unknown) =>
  Either.match(RetryPolicy.make(options as RetryPolicy.RetryPolicyOptions), {
    onLeft: (e) => ({ tag: e._tag, field: e.field, reason: e.reason }),
    onRight: () => undefined
  })

const configAccepts = (retry: unknown): boolean =>
  Either.isRight(Schema.decodeUnknownEither(ApiConfig)({ name: "acme", baseUrl: "https://api.acme.test", retry }))

describe("RetryPolicy options schema", () => {
  it("a bad value of each option is an InvalidRetryPolicy naming the option and saying why", () => {
    const bad: ReadonlyArray<readonly [string, unknown]> = [
      ["maxRetries", "3"],
      ["maxAttempts", 1.5],
      ["initialDelay", [1, 2, 3]],
      ["maxDelay", "-1 second"],
      ["multiplier", Number.NaN],
      ["jitter", "random"],
      ["jitterFraction", 2],
      ["totalBudget", "2 days"],
      ["retryOnStatus", 503],
      ["retryOnTransport", 1],
      ["respectRetryAfter", "yes"],
      ["maxRetryAfter", -1],
      ["retryNonIdempotent", null],
      ["idempotencyKey", "always"],
      ["decide", "retry"]
    ]
    for (const [field, value] of bad) {
      const error = errorOf({ [field]: value })
      expect(error, field).toMatchObject({ tag: "InvalidRetryPolicy", field })
      expect(error?.reason.length, field).toBeGreaterThan(0)
    }
  })

  it("a bad status names the option, and the item in the reason", () => {
    expect(errorOf({ retryOnStatus: [503, 99] })).toEqual({
      tag: "InvalidRetryPolicy",
      field: "retryOnStatus",
      reason: "item 1: Expected an HTTP error status code (400-599), got 99"
    })
  })

  it("retryOnStatus takes any iterable of statuses, not a string", () => {
    const policy = Either.getOrThrow(RetryPolicy.make({ retryOnStatus: new Set([503, 429]) }))
    expect([...policy.retryOnStatus].sort()).toEqual([429, 503])
    expect(errorOf({ retryOnStatus: "503" })?.field).toBe("retryOnStatus")
  })

  it("a duration too long for Effect's formatter (its nanoseconds overflow) is a typed error, not a defect", () => {
    const huge = 1.797693134862316e302
    expect(errorOf({ maxDelay: huge })).toEqual({
      tag: "InvalidRetryPolicy",
      field: "maxDelay",
      reason: "Expected a duration >= 0 and at most 1d, got 1.797693134862316e+302 millis"
    })
    const config = Effect.runSync(Effect.either(decode({ name: "acme", baseUrl: "https://api.acme.test", retry: { maxDelay: huge } })))
    expect(Either.isLeft(config) && config.left.message).toContain("retry.maxDelay")
  })

  it("a negative duration is refused saying durations are >= 0, in every form", () => {
    for (const value of [-1, "-5 seconds", [-1, 0], BigInt(-1)]) {
      expect(errorOf({ maxDelay: value })?.reason, String(value)).toMatch(/^Expected a duration >= 0 .*, got /)
    }
  })

  it("maxDelay below initialDelay names maxDelay, defaults included", () => {
    expect(errorOf({ initialDelay: "1 minute" })).toEqual({
      tag: "InvalidRetryPolicy",
      field: "maxDelay",
      reason: "maxDelay (30s) must be >= initialDelay (1m)"
    })
  })

  it("property: maxAttempts is maxRetries + 1, and giving both they must agree", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 101 }), fc.integer({ min: 0, max: 100 }), (attempts, retries) => {
        expect(Either.getOrThrow(RetryPolicy.make({ maxAttempts: attempts })).maxRetries).toBe(attempts - 1)
        expect(errorOf({ maxAttempts: attempts, maxRetries: retries })?.field).toBe(
          retries === attempts - 1 ? undefined : "maxAttempts"
        )
      })
    )
  })

  it("property: the options and the config's retry section accept the same counts, multipliers, statuses and maxRetryAfter", () => {
    const number = fc.oneof(fc.double(), fc.integer({ min: -5, max: 700 }), fc.double({ min: 0.5, max: 120 }))
    const wait = fc.oneof(fc.double(), fc.constantFrom(0, 86_400_000, 86_400_001))
    fc.assert(
      fc.property(number, number, number, wait, (maxRetries, multiplier, status, maxRetryAfter) => {
        expect(errorOf({ maxRetryAfter }) === undefined).toBe(configAccepts({ maxRetryAfter }))
        expect(errorOf({ maxRetries }) === undefined).toBe(configAccepts({ maxRetries }))
        expect(errorOf({ multiplier }) === undefined).toBe(configAccepts({ multiplier }))
        expect(errorOf({ retryOnStatus: [status] }) === undefined).toBe(configAccepts({ retryOnStatus: [status] }))
      })
    )
  })
})
