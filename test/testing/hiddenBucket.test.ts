import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Bucket from "../../src/testing/HiddenBucket.js"
import * as ServerLimiter from "../../src/testing/ServerLimiter.js"
import { arrivals, drive } from "./families.js"

// A burst of 0.1 s to 2 s of the rate, at least one request.
const params = fc.record({ rate: fc.double({ min: 1, max: 500, noNaN: true }), seconds: fc.double({ min: 0.1, max: 2, noNaN: true }) })
  .map(({ rate, seconds }) => ({ rate, burst: Math.max(1, rate * seconds) }))

describe("HiddenBucket (token bucket)", () => {
  it("admits at most burst + rate × t in any interval of t, whatever the burst", () =>
    fc.assert(fc.property(params, arrivals(50, 150), (p, times) => {
      const lim = ServerLimiter.make({ type: "token-bucket" }, p.rate, p.burst, times[0]!)
      const { admitted } = drive(lim, ServerLimiter.take, times)
      for (let i = 0; i < admitted.length; i++) {
        for (let j = i; j < admitted.length; j++) {
          expect(j - i + 1).toBeLessThanOrEqual(p.burst + (p.rate * (admitted[j]! - admitted[i]!)) / 1000 + 1e-5)
        }
      }
    })))

  it("admits a request that waited its Retry-After, and reports the bucket as a quota", () =>
    fc.assert(fc.property(params, arrivals(50, 150), (p, times) => {
      const run = drive(ServerLimiter.make({ type: "token-bucket" }, p.rate, p.burst, times[0]!), ServerLimiter.take, times)
      for (const r of run.rejected) {
        expect(r.retryAfterMs).toBeGreaterThan(0)
        expect(ServerLimiter.take(r.state, r.at + r.retryAfterMs)[1].admitted).toBe(true)
        const v = ServerLimiter.view(r.state, r.at)
        expect(v).toMatchObject({ limit: Math.floor(p.burst), remaining: 0 })
        expect(v.resetMs).toBeLessThanOrEqual((p.burst / p.rate) * 1000 + 1e-6)
      }
    })))

  it("a limit change keeps the tokens, capped at the new burst", () => {
    const b = Bucket.setLimit(Bucket.make(10, 10, 0), 2, 4, 0)
    expect(b).toMatchObject({ rate: 2, burst: 4, tokens: 4 })
  })
})
