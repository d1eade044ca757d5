/** The overshoot measures of the Redis tests and bench (pure). */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { maxOvershoot, provableOvershoot } from "./measure.js"

const times = fc.array(fc.integer({ min: 0, max: 2_000 }), { maxLength: 60 }).map((ts) => ts.sort((a, b) => a - b))
const capacity = fc.integer({ min: 1, max: 10 })
const rate = fc.double({ min: 0.001, max: 0.1, noNaN: true })

describe("overshoot measures", () => {
  it("admissions known to the millisecond: provable = seen", () => {
    fc.assert(fc.property(times, capacity, rate, (ts, c, r) => {
      expect(provableOvershoot(ts, ts, c, r)).toBeCloseTo(maxOvershoot(ts, c, r), 9)
    }))
  })

  it("wider intervals never prove more; a burst seen late proves nothing when it was asked for long before", () => {
    fc.assert(fc.property(times, fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 60 }), capacity, rate, (ts, widths, c, r) => {
      const asked = ts.map((t, i) => t - (widths[i] ?? 0))
      expect(provableOvershoot(asked, ts, c, r)).toBeLessThanOrEqual(provableOvershoot(ts, ts, c, r) + 1e-9)
    }))
    // 10 seen at once against 5 at once, 1 per 100 ms: 5 over; asked over 1 s, they fit.
    const seen = Array.from({ length: 10 }, () => 1_000)
    expect(maxOvershoot(seen, 5, 0.01)).toBe(5)
    expect(provableOvershoot(seen.map((_, i) => i * 100), seen, 5, 0.01)).toBe(0)
    expect(provableOvershoot(seen.map(() => 990), seen, 5, 0.01)).toBeCloseTo(4.9, 9)
  })
})
