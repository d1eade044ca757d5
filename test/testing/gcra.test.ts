import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Gcra from "../../src/testing/Gcra.js"
import { arrivals, drive } from "./families.js"

const params = fc.record({ rate: fc.double({ min: 0.5, max: 200, noNaN: true }), burst: fc.integer({ min: 1, max: 10 }) })

describe("Gcra", () => {
  it("admits at most burst + rate × t in any interval of t", () =>
    fc.assert(fc.property(params, arrivals(100, 150), (p, times) => {
      const { admitted } = drive(Gcra.make(p.rate, p.burst), Gcra.take, times)
      for (let i = 0; i < admitted.length; i++) {
        for (let j = i; j < admitted.length; j++) {
          expect(j - i + 1).toBeLessThanOrEqual(p.burst + (p.rate * (admitted[j]! - admitted[i]!)) / 1000 + 1e-5)
        }
      }
    })))

  it("admits `burst` at once from idle, every request spaced at the rate, and whoever waits its Retry-After", () =>
    fc.assert(fc.property(params, arrivals(100, 150), fc.integer({ min: 0, max: 1_000_000 }), (p, times, t0) => {
      const idle = drive(Gcra.make(p.rate, p.burst), Gcra.take, Array.from({ length: p.burst + 1 }, () => t0))
      expect(idle.admitted).toHaveLength(p.burst)
      const paced = drive(Gcra.make(p.rate, p.burst), Gcra.take, Array.from({ length: 30 }, (_, i) => t0 + (i * 1000) / p.rate))
      expect(paced.rejected).toHaveLength(0)
      const run = drive(Gcra.make(p.rate, p.burst), Gcra.take, times)
      for (const r of run.rejected) {
        expect(r.retryAfterMs).toBeGreaterThan(0)
        expect(Gcra.take(r.state, r.at + r.retryAfterMs)[1].admitted).toBe(true)
      }
    })))

  it("behaves as nginx limit_req rate=10r/s burst=2 nodelay (burst 3 here)", () => {
    const times = [0, 0, 0, 0, 50, 100, 150, 200, 300]
    const { admitted } = drive(Gcra.make(10, 3), Gcra.take, times)
    // 3 at once, the 4th rejected; the queue drains one per 100 ms.
    expect(admitted).toEqual([0, 0, 0, 100, 200, 300])
    const [g] = Gcra.take(Gcra.make(10, 3), 0)
    expect(Gcra.view(g, 0)).toEqual({ limit: 3, remaining: 2, resetMs: 100, windowS: 1 })
  })

  it("a rate change keeps the queued requests, re-timed at the new rate", () => {
    let g = Gcra.make(10, 3)
    for (let i = 0; i < 3; i++) g = Gcra.take(g, 0)[0]
    const slower = Gcra.setLimit(g, 5, 3, 0)
    expect(slower.tat).toBe(600) // 3 queued requests at 200 ms each
  })
})
