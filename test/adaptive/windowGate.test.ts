/**
 * The window gate: the pace it lets go on never finds a known quota spent within its horizon, it
 * does not pause needlessly, and its log and round trip stay consistent.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import * as WindowGate from "../../src/adaptive/windowGate.js"
import { prop } from "./prop.js"

const W = 1000
const NOW = 100_000

/** A gate of `quota` per second whose log holds `times` (ms before `NOW`, inside the window). */
const gateWith = (quota: number, times: ReadonlyArray<number>): WindowGate.Gate => ({
  ...WindowGate.make(null, quota, W, true)!,
  log: times.map((t) => NOW - t).sort((a, b) => a - b)
})

const arbGate = fc.integer({ min: 2, max: WindowGate.MAX_QUOTA }).chain((quota) =>
  fc.tuple(fc.constant(quota), fc.array(fc.integer({ min: 0, max: W - 1 }), { maxLength: 2 * quota }))
)
const arbInflight = fc.double({ min: 0, max: 20, noNaN: true })
const arbLead = fc.double({ min: 0, max: 200, noNaN: true })
const arbRate = fc.double({ min: 1, max: 500, noNaN: true })

/** Entries still in the window when a request arrives at `arrival`. */
const inWindow = (g: WindowGate.Gate, arrival: number) => g.log.filter((t) => t > arrival - g.windowMs).length

describe("window gate", () => {
  prop(
    "keptUnder: a pace sends at most the quota per window; no gate (or a malformed one, through sane) keeps nothing",
    [arbGate, arbRate, fc.constantFrom(-1, 0, NaN, Infinity)],
    ([[quota, times], rate, windowMs]) => {
      const g = gateWith(quota, times)
      expect(WindowGate.keptUnder(g, rate)).toBe((rate * g.windowMs) / 1000 <= quota)
      expect(WindowGate.keptUnder(null, rate)).toBe(false)
      expect(WindowGate.keptUnder(WindowGate.sane({ ...g, windowMs }, NOW), rate)).toBe(false)
    }
  )

  /**
   * `openAt` dates a request's arrival exactly when an entry leaves (entry + window); the arrival
   * recomputed here in another order of operations rounds up to a few ulps either side (~6 roundings
   * of numbers near `NOW`), so it is read 4 ulps later: a request that early arrives at the same instant.
   */
  const noneFindsSpent = ([[quota, times], inflight, lead, rate]: [[number, Array<number>], number, number, number]) => {
    const g = gateWith(quota, times)
    const at = WindowGate.openAt(g, NOW, inflight, lead, rate)
    expect(at).toBeGreaterThanOrEqual(NOW)
    const before = Math.floor(inflight)
    for (let j = 0; j * (1000 / rate) <= WindowGate.HORIZON_MS && before + j < quota; j++) {
      const arrival = at + j * (1000 / rate) + lead
      expect(inWindow(g, arrival + 4 * Number.EPSILON * arrival) + before + j + 1).toBeLessThanOrEqual(quota)
    }
  }

  prop(
    "resuming at openAt, no request the pace sends within the horizon finds the quota spent",
    [arbGate, arbInflight, arbLead, arbRate],
    noneFindsSpent
  )

  it("resuming at openAt: the arrival recomputed 1 ulp before the entry left still finds room (fast-check's counterexample)", () => {
    // openAt 100860.67203900835; 3 gaps and the lead later: 100999.99999999999, not 101000.
    noneFindsSpent([[4, [0]], 0, 7.428752724081279e-9, 21.53193069652446])
  })

  prop(
    "it pauses only when a request would find the quota spent: a millisecond sooner, one would",
    [arbGate, arbInflight, arbLead, arbRate],
    ([[quota, times], inflight, lead, rate]) => {
      const g = gateWith(quota, times)
      const at = WindowGate.openAt(g, NOW, inflight, lead, rate)
      if (at === NOW || Math.floor(inflight) >= quota) return
      const sooner = at - 1
      let spent = false
      for (let j = 0; j * (1000 / rate) <= WindowGate.HORIZON_MS && Math.floor(inflight) + j < quota; j++) {
        if (inWindow(g, sooner + j * (1000 / rate) + lead) + Math.floor(inflight) + j + 1 > quota) spent = true
      }
      expect(spent).toBe(true)
    }
  )

  it("an empty log does not pause; a full one pauses until its oldest entry leaves", () => {
    const empty = gateWith(50, [])
    expect(WindowGate.openAt(empty, NOW, 0, 2, 49)).toBe(NOW)
    const full = gateWith(10, [900, 800, 700, 600, 500, 400, 300, 200, 100, 0])
    expect(WindowGate.openAt(full, NOW, 0, 0, 5)).toBe(NOW - 900 + W)
  })

  prop(
    "record keeps the log ascending, inside the window, at most twice the quota",
    [arbGate, fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 50 })), { maxLength: 300 })],
    ([[quota, times], answers]) => {
      let g = gateWith(quota, times)
      let now = NOW
      for (const [rtt, step] of answers) {
        now += step
        g = WindowGate.record(g, now - rtt, now)
        expect(g.log.every((t, i) => i === 0 || g.log[i - 1]! <= t)).toBe(true)
        expect(g.log.every((t) => t > now - W && t <= now)).toBe(true)
        expect(g.log.length).toBeLessThanOrEqual(2 * quota)
      }
    }
  )

  prop(
    "paceCap: the quota per window without jitter, lower the more jitter, never below half of it; paced keeps the lower",
    [arbGate, fc.double({ min: 0, max: 1000, noNaN: true }), fc.double({ min: 0, max: 5000, noNaN: true }), arbRate],
    ([[quota], base, extra, rate]) => {
      const g = { ...WindowGate.make(null, quota, W, true)!, rttMs: base }
      const full = (quota * 1000) / W
      expect(WindowGate.paceCap(g, base)).toBeCloseTo(full, 9)
      expect(WindowGate.paceCap(g, base / 2)).toBeCloseTo(full, 9)
      expect(WindowGate.paceCap({ ...g, rttMs: null }, base + extra)).toBeCloseTo(full, 9)
      const cap = WindowGate.paceCap(g, base + extra)
      expect(cap).toBeLessThanOrEqual(WindowGate.paceCap(g, base + extra / 2))
      expect(cap).toBeGreaterThanOrEqual(full / 2)
      expect(cap).toBeCloseTo((quota * 1000) / (W + Math.min(W, WindowGate.JITTER_SPREADS * extra)), 9)
      expect(WindowGate.paced(rate, { ...g, pace: cap })).toBe(Math.min(rate, cap))
      expect(WindowGate.paced(rate, { ...g, pace: null })).toBe(rate)
      expect(WindowGate.paced(rate, null)).toBe(rate)
    }
  )

  it("armed from a reading of the quota nearly spent until one of over half of it left", () => {
    expect(WindowGate.armedAfter(false, 1, 50)).toBe(true)
    expect(WindowGate.armedAfter(true, 20, 50)).toBe(true)
    expect(WindowGate.armedAfter(false, 20, 50)).toBe(false)
    expect(WindowGate.armedAfter(true, 26, 50)).toBe(false)
  })

  prop(
    "no gate for a quota it cannot log or a malformed window; the log survives a new quota, the pace is judged afresh",
    [fc.double({ min: -10, max: 10_000, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true })],
    ([quota, windowMs]) => {
      const g = WindowGate.make(null, quota, windowMs, true)
      const ok = Math.floor(quota) >= 2 && Math.floor(quota) <= WindowGate.MAX_QUOTA && windowMs > 0
      expect(g !== null).toBe(ok)
      if (g === null) return
      const used = { ...g, log: [1, 2, 3], within: 5 }
      expect(WindowGate.make(used, quota, windowMs, true)).toBe(used)
      const other = WindowGate.make(used, 2, windowMs + 1, true)!
      expect(other.log).toEqual([1, 2, 3])
      expect(other.within).toBe(null)
    }
  )
})

describe("window gate log packing", () => {
  prop(
    "packLog then unpackLog gives the log back, and whole-ms logs pack to gaps",
    [
      fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }),
      fc.array(fc.integer({ min: 0, max: 2 * W }), { maxLength: 2 * WindowGate.MAX_QUOTA })
    ],
    ([t0, offsets]) => {
      // Decisions of the last two windows, as `record` keeps them.
      const log = offsets.map((d) => t0 + d).sort((a, b) => a - b)
      const packed = WindowGate.packLog(log)
      expect(WindowGate.unpackLog(JSON.parse(JSON.stringify(packed)))).toEqual(log)
      if (log.length > 4) expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(log).length)
    }
  )

  it("a log of other numbers stays as it is; a corrupted value reads as an empty log", () => {
    expect(WindowGate.packLog([1.5, 2])).toEqual([1.5, 2])
    expect(WindowGate.unpackLog([1.5, 2])).toEqual([1.5, 2])
    for (const bad of [null, 7, "x", { $d: "x" }, { $d: [1, "2"] }, [1, null]]) expect(WindowGate.unpackLog(bad)).toEqual([])
  })
})

describe("window gate from headers", () => {
  it("a reading of the quota exhausted arms the gate (and makes it, when it is the first)", () => {
    const c = Aimd.defaultConfig(5)
    const info = (remaining: number) => ({ limit: 10, remaining, resetAt: NOW + 1000, window: 1000, source: "ietf" as const })
    const first = Aimd.onHeaders(c, Aimd.initial(c), info(0), NOW, NOW - 2)
    expect(first.windowGate?.armed).toBe(true)
    const five = Aimd.onHeaders(c, Aimd.initial(c), info(5), NOW, NOW - 2)
    expect(five.windowGate?.armed).toBe(false)
    expect(Aimd.onHeaders(c, five, info(0), NOW + 10, NOW + 8).windowGate?.armed).toBe(true)
  })

  it("a stored gate is made safe: a clock ahead's entries count as now, a malformed one is none", () => {
    const g = gateWith(10, [500, 100])
    const ahead = { ...g, log: [...g.log, NOW + 5_000_000], within: NOW + 9 }
    expect(WindowGate.sane(ahead, NOW)).toEqual({ ...g, log: [...g.log, NOW], within: NOW })
    expect(WindowGate.sane(g, NOW)).toBe(g)
    for (const bad of [{ ...g, log: [Infinity] }, { ...g, quota: 1e9 }, { ...g, windowMs: Number.NaN }, { ...g, rttMs: -1 }]) {
      expect(WindowGate.sane(bad, NOW)).toBeNull()
    }
    // A stored pace outside what paceCap sets (would stall the key, or overrun the quota) is none.
    expect(WindowGate.sane({ ...g, pace: 9 }, NOW)).toEqual({ ...g, pace: 9 })
    for (const pace of [0, 1e-9, 4.9, 10.1, Infinity, Number.NaN, -1]) {
      expect(WindowGate.sane({ ...g, pace }, NOW)).toEqual({ ...g, pace: null })
    }
  })
})
