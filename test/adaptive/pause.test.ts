/**
 * When a range a decision left open is probed (`openRangeDelay`): never later than `recoveryMs`, at
 * once on a local net after a fit, later the longer the round trip.
 */
import { describe, expect } from "@effect/vitest"
import fc from "fast-check"
import { openRangeDelay } from "../../src/adaptive/pause.js"
import { prop } from "./prop.js"

describe("openRangeDelay", () => {
  prop(
    "within [0, recoveryMs], recoveryMs without a fit, non-decreasing in the round trip after one",
    [fc.integer({ min: 0, max: 60_000 }), fc.double({ min: -10, max: 10_000, noNaN: true }), fc.double({ min: 0, max: 10_000, noNaN: true })],
    ([recoveryMs, rtt, more]) => {
      const d = openRangeDelay(recoveryMs, rtt, true)
      expect(d).toBeGreaterThanOrEqual(0)
      expect(d).toBeLessThanOrEqual(recoveryMs)
      expect(openRangeDelay(recoveryMs, rtt, false)).toBe(recoveryMs)
      expect(openRangeDelay(recoveryMs, rtt + more, true)).toBeGreaterThanOrEqual(d)
    }
  )

  prop("a round trip of a few ms probes a fit's range within a tenth of a second", [fc.double({ min: 0, max: 5, noNaN: true })], ([rtt]) => {
    expect(openRangeDelay(3000, rtt, true)).toBeLessThanOrEqual(100)
  })
})
