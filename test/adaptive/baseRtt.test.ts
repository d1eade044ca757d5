/**
 * The base round trip: one tracker for the shortest way (`quotaWindow.ts`, `headerPacing.ts`,
 * `windowGate.ts`): a single fast answer moves it by at most half, it rises slowly, and what a store
 * or a clock hands it that is no round trip is repaired.
 */
import { describe, expect } from "@effect/vitest"
import fc from "fast-check"
import * as BaseRtt from "../../src/adaptive/baseRtt.js"
import { prop } from "./prop.js"

const hostile = fc.constantFrom(Number.NaN, -1, -Infinity, Infinity, null, undefined)

describe("BaseRtt", () => {
  prop(
    "falls to a shorter round trip by at most half an answer, rises 1/rise of the way to a longer one (never past it)",
    [fc.double({ min: 0, max: 10_000, noNaN: true }), fc.integer({ min: 0, max: 60_000 }), fc.constantFrom(BaseRtt.RISE, BaseRtt.GATE_RISE)],
    ([base, rtt, rise]) => {
      const next = BaseRtt.next(base, 1000, 1000 + rtt, rise)!
      if (rtt <= base) expect(next).toBe(Math.max(rtt, base / 2))
      else expect(next).toBeCloseTo(base + (rtt - base) / rise, 9)
      expect(next).toBeGreaterThanOrEqual(Math.min(base / 2, rtt))
      expect(next).toBeLessThanOrEqual(Math.max(base, rtt))
    }
  )

  prop(
    "a single fast outlier (a proxy's error) halves it at most, and the usual answers bring it back",
    [fc.integer({ min: 20, max: 1000 }), fc.integer({ min: 0, max: 5 })],
    ([usual, outlier]) => {
      let b: number | null = null
      for (let i = 0; i < 20; i++) b = BaseRtt.next(b, 0, usual)
      expect(b).toBe(usual)
      b = BaseRtt.next(b, 0, outlier)!
      expect(b).toBeGreaterThanOrEqual(usual / 2)
      // Half a way back within the rise's span.
      for (let i = 0; i < BaseRtt.RISE; i++) b = BaseRtt.next(b, 0, usual)!
      expect(b).toBeGreaterThanOrEqual(usual * 0.8)
      expect(b).toBeLessThanOrEqual(usual)
    }
  )

  prop(
    "a stored base not finite or negative is none; a sample without a send time, or dated after its answer, or not finite, changes nothing; samples are capped at a minute",
    [hostile, fc.double({ min: 0, max: 10_000, noNaN: true }), fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(Number.NaN, Infinity, -Infinity)],
    ([bad, base, rtt, badTime]) => {
      expect(BaseRtt.next(bad, 0, rtt)).toBe(rtt)
      expect(BaseRtt.next(bad, undefined, rtt)).toBeNull()
      expect(BaseRtt.next(base, undefined, rtt)).toBe(base)
      expect(BaseRtt.next(base, rtt + 1, rtt)).toBe(base)
      expect(BaseRtt.next(base, badTime, rtt)).toBe(base)
      expect(BaseRtt.next(base, 0, badTime)).toBe(base)
      expect(BaseRtt.next(null, 0, 1e9)).toBe(60_000)
    }
  )

  prop(
    "the spread is the usual round trip less the base, never negative, 0 while either is unknown",
    [fc.option(fc.integer({ min: 0, max: 60_000 })), fc.option(fc.integer({ min: 0, max: 60_000 }))],
    ([usual, base]) => {
      const spread = BaseRtt.spreadMs({ rttMs: usual, rttMinMs: base })
      expect(spread).toBe(usual === null || base === null ? 0 : Math.max(0, usual - base))
    }
  )
})
