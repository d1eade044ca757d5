/**
 * After the walls: probing the range they left open, resuming below a wall, a fit pinned low, walls
 * refuting the docs, the slow start's wall and probes above a window quota kept under.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import { rateAtBurst } from "../../src/adaptive/bucketFit.js"
import * as FitResume from "../../src/adaptive/fitResume.js"
import * as Wall from "../../src/adaptive/wallDecision.js"
import * as WallWindow from "../../src/adaptive/wallWindow.js"
import * as WindowGate from "../../src/adaptive/windowGate.js"
import { prop } from "./prop.js"
import { retryAfter, succeed, T0 } from "./wallFixtures.js"

describe("probing the range the walls left open", () => {
  const probeRange = (c: Aimd.AimdConfig, pauseMs: number, softWall = false) => {
    // A wall at 60 nothing explained: resumed at 45, the server's rate lies in [45, 60].
    const s0: Aimd.AimdState = { ...Aimd.initial(c), phase: "hold", rate: 45, ceiling: null, ceilingHigh: 60, cooldownUntil: T0 + pauseMs, lastDecreaseAt: T0, softWall }
    let { s, t } = succeed(c, s0, T0 + pauseMs, T0 + pauseMs + c.recoveryMs + 100)
    const rates: Array<number> = []
    while (s.phase !== "steady" || rates.length === 0) {
      if (s.phase === "probe" && rates[rates.length - 1] !== s.rate) rates.push(s.rate)
      ;({ s, t } = succeed(c, s, t, t + 100))
      if (t > T0 + 60_000) break
    }
    // Geometric steps towards 60, each held a second, never at or past it.
    expect(rates.length).toBeGreaterThan(1)
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeGreaterThan(rates[i - 1]!)
    expect(Math.max(...rates)).toBeLessThan(60)
    expect(s.phase).toBe("steady")
    expect(s.ceilingHigh).toBeNull()
    expect(s.probeAt).toBeGreaterThanOrEqual(t - 200 + c.steadyMs)
    return { s, rates }
  }

  it("steps into it at once; after a Retry-After settles on the step below its top (the pace of the wall met before)", () => {
    const c = Aimd.defaultConfig(50)
    const { rates, s } = probeRange(c, 1000)
    expect(s.rate).toBe(rates[rates.length - 2])
  })

  it("after a 429 without a pause settles a margin below the step held (another wall costs one request); after a bare 503 on the step below", () => {
    const c = Aimd.defaultConfig(50)
    const { rates, s } = probeRange(c, 0)
    expect(s.rate).toBeCloseTo(Math.max(rates[rates.length - 2]!, rates[rates.length - 1]! * (1 - c.ceilingMargin)), 9)
    expect(s.rate).toBeGreaterThan(rates[rates.length - 2]!)
    const soft = probeRange(c, 0, true)
    expect(soft.s.rate).toBe(soft.rates[soft.rates.length - 2])
  })

  prop(
    "a step held a second at or above the pace of a 429 without a pause shows it was no limit: the probe goes on",
    [fc.double({ min: 5, max: 500, noNaN: true }), fc.double({ min: 0.9, max: 1, noNaN: true })],
    ([rate, below]) => {
      const c = Aimd.defaultConfig(rate)
      const s0: Aimd.AimdState = {
        ...Aimd.initial(c),
        phase: "probe",
        rate,
        ceiling: rate * 0.96,
        ceilingHigh: rate * below,
        probeStartedAt: T0,
        cooldownUntil: T0,
        lastDecreaseAt: T0
      }
      const { s } = succeed(c, s0, T0, T0 + 1300)
      expect(s.phase).toBe("probe")
      expect(s.rate).toBeGreaterThan(rate)
      expect(s.ceilingHigh).toBeNull()
      // After a Retry-After, the same step settles below the wall's pace.
      const paused = succeed(c, { ...s0, cooldownUntil: T0, lastDecreaseAt: T0 - 500 }, T0, T0 + 1300).s
      expect(paused.phase).toBe("steady")
    }
  )
})

describe("resuming below a wall without a pause", () => {
  prop(
    "a 429 met with fewer than 2 requests in flight resumes 10% below it; a bare 503, or more in flight, a quarter below",
    [fc.double({ min: 1, max: 500, noNaN: true }), fc.double({ min: 0, max: 1000, noNaN: true })],
    ([d, rttMs]) => {
      const c = Aimd.defaultConfig(d)
      // The documented rate itself meets the wall: nothing to fit, the docs do not stand.
      const s0: Aimd.AimdState = { ...Aimd.initial(c), rttMs }
      const hard = Aimd.onBackoff(c, s0, T0, { sentAt: T0 })
      const soft = Aimd.onBackoff(c, s0, T0, { sentAt: T0, soft: true })
      expect(hard.rate).toBeCloseTo(Aimd.clamp(c, d * ((rttMs * d) / 1000 < 2 ? 0.9 : 0.75)), 9)
      expect(soft.rate).toBeCloseTo(Aimd.clamp(c, d * 0.75), 9)
      expect(hard.cooldownUntil).toBe(0)
    }
  )
})


describe("a fit pinned to the lower bound", () => {
  prop(
    "a wall soon after resuming below the first one, read as a rate far below it, is no fit: the pace holds a quarter below this wall, never below half of it",
    [fc.double({ min: 20, max: 500, noNaN: true }), fc.integer({ min: 2500, max: 3500 }), fc.integer({ min: 200, max: 500 })],
    ([d, slowStartMs, holdMs]) => {
      const c = Aimd.defaultConfig(d)
      // Slow start meets the wall far above the docs; the pace holds a quarter below it.
      const start = succeed(c, Aimd.initial(c), T0, T0 + slowStartMs)
      const first = Aimd.onBackoff(c, start.s, start.t, { sentAt: start.t - 2, retryAfterMs: 1000 })
      expect(first.phase).toBe("hold")
      // A stall meets the wall a few hundred ms after resuming: few requests accepted since the first.
      const held = succeed(c, first, first.cooldownUntil, first.cooldownUntil + holdMs)
      const after = Aimd.onBackoff(c, held.s, held.t, { sentAt: held.t - 2, retryAfterMs: 1000 })
      expect(after.rate).toBeGreaterThanOrEqual(first.rate * 0.5)
      if (after.phase === "hold") {
        expect(after.rate).toBeGreaterThanOrEqual(first.rate * 0.75 - 1e-9)
        expect(after.ceilingHigh).toBe(first.rate)
      }
    },
    { fastCheck: { numRuns: 60 } }
  )

  prop(
    "after a slow start whose load ramped under the docs' pace (the log overstating what went out), the hold's wall is never read as a rate below 0.69 of the hold",
    [fc.double({ min: 20, max: 500, noNaN: true }), fc.integer({ min: 600, max: 1000 }), fc.integer({ min: 900, max: 2000 })],
    ([d, wallMs, holdMs]) => {
      const c = Aimd.defaultConfig(d)
      // Answers at a quarter of the docs' rate: the pace stays at the docs' (the fit reads it as sent).
      let s = Aimd.initial(c)
      for (let t = 0; t < wallMs; t += 4000 / d) s = Aimd.onSuccess(c, s, T0 + t, { sentAt: T0 + t - 2 })
      const first = Aimd.onBackoff(c, s, T0 + wallMs, { sentAt: T0 + wallMs - 2, retryAfterMs: 1000 })
      expect(first.lastDecreaseRate).toBe(d)
      const held = succeed(c, first, first.cooldownUntil, first.cooldownUntil + holdMs)
      const after = Aimd.onBackoff(c, held.s, held.t, { sentAt: held.t - 2, retryAfterMs: 1000 })
      expect(after.rate).toBeGreaterThanOrEqual(first.rate * 0.69)
    },
    { fastCheck: { numRuns: 60 } }
  )
})

describe("a wall refuting the docs", () => {
  prop(
    "a fit far below the docs refutes them only from a cycle of two round trips or more; a shorter one moves the plateau at most 10% below the wall",
    // Cycles up to 0.9 s: one of ~0.94 s or more after the 1 s pause fits half answered as a bucket at
    // 0.6 of the docs (16 of 7,446 grid points), the refutation's edge, not a short cycle.
    [fc.double({ min: 50, max: 500, noNaN: true }), fc.integer({ min: 500, max: 900 }), fc.integer({ min: 0, max: 1000 })],
    ([d, cycleMs, rttMs]) => {
      const c = Aimd.defaultConfig(d)
      // The slow start's wall leaves the docs' rate standing; the plateau resumes there.
      const start = succeed(c, Aimd.initial(c), T0, T0 + 600)
      const first = Aimd.onBackoff(c, { ...start.s, rttMs }, start.t, { sentAt: start.t - 2, retryAfterMs: 1000 })
      expect(first.priorValid).toBe(true)
      // Within a second of resuming (evidence, not a stray wall), half of what went out was answered
      // (at least 10 successes: a fit).
      let s = first
      let t = first.cooldownUntil
      for (let i = 0; t < first.cooldownUntil + cycleMs; i++, t += 1000 / s.rate) {
        if (i % 2 === 0) s = Aimd.onSuccess(c, s, t, { sentAt: t - 2 })
      }
      const wallPace = s.rate
      const after = Aimd.onBackoff(c, s, t, { sentAt: t - 2, retryAfterMs: 1000 })
      expect(after.priorValid).toBe(false)
      if (t - 2 - first.cooldownUntil < 2 * (s.rttMs ?? 0)) expect(after.rate).toBeGreaterThanOrEqual(wallPace * 0.9 - 1e-9)
      // Refuted by a fit far below; when the rates fitting about as well span more than 1.3x
      // (`WIDE_FIRST`), the fit is dropped and the hold goes on a quarter below the wall.
      else if (after.phase === "hold") expect(after.rate).toBeCloseTo(wallPace * 0.75, 6)
      else expect(after.rate).toBeLessThan(d * 0.6)
    },
    { fastCheck: { numRuns: 60 } }
  )
})

describe("the slow start's wall", () => {
  prop(
    "met at the docs' pace (they overstate the limit) with a pause of a second or more: the hold resumes at 0.55 of its pace, near the limit; after a cheap pause or a ramp far above the docs, a quarter below",
    [fc.double({ min: 40, max: 500, noNaN: true }), retryAfter, fc.integer({ min: 2500, max: 3500 })],
    ([d, retryAfterMs, slowStartMs]) => {
      const c = Aimd.defaultConfig(d)
      // Answers at a quarter of the docs' rate (latency caps what goes out): the pace stays at the docs'.
      let s = Aimd.initial(c)
      for (let t = 0; t < 1000; t += 4000 / d) s = Aimd.onSuccess(c, s, T0 + t, { sentAt: T0 + t - 2 })
      expect(s.rate).toBe(d)
      const walled = Aimd.onBackoff(c, s, T0 + 1000, { sentAt: T0 + 998, retryAfterMs })
      expect(walled.phase).toBe("hold")
      expect(walled.rate).toBeCloseTo(d * 0.55, 6)
      expect(walled.ceilingHigh).toBe(d)
      expect(Aimd.onBackoff(c, s, T0 + 1000, { sentAt: T0 + 998, retryAfterMs: 200 }).rate).toBeCloseTo(d * 0.75, 6)
      // A ramp to several times the docs overshoots a small bucket by a third at most: a quarter below,
      // after a whole pause no higher than a bucket of 0.1 s of its rate explains the ramp's wall with.
      const ramp = succeed(c, Aimd.initial(c), T0, T0 + slowStartMs)
      const high = Aimd.onBackoff(c, ramp.s, ramp.t, { sentAt: ramp.t - 2, retryAfterMs })
      expect(high.lastDecreaseRate!).toBeGreaterThan(2 * d)
      expect(high.phase).toBe("hold")
      const cycle = { start: "full" as const, from: ramp.s.cycle!.from, resumeAt: ramp.s.cycle!.resumeAt, wallAt: ramp.t - 2 }
      const cap = retryAfterMs >= 500 ? rateAtBurst(ramp.s.paceLog, cycle, 0.1, c.minRate, high.lastDecreaseRate!) : undefined
      expect(high.rate).toBeCloseTo(Math.min(high.lastDecreaseRate! * 0.75, cap === undefined ? Infinity : cap * (1 - c.ceilingMargin / 2)), 6)
      expect(high.rate).toBeLessThanOrEqual(high.lastDecreaseRate! * 0.75 + 1e-9)
    },
    { fastCheck: { numRuns: 40 } }
  )
})

describe("a probe, or a hold, above a window quota kept under", () => {
  const decision = (rate: number): Wall.Decision => ({
    rate, phase: "steady", ceiling: rate, ceilingHigh: null, priorValid: false, cycles: [], probeGapMs: 60_000, stray: false, probeSoon: false
  })
  prop(
    "its wall resumes at the quota (a hold's only when armed), never below it, and closes the range; a wall at or below the quota, another phase, no gate or a stray wall: the decision stands",
    [fc.integer({ min: 2, max: 200 }), fc.integer({ min: 1, max: 5 }), fc.double({ min: 1.001, max: 3, noNaN: true }), fc.double({ min: 0.01, max: 0.98, noNaN: true })],
    ([quota, secs, over, below]) => {
      const c = Aimd.defaultConfig(quota / secs)
      const gate = WindowGate.make(null, quota, secs * 1000, true)
      const s: Aimd.AimdState = { ...Aimd.initial(c), phase: "probe", windowGate: gate }
      const perWindow = quota / secs
      const d = decision(perWindow * below)
      const after = WallWindow.aboveWindow(c, s, perWindow * over, d)
      expect(after.rate).toBeCloseTo(perWindow * (1 - c.ceilingMargin / 2), 9)
      expect(after.ceilingHigh).toBeNull()
      expect(after.probeSoon).toBe(false)
      expect(after.probeGapMs).toBe(d.probeGapMs)
      expect(WallWindow.aboveWindow(c, s, perWindow, d)).toBe(d)
      expect(WallWindow.aboveWindow(c, { ...s, phase: "hold" }, perWindow * over, d).rate).toBe(after.rate)
      expect(WallWindow.aboveWindow(c, { ...s, phase: "hold", windowGate: { ...gate!, armed: false } }, perWindow * over, d)).toBe(d)
      expect(WallWindow.aboveWindow(c, { ...s, phase: "steady" }, perWindow * over, d)).toBe(d)
      expect(WallWindow.aboveWindow(c, { ...s, windowGate: null }, perWindow * over, d)).toBe(d)
      const stray = { ...d, stray: true }
      expect(WallWindow.aboveWindow(c, s, perWindow * over, stray)).toBe(stray)
      const higher = decision(perWindow * over)
      expect(WallWindow.aboveWindow(c, s, perWindow * over, higher)).toBe(higher)
    }
  )

  prop(
    "whatever the decision below the wall's pace and the margin: the rate stays under the wall's pace, at most the quota per window when the decision was, never lowered",
    [
      fc.integer({ min: 2, max: 200 }),
      fc.integer({ min: 1, max: 60 }),
      fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.constantFrom<Aimd.AimdState["phase"]>("probe", "steady")
    ],
    ([quota, secs, wallOver, share, margin, phase]) => {
      const c = { ...Aimd.defaultConfig(quota / secs), ceilingMargin: margin }
      const s: Aimd.AimdState = { ...Aimd.initial(c), phase, windowGate: WindowGate.make(null, quota, secs * 1000, true) }
      const perWindow = quota / secs
      // A wall at any pace (below, at or above the quota), a decision below it.
      const wallPace = perWindow * wallOver
      const d = decision(wallPace * share)
      const after = WallWindow.aboveWindow(c, s, wallPace, d)
      expect(after.rate).toBeLessThan(wallPace)
      if (d.rate <= perWindow) expect(after.rate).toBeLessThanOrEqual(perWindow)
      expect(after.rate).toBeGreaterThanOrEqual(d.rate)
    }
  )
})

describe("the range a fit leaves open", () => {
  const rate = fc.double({ min: 0.01, max: 10_000, noNaN: true })
  prop(
    "is probed soon only above the fit: 5% above it, 20% above a first fit that credits a burst; trusting a fit only ever delays the probe",
    [rate, fc.double({ min: 0, max: 3, noNaN: true })],
    ([r, share]) => {
      const high = r * share
      const soon = FitResume.probeOpenRangeSoon(r, high, false)
      const trusted = FitResume.probeOpenRangeSoon(r, high, true)
      expect(soon).toBe(high > r * 1.05)
      expect(trusted).toBe(high > r * 1.2)
      if (trusted) expect(soon).toBe(true)
    }
  )

  prop(
    "a first fit credits a burst 30% over a lower bound measured; with none (0) it credits nothing",
    [fc.double({ min: 0.01, max: 1e4, noNaN: true }), fc.double({ min: 0, max: 1e4, noNaN: true })],
    ([rate, lower]) => {
      expect(FitResume.creditsBurst(rate, lower)).toBe(lower > 0 && rate > lower * 1.3)
      expect(FitResume.creditsBurst(rate, 0)).toBe(false)
    }
  )

  prop(
    "a first fit whose slow start met its wall flat at maxRate resumes at the geometric middle of a range over 1.3 wide, inside it; a narrower range or any other first fit keeps the best fit",
    [fc.double({ min: 0.01, max: 1e4, noNaN: true }), fc.double({ min: 1, max: 4, noNaN: true }), fc.boolean()],
    ([low, ratio, flat]) => {
      const high = low * ratio
      const mid = FitResume.flatFirstRate({ low, high }, flat)
      if (!flat || !(high > low * 1.3)) expect(mid).toBeUndefined()
      else {
        expect(mid).toBeCloseTo(Math.sqrt(low * high), 6)
        expect(mid!).toBeGreaterThanOrEqual(low)
        expect(mid!).toBeLessThanOrEqual(high)
      }
    }
  )

  prop(
    "a fit crediting less than 0.1 s of burst resumes at the geometric middle of its rate and the lowest rate open, inside them; a fit with a burst keeps its rate",
    [fc.double({ min: 0.01, max: 1e4, noNaN: true }), fc.double({ min: 0.2, max: 1, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true })],
    ([rate, share, burstS]) => {
      const low = rate * share
      const mid = FitResume.thinBurstRate({ rate, low, burst: rate * burstS })
      if (!(burstS < 0.1)) expect(mid).toBeUndefined()
      else {
        expect(mid).toBeCloseTo(Math.sqrt(low * rate), 6)
        expect(mid!).toBeGreaterThanOrEqual(low * (1 - 1e-12))
        expect(mid!).toBeLessThanOrEqual(rate * (1 + 1e-12))
      }
    }
  )

  it("a 0.1 s bucket of 50 fitted 51.0 with 3.3 requests (46.1 open) resumes under 50", () => {
    expect(FitResume.thinBurstRate({ rate: 51, low: 46.1, burst: 3.3 })).toBeCloseTo(48.49, 1)
    expect(FitResume.thinBurstRate({ rate: 47.2, low: 46.4, burst: 5.7 })).toBeUndefined()
  })

  it("the 0.5 s bucket's flat first fit (36-72 open for 50) resumes near 50, not at either end", () => {
    expect(FitResume.flatFirstRate({ low: 36.2, high: 72 }, true)).toBeCloseTo(51.05, 1)
    expect(FitResume.flatFirstRate({ low: 36.2, high: 72 }, false)).toBeUndefined()
  })

  it("10-20% open above a trusted first fit waits for the probe interval; the same range above any other fit is probed soon", () => {
    expect(FitResume.probeOpenRangeSoon(49.9, 56.7, true)).toBe(false)
    expect(FitResume.probeOpenRangeSoon(49.9, 56.7, false)).toBe(true)
    expect(FitResume.probeOpenRangeSoon(37.4, 69.9, true)).toBe(true)
  })
})

describe("a probe reaching the top of its range under a window quota kept under", () => {
  prop(
    "settles half a margin under the top (or the quota's pace), never below the step held, when an armed gate's quota covers the step (the gate keeps it off the wall); on the step below without a gate or above its quota",
    [fc.integer({ min: 10, max: 200 }), fc.double({ min: 0.8, max: 0.99, noNaN: true }), fc.double({ min: 0.9, max: 0.99, noNaN: true })],
    ([quota, share, below]) => {
      const c = Aimd.defaultConfig(quota)
      const rate = quota * share
      const probing: Aimd.AimdState = {
        ...Aimd.initial(c), phase: "probe", rate, ceiling: rate * below, ceilingHigh: rate * 1.02, probeStartedAt: T0,
        lastDecreaseAt: T0 - 5000, cooldownUntil: T0 - 4000, lastSuccessAt: T0 + 1000
      }
      const at = T0 + 1001
      const gated = { ...probing, windowGate: WindowGate.make(null, quota, 1000, true) }
      const top = Math.max(rate, Math.min(rate * 1.02, quota) * (1 - c.ceilingMargin / 2))
      expect(Aimd.onSuccess(c, gated, at, { sentAt: at - 2 }).rate).toBeCloseTo(top, 9)
      // Unarmed (the docs' quota under test), the step held stays.
      const unarmed = { ...probing, windowGate: WindowGate.make(null, quota, 1000, false) }
      expect(Aimd.onSuccess(c, unarmed, at, { sentAt: at - 2 }).rate).toBeCloseTo(rate, 9)
      expect(Aimd.onSuccess(c, probing, at, { sentAt: at - 2 }).rate).toBeCloseTo(rate * below, 9)
      const over = { ...probing, windowGate: WindowGate.make(null, Math.floor(rate) - 1, 1000, true) }
      expect(Aimd.onSuccess(c, over, at, { sentAt: at - 2 }).rate).toBeCloseTo(rate * below, 9)
      // A stored gate is data from outside: a malformed one (a negative window) keeps nothing.
      const corrupt = { ...probing, windowGate: { ...WindowGate.make(null, quota, 1000, true)!, windowMs: -1 } }
      expect(Aimd.onSuccess(c, corrupt, at, { sentAt: at - 2 }).rate).toBeCloseTo(rate * below, 9)
    }
  )
})

describe("a probe of a narrow range under an armed window gate", () => {
  prop(
    "steps at once to half a margin under the top or the quota's pace (a wider range is cut at the quota's pace; no gate: to the geometric middle)",
    [fc.integer({ min: 10, max: 200 }), fc.double({ min: 0.85, max: 0.97, noNaN: true }), fc.double({ min: 1.05, max: 1.19, noNaN: true })],
    ([quota, share, span]) => {
      const c = Aimd.defaultConfig(quota)
      const rate = quota * share
      const steady: Aimd.AimdState = {
        ...Aimd.initial(c), phase: "steady", rate, ceiling: rate, ceilingHigh: rate * span, probeAt: T0,
        lastDecreaseAt: T0 - 5000, cooldownUntil: T0 - 4000, lastSuccessAt: T0 - 10
      }
      const gated = { ...steady, windowGate: WindowGate.make(null, quota, 1000, true) }
      const top = Math.max(rate, Math.min(rate * span, quota) * (1 - c.ceilingMargin / 2))
      expect(Aimd.onSuccess(c, gated, T0, { sentAt: T0 - 2 }).rate).toBeCloseTo(top, 9)
      expect(Aimd.onSuccess(c, steady, T0, { sentAt: T0 - 2 }).rate).toBeCloseTo(Math.sqrt(rate * rate * span), 9)
      // A wider range reaches above the quota (`capAtQuota`): probed to half a margin under its pace.
      const wide = { ...gated, ceilingHigh: rate * 1.3 }
      const probed = Aimd.onSuccess(c, wide, T0, { sentAt: T0 - 2 })
      expect(probed.rate).toBeCloseTo(quota * (1 - c.ceilingMargin / 2), 9)
      expect(probed.ceilingHigh).toBeCloseTo(quota, 9)
      expect(Aimd.onSuccess(c, { ...steady, ceilingHigh: rate * 1.3 }, T0, { sentAt: T0 - 2 }).rate).toBeCloseTo(rate * Math.sqrt(1.3), 9)
    }
  )
})

describe("a probe under an armed window gate whose pace is the plateau's", () => {
  prop(
    "ends at once, settled (it stepped in place every second, its step doubling without end)",
    [fc.integer({ min: 10, max: 200 }), fc.double({ min: 1.06, max: 1.2, noNaN: true }), fc.double({ min: 0, max: 0.02, noNaN: true })],
    ([quota, span, above]) => {
      const c = Aimd.defaultConfig(quota)
      // What `atLeast` leaves: the rate half a margin under a padded gate's pace (50 per 1005 ms), or above it.
      const gate = WindowGate.make(null, quota, 1005, true)!
      const rate = ((quota * 1000) / 1005) * (1 - c.ceilingMargin / 2) * (1 + above)
      const steady: Aimd.AimdState = {
        ...Aimd.initial(c), phase: "steady", rate, ceiling: rate, ceilingHigh: rate * span, probeAt: T0,
        lastDecreaseAt: T0 - 5000, cooldownUntil: T0 - 4000, lastSuccessAt: T0 - 10, windowGate: gate
      }
      const { s } = succeed(c, steady, T0, T0 + 8000)
      expect(s.phase).toBe("steady")
      expect(s.ceilingHigh).toBeNull()
      expect(s.rate).toBeCloseTo(rate, 9)
      expect(s.probeStep).toBeLessThan(1)
    }
  )
})

describe("the docs' count per window met at the slow start's wall", () => {
  /** `n` successes paced at the state's rate from `from` (sent 2 ms before each answer). */
  const accept = (c: Aimd.AimdConfig, s0: Aimd.AimdState, from: number, n: number) => {
    let s = s0
    let t = Math.max(from, s.cooldownUntil)
    for (let i = 0; i < n; i++) {
      s = Aimd.onSuccess(c, s, t, { sentAt: t - 2 })
      t += 1000 / s.rate
    }
    return { s, t }
  }
  prop(
    "is tested, not kept: the pace resumes a step above it with the gate unarmed; a second window of that count arms it below the quota; none (a bucket of ~the same count) settles below the docs, unarmed",
    [fc.integer({ min: 10, max: 200 })],
    ([quota]) => {
      const c = Aimd.defaultConfig(quota)
      const start = accept(c, Aimd.initial(c), T0, quota)
      const first = Aimd.onBackoff(c, start.s, start.t, { sentAt: start.t - 2, retryAfterMs: 1000 })
      const gate = first.windowGate!
      expect([gate.quota, gate.armed]).toEqual([quota, false])
      const perWindow = (quota * 1000) / gate.windowMs
      expect(first.phase).toBe("probe")
      expect(first.rate).toBeGreaterThan(perWindow)
      // A window: the same count from the empty window (sent after the pause), then its wall.
      const window = accept(c, first, first.cooldownUntil + 2, quota)
      const second = Aimd.onBackoff(c, window.s, window.t, { sentAt: window.t - 2, retryAfterMs: 1000 })
      expect(second.windowGate?.armed).toBe(true)
      expect(second.rate).toBeLessThanOrEqual(perWindow)
      // A bucket: no wall within the test.
      const bucket = succeed(c, first, first.cooldownUntil, first.cooldownUntil + 3000).s
      expect(bucket.phase).toBe("steady")
      expect(bucket.rate).toBeLessThan(quota)
      expect(bucket.windowGate?.armed).toBe(false)
    },
    { fastCheck: { numRuns: 60 } }
  )
})
