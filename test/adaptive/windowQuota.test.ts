/**
 * A window quota read from two walls: a sliding log's walls read as its quota, a token bucket's never
 * above its rate.
 */
import { describe, expect } from "@effect/vitest"
import fc from "fast-check"
import type { Cycle } from "../../src/adaptive/bucketFit.js"
import { windowRate } from "../../src/adaptive/windowQuota.js"
import { prop } from "./prop.js"

/** The first cycle from the start of traffic, the second after a pause of `pauseMs`, each ending at a wall. */
const cycles = (first: number, second: number, pauseMs: number): readonly [Cycle, Cycle] => [
  { start: "full", from: 0, resumeAt: 0, wallAt: 2000, accepted: first },
  { start: "empty", from: 2000, resumeAt: 2000 + pauseMs, wallAt: 3000 + pauseMs, accepted: second }
]

describe("window quota", () => {
  prop(
    "a log of L per window, paused at least the window after each wall: the same count at paces apart reads as L per pause",
    [fc.integer({ min: 10, max: 1000 }), fc.integer({ min: 1000, max: 5000 }), fc.double({ min: 1.2, max: 3, noNaN: true }), fc.double({ min: 1.3, max: 2, noNaN: true })],
    ([quota, pauseMs, over, apart]) => {
      const [prev, last] = cycles(quota, quota, pauseMs)
      const pace = (quota * 1000 / pauseMs) * over
      expect(windowRate(prev, last, pace * apart, pace)).toBeCloseTo((quota * 1000) / pauseMs, 9)
    }
  )

  /** A token bucket `(rate, share of the pause's refill)` walled at two paces above its rate: the reading. */
  const bucketReading = (rate: number, share: number, pauseMs: number, over1: number, over2: number) => {
    // After a full bucket (or a pause refilling it) of B, a pace p above the rate r meets the wall
    // after B / (p - r) seconds, having had B p / (p - r) accepted.
    const burst = Math.max(1, share * rate * pauseMs / 1000)
    const accepted = (p: number) => Math.round((burst * p) / (p - rate))
    const [p1, p2] = [rate * over1, rate * over2]
    return windowRate(...cycles(accepted(p1), accepted(p2), pauseMs), p1, p2)
  }
  const over = fc.double({ min: 1.05, max: 10, noNaN: true })
  const rate = fc.double({ min: 1, max: 500, noNaN: true })
  const pause = fc.integer({ min: 1000, max: 5000 })

  prop(
    "a token bucket holding at most half what the pause refills, walled at any two paces above its rate: never read above its rate",
    [rate, fc.double({ min: 0.05, max: 0.5, noNaN: true }), pause, over, over],
    ([r, share, pauseMs, over1, over2]) => {
      const read = bucketReading(r, share, pauseMs, over1, over2)
      if (read !== undefined) expect(read).toBeLessThanOrEqual(r)
    },
    { fastCheck: { numRuns: 2000 } }
  )

  prop(
    "a token bucket holding up to all the pause refills (a 1 s bucket, a 1 s Retry-After): at most 20% above its rate",
    [rate, fc.double({ min: 0.5, max: 1, noNaN: true }), pause, over, over],
    ([r, share, pauseMs, over1, over2]) => {
      const read = bucketReading(r, share, pauseMs, over1, over2)
      if (read !== undefined) expect(read).toBeLessThanOrEqual(r * 1.2)
    },
    { fastCheck: { numRuns: 2000 } }
  )

  prop(
    "no reading without a pause of a second, from counts that differ, from paces close together, or from a few requests",
    [fc.integer({ min: 10, max: 1000 }), fc.integer({ min: 0, max: 999 }), fc.double({ min: 1, max: 1000, noNaN: true })],
    ([quota, shortPauseMs, pace]) => {
      expect(windowRate(...cycles(quota, quota, shortPauseMs), pace * 1.5, pace)).toBeUndefined()
      expect(windowRate(...cycles(quota, Math.ceil(quota * 1.1) + 1, 1000), pace * 1.5, pace)).toBeUndefined()
      expect(windowRate(...cycles(quota, quota, 1000), pace * 1.1, pace)).toBeUndefined()
      expect(windowRate(...cycles(9, 9, 1000), pace * 1.5, pace)).toBeUndefined()
    }
  )
})
