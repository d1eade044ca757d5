import { describe, expect, it } from "@effect/vitest"
import { prop } from "./support.js"
import fc from "fast-check"
import { backoffDelay, type BackoffOptions, baseDelay } from "../../src/retry/backoff.js"

const arbOptions = fc.record({
  initial: fc.integer({ min: 0, max: 10_000 }),
  extra: fc.integer({ min: 0, max: 100_000 }),
  multiplier: fc.double({ min: 1, max: 10, noNaN: true }),
  jitter: fc.constantFrom("none" as const, "full" as const, "proportional" as const),
  jitterFraction: fc.double({ min: 0, max: 1, noNaN: true })
}).map(({ extra, ...o }): BackoffOptions => ({ ...o, max: o.initial + extra }))

const arbAttempt = fc.integer({ min: 1, max: 2_000 })
const arbRandom = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })

describe("backoffDelay", () => {
  it("grows exponentially from initial and stops at max", () => {
    const o: BackoffOptions = { initial: 100, max: 1_000, multiplier: 2, jitter: "none" }
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(o, n, 0.5))).toEqual([100, 200, 400, 800, 1000, 1000])
  })

  it("full jitter spans [0, base)", () => {
    const o: BackoffOptions = { initial: 100, max: 10_000, multiplier: 3, jitter: "full" }
    expect(backoffDelay(o, 3, 0)).toBe(0)
    expect(backoffDelay(o, 3, 0.5)).toBe(450)
    expect(backoffDelay(o, 3, 0.999)).toBe(899)
  })

  it("proportional jitter spans base * [1 - f, 1 + f)", () => {
    const o: BackoffOptions = { initial: 1_000, max: 10_000, multiplier: 2, jitter: "proportional", jitterFraction: 0.25 }
    expect(backoffDelay(o, 1, 0)).toBe(750)
    expect(backoffDelay(o, 1, 0.5)).toBe(1_000)
    expect(backoffDelay(o, 1, 0.99)).toBe(1_245)
  })

  prop("stays within [0, max] and within the jitter band", [arbOptions, arbAttempt, arbRandom], ([o, n, r]) => {
    const d = backoffDelay(o, n, r)
    const base = baseDelay(o, n)
    expect(d).toBeGreaterThanOrEqual(0)
    expect(d).toBeLessThanOrEqual(o.max)
    expect(Number.isInteger(d)).toBe(true)
    if (o.jitter === "none") expect(d).toBe(Math.round(base))
    if (o.jitter === "full") expect(d).toBeLessThanOrEqual(Math.round(base))
    if (o.jitter === "proportional") {
      const f = o.jitterFraction ?? 0.2
      expect(d).toBeGreaterThanOrEqual(Math.round(base * (1 - f)) - 1)
      expect(d).toBeLessThanOrEqual(Math.min(o.max, Math.round(base * (1 + f)) + 1))
    }
  })

  prop("without jitter is non-decreasing and reaches the cap", [arbOptions, arbAttempt], ([o, n]) => {
    const none = { ...o, jitter: "none" as const }
    expect(backoffDelay(none, n + 1, 0)).toBeGreaterThanOrEqual(backoffDelay(none, n, 0))
    if (o.initial > 0 && o.multiplier > 1.01) {
      // after enough retries the cap holds exactly
      expect(backoffDelay(none, 10_000, 0)).toBe(o.max)
    }
  })

  prop("never produces NaN whatever the random draw", [arbOptions, arbAttempt, fc.double()], ([o, n, r]) => {
    const d = backoffDelay(o, n, r)
    expect(Number.isFinite(d)).toBe(true)
    expect(d).toBeGreaterThanOrEqual(0)
    expect(d).toBeLessThanOrEqual(o.max)
  })
})
