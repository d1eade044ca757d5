import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Plan from "../../src/cli/probePlan.js"
import * as Bucket from "../../src/testing/HiddenBucket.js"

/**
 * Runs the whole plan against a virtual token bucket in virtual time, the way the shell does:
 * requests paced at `1 / rate`, a step stops at its first 429, and the next step waits the
 * Retry-After the simulated API would send (whole seconds until a token, at least 1).
 */
const simulate = (limit: { rate: number; burst: number }, options: Plan.PlanOptions) => {
  let now = 0
  let bucket = Bucket.make(limit.rate, limit.burst, now)
  let state = Plan.initial(options)
  let serverCount = 0
  for (let guard = 0; guard < 10_000; guard++) {
    const step = Plan.next(state, options)
    if (step._tag === "Done") break
    const samples: Array<Plan.Sample> = []
    let limited = false
    for (let i = 0; i < step.requests; i++) {
      const at = now + (i * 1000) / step.rate
      const [b, ok] = Bucket.take(bucket, at)
      bucket = b
      serverCount++
      samples.push({ sentAt: at, limited: !ok })
      if (!ok) {
        limited = true
        now = at + Math.max(1, Math.ceil(Bucket.msUntilToken(bucket, at) / 1000)) * 1000
        break
      }
    }
    if (!limited) now += (step.requests * 1000) / step.rate
    state = Plan.record(state, { sent: samples.length, limited, samples }, options)
  }
  return { state, serverCount, seconds: now / 1000 }
}

const options = (over: Partial<Plan.PlanOptions> = {}): Plan.PlanOptions => ({ ...Plan.defaults, ...over })

describe("probePlan", () => {
  it("validate names every bad option", () => {
    const issues = Plan.validate({ ...Plan.defaults, startRate: 0, maxRequests: 1.5, measureSeconds: -1 })
    expect(issues.map((i) => i.option).sort()).toEqual(["maxRequests", "measureSeconds", "startRate"])
    expect(Plan.validate(Plan.defaults)).toEqual([])
    expect(Plan.validate({ ...Plan.defaults, startRate: 10, maxRate: 5 }).map((i) => i.option)).toEqual(["maxRate"])
  })

  const passed = (n: number, rate: number, t0 = 0): Plan.StepOutcome => ({
    sent: n,
    limited: false,
    samples: Array.from({ length: n }, (_, i) => ({ sentAt: t0 + (i * 1000) / rate, limited: false }))
  })

  it("ramps by doubling until the first 429, then measures at that rate", () => {
    const o = options({ startRate: 2, maxRate: 100 })
    let s = Plan.initial(o)
    expect(Plan.next(s, o)).toEqual({ _tag: "Step", rate: 2, requests: 5 })
    s = Plan.record(s, passed(5, 2), o)
    expect(s.rate).toBe(4)
    s = Plan.record(s, passed(5, 4), o)
    expect(Plan.next(s, o)).toEqual({ _tag: "Step", rate: 8, requests: 8 })
    s = Plan.record(s, passed(8, 8), o)
    expect(Plan.highestPassed(s)).toBe(8)
    // 16/s: three admitted, then a 429 at t = 10 s.
    s = Plan.record(s, {
      sent: 4,
      limited: true,
      samples: [0, 1, 2, 3].map((i) => ({ sentAt: 10_000 + i * 62.5 - 187.5, limited: i === 3 }))
    }, o)
    expect([s.phase, s.rate, s.limitedAt, s.stopped]).toEqual(["measure", 16, 16, undefined])
    expect(Plan.estimate(s)).toBeUndefined()
    // After the pause: 10 admitted over the next 2.5 s, then a 429 at 13 s: 10 per 3 s.
    s = Plan.record(s, {
      sent: 11,
      limited: true,
      samples: [
        ...Array.from({ length: 10 }, (_, i) => ({ sentAt: 11_000 + i * 200, limited: false })),
        { sentAt: 13_000, limited: true }
      ]
    }, o)
    expect(s.stopped).toBe("measured")
    expect(Plan.estimate(s)).toBeCloseTo(10 / 3, 9)
    expect(Plan.estimateKind(s)).toBe("measured")
    expect(Plan.next(s, o)).toEqual({ _tag: "Done", reason: "measured" })
  })

  it("the estimate never exceeds the lowest rate that met a 429", () => {
    const o = options({ startRate: 1 })
    let s = Plan.initial(o)
    s = Plan.record(s, { sent: 2, limited: true, samples: [{ sentAt: 0, limited: false }, { sentAt: 1000, limited: true }] }, o)
    s = Plan.record(s, {
      sent: 5,
      limited: false,
      samples: [2000, 2100, 2200, 2300, 2400].map((sentAt) => ({ sentAt, limited: false }))
    }, o)
    // 5 admitted in 1.4 s would be 3.6/s, but 1/s already met a 429.
    expect(Plan.estimate(s)).toBe(1)
    expect(Plan.estimateKind(s)).toBe("lower-bound")
  })

  it("stops at maxRate when it passes there", () => {
    const o = options({ startRate: 3, maxRate: 10 })
    let s = Plan.initial(o)
    s = Plan.record(s, passed(5, 3), o)
    s = Plan.record(s, passed(6, 6), o)
    expect(s.rate).toBe(10)
    s = Plan.record(s, passed(10, 10), o)
    expect(s.stopped).toBe("max-rate")
    expect(Plan.estimate(s)).toBeUndefined()
    expect(Plan.highestPassed(s)).toBe(10)
  })

  it("a ramp step cut short without a 429 is retried at the same rate", () => {
    const o = options({ startRate: 10 })
    const s = Plan.record(Plan.initial(o), passed(2, 10), o)
    expect([s.rate, s.sent, s.phase]).toEqual([10, 2, "ramp"])
  })

  it("stop records the shell's reason once", () => {
    const o = options()
    const s = Plan.stop(Plan.stop(Plan.initial(o), "headers"), "trouble")
    expect(Plan.next(s, o)).toEqual({ _tag: "Done", reason: "headers" })
  })

  it("never plans past the hard cap, for any sequence of outcomes", () => {
    fc.assert(
      fc.property(
        fc.record({
          startRate: fc.double({ min: 0.1, max: 50, noNaN: true }),
          maxRequests: fc.integer({ min: 1, max: 300 }),
          minStepRequests: fc.integer({ min: 1, max: 10 }),
          stepSeconds: fc.double({ min: 0.1, max: 3, noNaN: true }),
          measureSeconds: fc.double({ min: 0.5, max: 5, noNaN: true })
        }),
        fc.array(fc.record({ limited: fc.boolean(), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }), {
          maxLength: 60
        }),
        (over, outcomes) => {
          const o = options({ ...over, maxRate: over.startRate * 64 })
          let s = Plan.initial(o)
          let t = 0
          for (const outcome of outcomes) {
            const n = Plan.next(s, o)
            if (n._tag === "Done") break
            expect(n.requests).toBeGreaterThanOrEqual(1)
            expect(s.sent + n.requests).toBeLessThanOrEqual(o.maxRequests)
            // The shell may send fewer than planned (it stops at the first 429), never more.
            const sent = Math.min(n.requests, Math.max(outcome.limited ? 1 : 0, Math.round(n.requests * outcome.fraction)))
            const samples = Array.from({ length: sent }, (_, i) => ({
              sentAt: t + (i * 1000) / n.rate,
              limited: outcome.limited && i === sent - 1
            }))
            t += 2000 + (sent * 1000) / n.rate
            s = Plan.record(s, { sent, limited: outcome.limited, samples }, o)
            expect(s.sent).toBeLessThanOrEqual(o.maxRequests)
            const e = Plan.estimate(s)
            if (e !== undefined && s.limitedAt !== undefined) expect(e).toBeLessThanOrEqual(s.limitedAt)
          }
        }
      )
    )
  })

  it("measures a token bucket's rate from below, never above, under the cap (virtual time)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 2, max: 60, noNaN: true }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        fc.double({ min: 1, max: 8, noNaN: true }),
        (rate, burstFactor, startDivisor) => {
          // A burst of at least one pause's worth of tokens (Retry-After >= 1 s), as most APIs allow.
          const burst = Math.ceil(rate * burstFactor)
          const o = options({ startRate: rate / startDivisor, maxRate: rate * 20, maxRequests: 200 })
          const run = simulate({ rate, burst }, o)
          expect(run.serverCount).toBeLessThanOrEqual(o.maxRequests)
          expect(run.serverCount).toBe(run.state.sent)
          const e = Plan.estimate(run.state)
          if (e !== undefined) {
            const span = (run.state.window.at(-1)!.sentAt - run.state.window[0]!.sentAt) / 1000
            expect(e).toBeLessThanOrEqual(rate + 1 / span + 1e-9)
          }
          if (run.state.stopped === "measured") {
            expect(Plan.estimateKind(run.state)).toBe("measured")
            // Quality bound, not safety: the estimate is capped at the ramp rate that first met a 429,
            // which can sit just under the true rate, and errs low by up to one request over the span
            // (documented). Measured over thousands of cases it stays above 75% less that request
            // (without it, rate 2/s with a 1 s burst measured 1.45 over 4.1 s: seed -1268767254).
            const w = run.state.window
            const span = (w.at(-1)!.sentAt - w[0]!.sentAt) / 1000
            expect(e!).toBeGreaterThanOrEqual(rate * 0.75 - 1 / span)
          }
        }
      ),
      { numRuns: 300 }
    )
  })

  it("measures a small, known API (rate 20/s, burst 20) within 10 %", () => {
    const run = simulate({ rate: 20, burst: 20 }, options({ startRate: 5 }))
    expect(run.state.stopped).toBe("measured")
    expect(Math.abs(Plan.estimate(run.state)! - 20)).toBeLessThan(2)
    expect(run.state.limitedAt).toBe(40)
    expect(run.serverCount).toBeLessThanOrEqual(200)
  })

  it("measuredRate recovers the refill rate between two 429s", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 100, noNaN: true }),
        // Burst >= 2: with 1, tokens refilled between two requests can overflow the cap and be lost.
        fc.integer({ min: 2, max: 20 }),
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
          const lastLimited = samples.map((x) => x.limited).lastIndexOf(true)
          const measured = Plan.measuredRate(samples.slice(0, lastLimited + 1))
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

  it("measuredRate needs a 429 and a long enough span", () => {
    expect(Plan.measuredRate([{ sentAt: 0, limited: true }, { sentAt: 10, limited: false }])).toBeUndefined()
    expect(Plan.measuredRate([{ sentAt: 0, limited: true }, { sentAt: 500, limited: true }])).toBeUndefined()
    expect(
      Plan.measuredRate([
        { sentAt: 0, limited: true },
        { sentAt: 400, limited: false },
        { sentAt: 800, limited: false },
        { sentAt: 2000, limited: true }
      ])
    ).toBe(1)
  })
})
