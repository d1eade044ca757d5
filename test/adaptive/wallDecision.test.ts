/**
 * Walls on a plateau: a stray one (a stall bunched arrivals) costs its pause and at most one margin;
 * a second one right after it means the limit changed.
 */
import { describe, expect } from "@effect/vitest"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import { rateAtBurst } from "../../src/adaptive/bucketFit.js"
import * as WindowGate from "../../src/adaptive/windowGate.js"
import { prop } from "./prop.js"
import { docs, onPlateau, retryAfter, succeed, T0 } from "./wallFixtures.js"

describe("walls on a plateau", () => {
  prop(
    "a wall while holding at a pace an armed window gate in force kept under its quota: at most a margin under the pace or the quota's, never below 3.5 margins under the quota's pace, whatever the fit says (a limit change's hold, and a wall on the plateau, as without the gate)",
    [fc.double({ min: 5, max: 150, noNaN: true }), retryAfter, fc.integer({ min: 2000, max: 12_000 }), fc.double({ min: 1, max: 1.05, noNaN: true })],
    ([d, retryAfterMs, heldMs, over]) => {
      const c = Aimd.defaultConfig(d)
      const plateau = onPlateau(c, retryAfterMs)
      const held = succeed(c, { ...plateau.s, settledAt: Infinity }, plateau.t, plateau.t + heldMs)
      const at = held.t
      // A quota whose pace the plateau keeps under, by less than 3.5 margins.
      const quota = Math.ceil(held.s.rate * over)
      if (held.s.rate <= quota * (1 - 3.5 * c.ceilingMargin) * 1.001) return
      const gate = { ...WindowGate.make(null, quota, 1000, true)!, within: at - 2000 }
      const wall = (s: Aimd.AimdState) => Aimd.onBackoff(c, s, at, { sentAt: at - 2, retryAfterMs })
      const holding = { ...held.s, phase: "hold" as const, ceiling: null, ceilingHigh: held.s.rate * 1.33 }
      const bare = wall(holding)
      const after = wall({ ...holding, windowGate: gate })
      if (bare.phase === "hold" && bare.ceiling === null) expect(after.rate).toBe(bare.rate)
      else {
        expect(after.rate).toBeGreaterThanOrEqual(quota * (1 - 3.5 * c.ceilingMargin) - 1e-9)
        expect(after.rate).toBeGreaterThanOrEqual(Math.min(bare.rate, held.s.rate * (1 - c.ceilingMargin)) - 1e-9)
      }
      expect(wall({ ...held.s, windowGate: gate }).rate).toBe(wall(held.s).rate)
    },
    { fastCheck: { numRuns: 60 } }
  )

  prop(
    "a wall long after the plateau was reached keeps what was learned: one margin lower, or to a fit of the walls, at most three and a half below the docs' rate, which stands; the pause capped",
    [docs, retryAfter, fc.integer({ min: 2000, max: 12_000 }), fc.integer({ min: 1000, max: 120_000 })],
    ([d, retryAfterMs, heldMs, maxRetryAfterMs]) => {
      const c = { ...Aimd.defaultConfig(d), maxRetryAfterMs }
      const plateau = onPlateau(c, retryAfterMs)
      expect(plateau.s.phase).toBe("steady")
      expect(plateau.s.priorValid).toBe(true)
      const held = succeed(c, plateau.s, plateau.t, plateau.t + heldMs)
      const at = held.t
      const after = Aimd.onBackoff(c, held.s, at, { sentAt: at - 2, retryAfterMs })
      expect(after.rate).toBeGreaterThanOrEqual(held.s.ceiling! * (1 - 3.5 * c.ceilingMargin) - 1e-9)
      expect(after.rate).toBeLessThanOrEqual(Math.max(held.s.rate * (1 - c.ceilingMargin), held.s.ceiling! * (1 - 3.5 * c.ceilingMargin)) + 1e-9)
      expect(after.stray).not.toBeNull()
      expect(after.ceiling).toBe(held.s.ceiling)
      expect(after.priorValid).toBe(true)
      expect(after.cooldownUntil).toBeLessThanOrEqual(at + Math.min(retryAfterMs, maxRetryAfterMs))
    },
    { fastCheck: { numRuns: 60 } }
  )

  prop(
    "more of a stray wall's burst rejected (3, or 30% of the requests in flight): the limit changed, decided at once; fewer keep the stray reading",
    [docs, retryAfter, fc.integer({ min: 2000, max: 12_000 }), fc.integer({ min: 0, max: 400 })],
    ([d, retryAfterMs, heldMs, rttMs]) => {
      const c = Aimd.defaultConfig(d)
      const plateau = onPlateau(c, retryAfterMs)
      const held = succeed(c, { ...plateau.s, rttMs }, plateau.t, plateau.t + heldMs)
      const stray = Aimd.onBackoff(c, held.s, held.t, { sentAt: held.t - 2, retryAfterMs })
      expect(stray.stray).not.toBeNull()
      const needed = Math.max(3, Math.ceil((0.3 * stray.rate * rttMs) / 1000))
      // Answers of requests sent before the wall, arriving after it.
      let s = stray
      for (let i = 1; i < needed; i++) s = Aimd.onBackoff(c, s, held.t + i, { sentAt: held.t - 2 - i, retryAfterMs })
      expect(s.rate).toBe(stray.rate)
      expect(s.decreases).toBe(stray.decreases)
      const after = Aimd.onBackoff(c, s, held.t + needed, { sentAt: held.t - 2 - needed, retryAfterMs })
      expect(after.decreases).toBe(stray.decreases + 1)
      expect(after.priorValid).toBe(false)
      expect(after.rate).toBeLessThanOrEqual(held.s.rate * 0.75 + 1e-9)
      expect(after.cooldownUntil).toBeLessThanOrEqual(held.t + needed + retryAfterMs)
    },
    { fastCheck: { numRuns: 60 } }
  )

  prop(
    "another wall within a second of resuming after a stray one: the limit changed, the docs no longer stand and the pace drops",
    [docs, retryAfter, fc.integer({ min: 2000, max: 12_000 }), fc.integer({ min: 0, max: 900 })],
    ([d, retryAfterMs, heldMs, soonMs]) => {
      const c = Aimd.defaultConfig(d)
      const plateau = onPlateau(c, retryAfterMs)
      const held = succeed(c, plateau.s, plateau.t, plateau.t + heldMs)
      const stray = Aimd.onBackoff(c, held.s, held.t, { sentAt: held.t - 2, retryAfterMs })
      const at = stray.cooldownUntil + soonMs + 2
      const resumed = succeed(c, stray, stray.cooldownUntil, at - 2)
      const after = Aimd.onBackoff(c, resumed.s, at, { sentAt: at - 2, retryAfterMs })
      expect(after.priorValid).toBe(false)
      if (after.phase === "steady") {
        // The slow start's burst, in seconds of the docs' rate, read the change's cycle (`changedRead`): a rate below the wall's pace.
        expect(after.burstS).toBeDefined()
        expect(after.rate).toBeLessThan(stray.rate)
        expect(after.rate).toBeCloseTo(after.ceiling! * (1 - c.ceilingMargin / 2), 9)
      } else {
        expect(after.phase).toBe("hold")
        expect(after.rate).toBeLessThanOrEqual(stray.rate * 0.75 + 1e-9)
      }
      expect(after.cooldownUntil).toBeLessThanOrEqual(at + retryAfterMs)
    },
    { fastCheck: { numRuns: 60 } }
  )

  prop(
    "a stored state's malformed burst range (data from a shared store) is no reading: the next wall decides without it",
    [docs, retryAfter, fc.constantFrom<unknown>(null, [Number.NaN, 1], [1], "0.2", [-1, 2], { 0: 1, 1: 2 })],
    ([d, retryAfterMs, junk]) => {
      const c = Aimd.defaultConfig(d)
      const plateau = onPlateau(c, retryAfterMs)
      const held = succeed(c, plateau.s, plateau.t, plateau.t + 5000)
      const stray = Aimd.onBackoff(c, held.s, held.t, { sentAt: held.t - 2, retryAfterMs })
      const at = stray.cooldownUntil + 302
      const resumed = succeed(c, stray, stray.cooldownUntil, at - 2)
      const changed = Aimd.onBackoff(c, resumed.s, at, { sentAt: at - 2, retryAfterMs })
      const again = succeed(c, { ...changed, burstS: junk as never }, changed.cooldownUntil, changed.cooldownUntil + 3000)
      const after = Aimd.onBackoff(c, again.s, again.t, { sentAt: again.t - 2, retryAfterMs })
      expect(Number.isFinite(after.rate) && after.rate >= c.minRate && after.rate <= c.maxRate).toBe(true)
    },
    { fastCheck: { numRuns: 30 } }
  )

  prop(
    "that wall within 0.5 s of a whole pause, few requests in flight: half the pace, its short cycle kept for the fit; more in flight: a quarter lower",
    [docs, fc.integer({ min: 1000, max: 5000 }), fc.integer({ min: 2000, max: 12_000 }), fc.integer({ min: 0, max: 450 }), fc.boolean()],
    ([d, retryAfterMs, heldMs, soonMs, far]) => {
      const c = Aimd.defaultConfig(d)
      const plateau = onPlateau(c, retryAfterMs)
      const held = succeed(c, plateau.s, plateau.t, plateau.t + heldMs)
      const stray = Aimd.onBackoff(c, held.s, held.t, { sentAt: held.t - 2, retryAfterMs })
      const at = stray.cooldownUntil + soonMs + 2
      const resumed = succeed(c, stray, stray.cooldownUntil, at - 2)
      // Two round trips of requests in flight at the wall's pace, or none measured.
      const rttMs = far ? (2000 * 2) / stray.rate : 0
      const after = Aimd.onBackoff(c, { ...resumed.s, rttMs }, at, { sentAt: at - 2, retryAfterMs })
      // Read at once from the slow start's burst (`changedRead`): below the wall's pace, the cycle kept.
      if (after.phase === "steady") {
        expect(after.rate).toBeLessThan(stray.rate)
        expect(after.cycles).toHaveLength(1)
        return
      }
      expect(after.phase).toBe("hold")
      if (far && resumed.s.successesSinceDecrease >= 5) {
        // A quarter lower, or lower still where the change's loose reading puts the new rate (`changedRead`'s `atBurst`).
        expect(after.rate).toBeLessThanOrEqual(stray.rate * 0.75 + 1e-9)
        const b = after.burstS
        const read = b === undefined ? undefined : rateAtBurst(resumed.s.paceLog, { ...resumed.s.cycle!, wallAt: at - 2 }, (b[0] + b[1]) / 2, c.minRate, stray.rate)
        expect(after.rate).toBeGreaterThanOrEqual(Math.min(stray.rate * 0.5, read ?? Infinity) * (1 - 1e-3))
      } else {
        expect(after.rate).toBeLessThanOrEqual(stray.rate * 0.5 + 1e-9)
        if (!far) expect(after.cycles).toHaveLength(1)
      }
    },
    { fastCheck: { numRuns: 60 } }
  )

  prop(
    "a wall within a second of resuming on a plateau cut after a whole pause: the limit changed, the pace drops a quarter at least; after a short pause no such reading",
    [docs, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 5 }), fc.boolean()],
    ([d, accepted, since, whole]) => {
      const c = Aimd.defaultConfig(d)
      const retryAfterMs = whole ? 1000 : 300
      // The slow start's wall leaves the docs' plateau; a wall within a second of resuming there, too
      // few accepted for a fit, is evidence: a cut.
      const start = succeed(c, Aimd.initial(c), T0, T0 + 600)
      const walled = Aimd.onBackoff(c, start.s, start.t, { sentAt: start.t - 2, retryAfterMs })
      const early = succeed(c, walled, walled.cooldownUntil, walled.cooldownUntil + Math.min(900, ((accepted - 0.5) * 1000) / walled.rate))
      const wallAt = Math.min(early.t, walled.cooldownUntil + 950)
      const cut = Aimd.onBackoff(c, early.s, wallAt, { sentAt: wallAt - 2, retryAfterMs })
      expect(cut.phase).toBe("steady")
      expect(cut.rate).toBeLessThan(early.s.rate)
      expect(cut.stray?.cut === true).toBe(whole)
      // `since` accepted after resuming on the cut, within a second.
      const at = cut.cooldownUntil + Math.min(900, ((since + 0.5) * 1000) / cut.rate) + 2
      const resumed = succeed(c, cut, cut.cooldownUntil, at - 2)
      const after = Aimd.onBackoff(c, resumed.s, at, { sentAt: at - 2, retryAfterMs })
      if (!whole) return
      expect(after.phase).toBe("hold")
      expect(after.ceiling).toBeNull()
      expect(after.rate).toBeLessThanOrEqual(cut.rate * 0.75 + 1e-9)
    },
    { fastCheck: { numRuns: 60 } }
  )

  prop(
    "stray walls never take the plateau more than three and a half margins below the estimated rate",
    [docs, fc.array(fc.integer({ min: 2000, max: 6000 }), { minLength: 1, maxLength: 4 })],
    ([d, gaps]) => {
      const c = Aimd.defaultConfig(d)
      let { s, t } = onPlateau(c, 1000)
      const ceiling = s.ceiling!
      for (const gap of gaps) {
        const held = succeed(c, s, t, t + gap)
        const after = Aimd.onBackoff(c, held.s, held.t, { sentAt: held.t - 2, retryAfterMs: 1000 })
        if (after.stray === null || after.stray.cut === true) break
        expect(after.rate).toBeGreaterThanOrEqual(ceiling * (1 - 3.5 * c.ceilingMargin) - 1e-9)
        s = after
        t = after.cooldownUntil
      }
    },
    { fastCheck: { numRuns: 40 } }
  )
})
