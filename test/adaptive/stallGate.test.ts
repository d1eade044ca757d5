/**
 * The server's stalls: answers held past the usual round trip (by more than it and than 20 ms) coming
 * back together (within 20 ms) pause the pace one slot on a plateau after a paused wall, never longer
 * than the stall's most delayed answer was late nor than `maxRetryAfter`; nothing for one late answer alone (the network's tail),
 * during a slow start, after a wall without a pause, nor for an answer in time.
 */
import { describe, expect } from "@effect/vitest"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import { observe } from "../../src/adaptive/observe.js"
import * as StallGate from "../../src/adaptive/stallGate.js"
import { prop } from "./prop.js"

const T0 = 1_700_000_000_000
const usual = fc.double({ min: 0, max: 5000, noNaN: true })
const rtt = fc.double({ min: 0, max: 60_000, noNaN: true })

describe("stall gate", () => {
  prop("held: later than the usual round trip by more than it and than 20 ms, by that much", [usual, rtt], ([u, r]) => {
    const late = StallGate.heldFor(u, r)
    if (r - u > Math.max(u, 20)) expect(late).toBe(r - u)
    else expect(late).toBeUndefined()
    expect(StallGate.heldFor(null, r)).toBeUndefined()
  })

  prop(
    "together: the last held answer came back at most 20 ms before; none stored, not finite or later than now: not",
    [fc.integer({ min: -100, max: 100 }), fc.constantFrom(undefined, NaN, Infinity, -Infinity)],
    ([gap, bad]) => {
      expect(StallGate.together(T0 - gap, T0)).toBe(gap >= 0 && gap <= 20)
      expect(StallGate.together(bad, T0)).toBe(false)
    }
  )

  prop(
    "the pause: a slot at most, never past the lateness nor the bound, never shortening one already set",
    [fc.double({ min: 0.01, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 60_000, noNaN: true }), fc.integer({ min: 0, max: 120_000 }), fc.integer({ min: 0, max: 5000 })],
    ([rate, lateMs, boundMs, setMs]) => {
      const set = T0 + setMs
      const until = StallGate.pauseAfterHeld(set, T0, rate, lateMs, boundMs)
      expect(until).toBeGreaterThanOrEqual(set)
      const own = StallGate.pauseAfterHeld(0, T0, rate, lateMs, boundMs)
      expect(own - T0).toBeLessThanOrEqual(Math.min(1000 / rate, lateMs, boundMs) + 1e-3)
      expect(own).toBeGreaterThanOrEqual(T0)
    }
  )

  /** A key on the plateau of its documented rate after a wall paused 1 s (none: `paused` false), its usual round trip `u` ms. */
  const plateau = (c: Aimd.AimdConfig, u: number, paused = true): Aimd.AimdState => ({
    ...Aimd.initial(c),
    phase: "steady",
    ceiling: c.initialRate,
    rttMs: u,
    gateUntil: 0,
    lastDecreaseAt: T0,
    cooldownUntil: paused ? T0 + 1000 : 0
  })

  prop(
    "through the controller's step: a held success on a plateau after a paused wall, another held back within 20 ms, pauses the key a slot (bounded by maxRetryAfter); alone, in time, in a slow start or after a wall without a pause, nothing",
    [fc.double({ min: 1, max: 1000, noNaN: true }), fc.double({ min: 0, max: 500, noNaN: true }), rtt, fc.integer({ min: 1, max: 120_000 }), fc.integer({ min: 0, max: 100 })],
    ([d, u, r, maxRetryAfterMs, gap]) => {
      const c = { ...Aimd.defaultConfig(d), maxRetryAfterMs }
      const now = T0 + 100_000
      const answer = { status: 200, backoff: false, sentAt: now - r }
      const alone = observe(c, plateau(c, u), answer, now)
      expect(alone.gateUntil ?? 0).toBe(0)
      const after = observe(c, { ...plateau(c, u), heldAt: now - gap }, answer, now)
      const late = StallGate.heldFor(u, r)
      if (late === undefined || gap > 20) expect(after.gateUntil ?? 0).toBe(0)
      else {
        // Epoch instants (~1.7e12 ms, an ulp 2.4e-4 ms): equal within 1e-3 ms.
        expect(Math.abs(after.gateUntil! - (now + Math.min(1000 / after.rate, late, maxRetryAfterMs)))).toBeLessThanOrEqual(1e-3)
        expect(after.gateUntil!).toBeLessThanOrEqual(now + maxRetryAfterMs)
      }
      const starting = observe(c, { ...Aimd.initial(c), rttMs: u, gateUntil: 0, heldAt: now - gap }, answer, now)
      expect(starting.gateUntil ?? 0).toBe(0)
      expect(observe(c, { ...plateau(c, u, false), heldAt: now - gap }, answer, now).gateUntil ?? 0).toBe(0)
      // A held answer is remembered for the next, whatever the phase; one in time leaves it.
      expect(after.heldAt).toBe(late === undefined ? now - gap : now)
    }
  )

  prop(
    "the pause lasts a slot at most, up to the lateness of the stall's most delayed answer, not only the last one's (a stored lateness not finite is none)",
    [fc.double({ min: 1, max: 1000, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), rtt, fc.double({ min: 0, max: 5000, noNaN: true }), fc.constantFrom(NaN, Infinity, -Infinity)],
    ([d, u, r, earlierMs, bad]) => {
      const c = Aimd.defaultConfig(d)
      const now = T0 + 100_000
      const answer = { status: 200, backoff: false, sentAt: now - r }
      // The round trip as the epoch's floats see it.
      const late = StallGate.heldFor(u, now - answer.sentAt)
      const after = observe(c, { ...plateau(c, u), heldAt: now - 5, heldLateMs: earlierMs }, answer, now)
      if (late === undefined) {
        expect(after.gateUntil ?? 0).toBe(0)
        return
      }
      // Epoch instants (~1.7e12 ms, an ulp 2.4e-4 ms): equal within 1e-3 ms.
      expect(Math.abs(after.gateUntil! - (now + Math.min(1000 / after.rate, Math.max(late, earlierMs))))).toBeLessThanOrEqual(1e-3)
      expect(after.heldLateMs).toBe(Math.max(late, earlierMs))
      const unsure = observe(c, { ...plateau(c, u), heldAt: now - 5, heldLateMs: bad }, answer, now)
      expect(Math.abs(unsure.gateUntil! - (now + Math.min(1000 / unsure.rate, late)))).toBeLessThanOrEqual(1e-3)
    }
  )
})
