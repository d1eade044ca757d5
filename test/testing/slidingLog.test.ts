import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as SlidingLog from "../../src/testing/SlidingLog.js"
import { arrivals, countIn, drive } from "./families.js"

const params = fc.record({ quota: fc.integer({ min: 1, max: 20 }), windowMs: fc.integer({ min: 100, max: 10_000 }) })

describe("SlidingLog", () => {
  it("never admits more than its quota in any window", () =>
    fc.assert(fc.property(params, arrivals(2_000), (p, times) => {
      const run = drive(SlidingLog.make(p.quota, p.windowMs), SlidingLog.take, times)
      // The densest windows end on an admission.
      for (const a of run.admitted) expect(countIn(run.admitted, a - p.windowMs, a)).toBeLessThanOrEqual(p.quota)
    })))

  it("rejects only when the last window is full, and admits again when its Retry-After has passed", () =>
    fc.assert(fc.property(params, arrivals(2_000), (p, times) => {
      const run = drive(SlidingLog.make(p.quota, p.windowMs), SlidingLog.take, times)
      for (const r of run.rejected) {
        const admittedSoFar = run.admitted.filter((t) => t <= r.at)
        expect(countIn(admittedSoFar, r.at - p.windowMs, r.at)).toBe(p.quota)
        expect(r.retryAfterMs).toBeGreaterThan(0)
        expect(SlidingLog.take(r.state, r.at + r.retryAfterMs)[1].admitted).toBe(true)
        expect(SlidingLog.take(r.state, r.at + r.retryAfterMs - 1)[1].admitted).toBe(false)
      }
    })))

  it("a lowered quota waits for enough entries to leave", () => {
    let s = SlidingLog.make(4, 1000)
    for (const t of [0, 100, 200, 300]) s = SlidingLog.take(s, t)[0]
    const lowered = SlidingLog.setQuota(s, 2)
    const [, d] = SlidingLog.take(lowered, 400)
    expect(d).toEqual({ admitted: false, retryAfterMs: 800 }) // the entry at 200 must leave: 1200 - 400
    expect(SlidingLog.view(lowered, 400)).toMatchObject({ limit: 2, remaining: 0, resetMs: 900 })
  })
})
