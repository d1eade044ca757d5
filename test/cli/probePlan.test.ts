import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Plan from "../../src/cli/probePlan.js"
import * as Bucket from "../../src/testing/hiddenBucket.js"

/**
 * Runs the whole plan against a virtual token bucket in virtual time, the way the shell does:
 * requests paced at `1 / rate`, a step stops at its first 429, and the next step waits the
 * Retry-After the simulated API would send (whole seconds until a token, at least 1).
 */
const simulate = (limit: { rate: number; burst: number }, options: Plan.PlanOptions) => {
  let now = 0
  let bucket = Bucket.make(limit.rate, limit.burst, now)
  let state = Plan.initial(options)
  const samples: Array<Plan.Sample> = []
  let serverCount = 0
  for (let guard = 0; guard < 1000; guard++) {
    const step = Plan.next(state, options)
    if (step._tag === "Done") break
    let sent = 0
    let limited = false
    for (let i = 0; i < step.requests; i++) {
      const at = now + (i * 1000) / step.rate
      const [b, ok] = Bucket.take(bucket, at)
      bucket = b
      serverCount++
      sent++
      samples.push({ sentAt: at, limited: !ok })
      if (!ok) {
        limited = true
        now = at + Math.max(1, Math.ceil(Bucket.msUntilToken(bucket, at) / 1000)) * 1000
        break
      }
    }
    if (!limited) now += (step.requests * 1000) / step.rate
    state = Plan.record(state, { sent, limited }, options)
  }
  return { state, samples, serverCount, seconds: now / 1000 }
}

const options = (over: Partial<Plan.PlanOptions> = {}): Plan.PlanOptions => ({ ...Plan.defaults, ...over })

describe("probePlan", () => {
  it("validate names every bad option", () => {
    const issues = Plan.validate({ ...Plan.defaults, startRate: 0, maxRequests: 1.5, tolerance: 1 })
    expect(issues.map((i) => i.option).sort()).toEqual(["maxRequests", "startRate", "tolerance"])
    expect(Plan.validate(Plan.defaults)).toEqual([])
    expect(Plan.validate({ ...Plan.defaults, startRate: 10, maxRate: 5 }).map((i) => i.option)).toEqual(["maxRate"])
  })

  it("ramps by doubling, then bisects between the last pass and the first limited rate", () => {
    const o = options({ startRate: 2, maxRate: 100 })
    let s = Plan.initial(o)
    expect(Plan.next(s, o)).toEqual({ _tag: "Step", rate: 2, requests: 5 })
    s = Plan.record(s, { sent: 5, limited: false }, o)
    expect(s.rate).toBe(4)
    s = Plan.record(s, { sent: 5, limited: false }, o)
    s = Plan.record(s, { sent: 8, limited: false }, o)
    expect(s.rate).toBe(16)
    s = Plan.record(s, { sent: 3, limited: true }, o)
    expect([s.phase, s.lo, s.hi, s.rate]).toEqual(["bisect", 8, 16, 12])
    s = Plan.record(s, { sent: 12, limited: false }, o)
    expect([s.lo, s.hi, s.rate]).toEqual([12, 16, 14])
    s = Plan.record(s, { sent: 14, limited: true }, o)
    expect([s.lo, s.hi, s.rate]).toEqual([12, 14, 13])
    s = Plan.record(s, { sent: 13, limited: false }, o)
    expect(s.stopped).toBe("converged")
    expect(Plan.estimate(s)).toBe(13)
    expect(Plan.next(s, o)).toEqual({ _tag: "Done", reason: "converged" })
  })

  it("halves when limited at the start rate and gives up far below it", () => {
    const o = options({ startRate: 8, lowestFraction: 4 })
    let s = Plan.initial(o)
    s = Plan.record(s, { sent: 1, limited: true }, o)
    expect([s.lo, s.hi, s.rate]).toEqual([0, 8, 4])
    s = Plan.record(s, { sent: 1, limited: true }, o)
    expect(s.rate).toBe(2)
    s = Plan.record(s, { sent: 1, limited: true }, o)
    expect(s.stopped).toBe("too-low")
    expect(Plan.estimate(s)).toBeUndefined()
  })

  it("stops at maxRate when it passes there", () => {
    const o = options({ startRate: 3, maxRate: 10 })
    let s = Plan.initial(o)
    s = Plan.record(s, { sent: 5, limited: false }, o)
    s = Plan.record(s, { sent: 6, limited: false }, o)
    expect(s.rate).toBe(10)
    s = Plan.record(s, { sent: 10, limited: false }, o)
    expect(s.stopped).toBe("max-rate")
    expect(Plan.estimate(s)).toBe(10)
  })

  it("a step cut short without a 429 is retried at the same rate", () => {
    const o = options({ startRate: 10 })
    const s = Plan.record(Plan.initial(o), { sent: 2, limited: false }, o)
    expect([s.rate, s.lo, s.sent]).toEqual([10, 0, 2])
  })

  it("never plans past the hard cap, for any sequence of outcomes", () => {
    fc.assert(
      fc.property(
        fc.record({
          startRate: fc.double({ min: 0.1, max: 50, noNaN: true }),
          maxRequests: fc.integer({ min: 1, max: 300 }),
          minStepRequests: fc.integer({ min: 1, max: 10 }),
          stepSeconds: fc.double({ min: 0.1, max: 3, noNaN: true })
        }),
        fc.array(fc.record({ limited: fc.boolean(), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }), {
          maxLength: 60
        }),
        (over, outcomes) => {
          const o = options({ ...over, maxRate: over.startRate * 64 })
          let s = Plan.initial(o)
          for (const outcome of outcomes) {
            const n = Plan.next(s, o)
            if (n._tag === "Done") break
            expect(n.requests).toBeGreaterThanOrEqual(1)
            expect(s.sent + n.requests).toBeLessThanOrEqual(o.maxRequests)
            // The shell may send fewer than planned (it stops at the first 429), never more.
            const sent = Math.max(outcome.limited ? 1 : 0, Math.round(n.requests * outcome.fraction))
            s = Plan.record(s, { sent: Math.min(sent, n.requests), limited: outcome.limited }, o)
            expect(s.sent).toBeLessThanOrEqual(o.maxRequests)
            if (s.hi !== undefined && s.lo > 0) expect(s.lo).toBeLessThan(s.hi)
          }
        }
      )
    )
  })

  it("finds a token bucket's rate within the tolerance, under the cap (virtual time)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 2, max: 60, noNaN: true }),
        fc.double({ min: 1, max: 2, noNaN: true }),
        fc.double({ min: 0.5, max: 4, noNaN: true }),
        (rate, burstFactor, startFactor) => {
          const burst = Math.max(1, Math.floor(rate * burstFactor * 0.5))
          const o = options({ startRate: rate / startFactor / 2, maxRate: rate * 20, maxRequests: 400, tolerance: 0.1 })
          const run = simulate({ rate, burst }, o)
          expect(run.serverCount).toBeLessThanOrEqual(o.maxRequests)
          expect(run.serverCount).toBe(run.state.sent)
          if (run.state.stopped === "converged") {
            const est = Plan.estimate(run.state)!
            // Paced below the refill rate never meets a 429; a leftover burst can let a step slightly
            // above it pass, by at most about the bracket width.
            expect(est).toBeGreaterThan(rate * 0.85)
            expect(est).toBeLessThan(rate * 1.25)
          } else {
            expect(run.state.stopped).toBe("budget")
          }
        }
      ),
      { numRuns: 200 }
    )
  })

  it("admittedRate recovers the refill rate between two 429s", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 100, noNaN: true }),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 1.2, max: 4, noNaN: true }),
        (rate, burst, over) => {
          const sendRate = rate * over
          let bucket = Bucket.make(rate, burst, 0)
          const samples: Array<Plan.Sample> = []
          // Over four seconds of overload the bucket empties again and again.
          for (let t = 0; t < 4000 + burst * 1000 / (sendRate - rate); t += 1000 / sendRate) {
            const [b, ok] = Bucket.take(bucket, t)
            bucket = b
            samples.push({ sentAt: t, limited: !ok })
          }
          const measured = Plan.admittedRate(samples)
          expect(measured).toBeDefined()
          const first = samples.find((s) => s.limited)!.sentAt
          const last = samples.filter((s) => s.limited).at(-1)!.sentAt
          // At both 429s less than one token was left: the count is off by at most one request.
          expect(Math.abs(measured! - rate)).toBeLessThanOrEqual(1 / ((last - first) / 1000) + 1e-9)
        }
      ),
      { numRuns: 200 }
    )
  })

  it("admittedRate needs two 429s far enough apart", () => {
    expect(Plan.admittedRate([{ sentAt: 0, limited: true }, { sentAt: 10, limited: false }])).toBeUndefined()
    expect(Plan.admittedRate([{ sentAt: 0, limited: true }, { sentAt: 500, limited: true }])).toBeUndefined()
    expect(
      Plan.admittedRate([
        { sentAt: 0, limited: true },
        { sentAt: 400, limited: false },
        { sentAt: 800, limited: false },
        { sentAt: 2000, limited: true }
      ])
    ).toBe(1)
  })
})
