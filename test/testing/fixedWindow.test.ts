import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as FixedWindow from "../../src/testing/FixedWindow.js"
import { arrivals, drive } from "./families.js"

const params = fc.record({
  quota: fc.integer({ min: 1, max: 20 }),
  windowMs: fc.integer({ min: 100, max: 60_000 }),
  anchor: fc.constantFrom<FixedWindow.Anchor>("first-request", "clock")
})

describe("FixedWindow", () => {
  it("never admits more than its quota per window, and windows of the clock anchor are aligned", () =>
    fc.assert(fc.property(params, arrivals(3_000), (p, times) => {
      const w = FixedWindow.make(p.quota, p.windowMs, p.anchor)
      const run = drive(w, FixedWindow.take, times)
      const perWindow = new Map<number, number>()
      times.forEach((t, i) => {
        const s = run.states[i]!
        expect(t).toBeGreaterThanOrEqual(s.start)
        expect(t).toBeLessThan(s.start + p.windowMs)
        if (p.anchor === "clock") expect(s.start % p.windowMs).toBe(0)
        if (run.outcomes[i]) perWindow.set(s.start, (perWindow.get(s.start) ?? 0) + 1)
      })
      for (const n of perWindow.values()) expect(n).toBeLessThanOrEqual(p.quota)
    })))

  it("rejects only when the window is full, until its boundary, where the count resets", () =>
    fc.assert(fc.property(params, arrivals(3_000), (p, times) => {
      const run = drive(FixedWindow.make(p.quota, p.windowMs, p.anchor), FixedWindow.take, times)
      for (const r of run.rejected) {
        expect(r.state.count).toBe(p.quota)
        expect(r.retryAfterMs).toBe(r.state.start + p.windowMs - r.at)
        const [before] = FixedWindow.take(r.state, r.at + r.retryAfterMs - 1)
        expect(before.count).toBe(p.quota)
        const [after, d] = FixedWindow.take(r.state, r.at + r.retryAfterMs)
        expect(d.admitted).toBe(true)
        expect(after.count).toBe(1)
      }
    })))

  it("reports the quota left and the time to the window's end", () =>
    fc.assert(fc.property(params, arrivals(3_000, 50), fc.integer({ min: 0, max: 5_000 }), (p, times, later) => {
      const run = drive(FixedWindow.make(p.quota, p.windowMs, p.anchor), FixedWindow.take, times)
      const s = run.states[run.states.length - 1]!
      const now = times[times.length - 1]! + later
      const v = FixedWindow.view(s, now)
      expect(v.limit).toBe(p.quota)
      expect(v.resetMs).toBeGreaterThan(0)
      expect(v.resetMs).toBeLessThanOrEqual(p.windowMs)
      const [, d] = FixedWindow.take(s, now)
      expect(d.admitted).toBe(v.remaining > 0)
      expect(v.windowS).toBe(Math.ceil(p.windowMs / 1000))
    })))

  it("a clock going backwards never opens a new window", () => {
    const [w] = FixedWindow.take(FixedWindow.make(1, 1000, "first-request"), 10_000)
    const [, d] = FixedWindow.take(w, 9_000)
    expect(d.admitted).toBe(false)
  })
})
