import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { burstSecondsAt, type Cycle, fit, type PacePoint, predictWall, rateAtBurst } from "../../src/adaptive/bucketFit.js"
import * as Congestion from "../../src/adaptive/congestion.js"
import { prop } from "./prop.js"

describe("bucket fit", () => {
  it("predicts when a known bucket runs dry: full start at a constant pace, and after a pause", () => {
    // 50 rps, 10 tokens, paced at 100: dry after (10 - 1) / 50 s.
    const log: Array<PacePoint> = [[0, 100], [1000, 0], [2000, 60]]
    expect(predictWall(log, { start: "full", from: 0, resumeAt: 0, wallAt: 180 }, 50, 10, 5000)).toBeCloseTo(180, 6)
    // After the wall at 180 and a pause to 2000 the bucket is full again (10); at 60 rps it lasts (10 - 1) / 10 s.
    expect(predictWall(log, { start: "empty", from: 180, resumeAt: 2000, wallAt: 2900 }, 50, 10, 5000)).toBeCloseTo(2900, 6)
  })

  it("two walls find the rate: the best fit is returned, the true rate lies within [rate, high] give or take 2%", () => {
    // A slow start from 10 rps doubling each second, then a pause and a resume at 60: the walls of a
    // 50 rps / 10-token bucket. A lower rate with a bigger bucket explains them too (the reason the
    // controller probes the bracket); one wall alone is not fitted at all.
    const log: Array<PacePoint> = []
    for (let i = 0; i < 30; i++) log.push([i * 100, 10 * Math.pow(2, i / 10)])
    const truth = (c: Cycle) => predictWall([...log, [3500, 0], [4500, 60]], c, 50, 10, 20_000)
    // `wallAt: Infinity` while predicting: the whole pace history counts.
    const full: Cycle = { start: "full", from: 0, resumeAt: 0, wallAt: Infinity }
    const first = { ...full, wallAt: truth(full) }
    const fullLog: Array<PacePoint> = [...log.filter(([t]) => t < first.wallAt), [first.wallAt + 2, 0], [first.wallAt + 1002, 60]]
    const second0: Cycle = { start: "empty", from: first.wallAt, resumeAt: first.wallAt + 1002, wallAt: Infinity }
    const second = { ...second0, wallAt: predictWall(fullLog, second0, 50, 10, 20_000) }
    const f = fit(fullLog, [first, second], 5, 80)!
    expect(f.error).toBeLessThan(0.05)
    expect(f.rate).toBeGreaterThan(49)
    expect(f.rate).toBeLessThan(51)
    expect(f.high).toBeGreaterThanOrEqual(f.rate)
    expect(f.low).toBeLessThanOrEqual(f.rate)
    expect(fit(fullLog, [second], 5, 80)).toBeUndefined()
  })

  it("a wall met by the first request after the pause is no measurement: no fit at the bottom bound", () => {
    // Slow start from 100 to a wall at 500; paused; resumed at 75 from 743, and the request sent at
    // 743 met the wall again (a pace still above the server's): every rate from `lo` up explains it.
    const log: Array<PacePoint> = [[0, 100], [500, 117], [743, 75]]
    const cycles: Array<Cycle> = [
      { start: "full", from: 0, resumeAt: 0, wallAt: 500 },
      { start: "empty", from: 500, resumeAt: 743, wallAt: 743 }
    ]
    const f = fit(log, cycles, 1, 75)
    if (f !== undefined) expect(f.rate).toBeGreaterThan(1.01)
  })

  prop(
    "the fitted rate, when there is one, lies within (lo, hi] and is finite",
    [fc.array(fc.tuple(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0, max: 200, noNaN: true })), { minLength: 2, maxLength: 20 }), fc.double({ min: 1, max: 50, noNaN: true }), fc.double({ min: 1.01, max: 5, noNaN: true })],
    ([steps, lo, k]) => {
      let t = 0
      const log: Array<PacePoint> = steps.map(([dt, pace]) => [(t += dt), pace])
      const end = t + 100
      const cycles: Array<Cycle> = [
        { start: "full", from: log[0]![0], resumeAt: log[0]![0], wallAt: (log[0]![0] + end) / 2 },
        { start: "empty", from: (log[0]![0] + end) / 2, resumeAt: (log[0]![0] + end) / 2, wallAt: end }
      ]
      const f = fit(log, cycles, lo, lo * k)
      if (f === undefined) return
      expect(f.rate).toBeGreaterThan(lo)
      expect(f.rate).toBeLessThanOrEqual(lo * k + 1e-9)
      expect(f.high).toBeGreaterThanOrEqual(f.rate)
      expect(f.low).toBeLessThanOrEqual(f.rate)
      expect(f.low).toBeGreaterThan(lo)
    },
    { fastCheck: { numRuns: 30 } }
  )
})

describe("congestion or noise (bare 503s)", () => {
  it("a steady 5% share of bare 503s is noise; a share that climbs is congestion", () => {
    let s = Congestion.initial
    let walls = 0
    // 2,000 responses at a held rate, every 20th a 503: never a wall.
    for (let i = 0; i < 2000; i++) {
      const r = Congestion.classify(s, i % 20 === 0, true)
      s = r.state
      if (r.wall) walls++
    }
    expect(walls).toBe(0)
    // Then the rate climbs past the server's and every third answer is a 503: a wall soon.
    let at = -1
    for (let i = 0; i < 64 && at < 0; i++) {
      const r = Congestion.classify(s, i % 3 === 0, false)
      s = r.state
      if (r.wall) at = i
    }
    expect(at).toBeGreaterThanOrEqual(0)
    expect(at).toBeLessThan(40)
  })

  /** 1,000 answers at a held rate with noise at `every` (a soft failure each `every`-th), then a wall's run. */
  const afterWall = (every: number) => {
    let s = Congestion.initial
    for (let i = 0; i < 1000; i++) s = Congestion.classify(s, i % every === 0, true).state
    let wall = false
    for (let i = 0; !wall && i < 64; i++) {
      const r = Congestion.classify(s, i % 2 === 0, false)
      s = r.state
      wall = r.wall
    }
    expect(wall).toBe(true)
    return s
  }

  it("after a wall's cut, one noise failure several answers later is no wall; failures still coming are", () => {
    const s = afterWall(20)
    // Noise: six answers accepted (a 1-in-20 share), then one failure.
    let quiet = s
    for (let i = 0; i < 6; i++) quiet = Congestion.classify(quiet, false, true).state
    expect(Congestion.classify(quiet, true, true).wall).toBe(false)
    // Congestion the cut did not cure: the next failure, one answer later, is a wall.
    expect(Congestion.classify(Congestion.classify(s, false, true).state, true, true).wall).toBe(true)
    // A failure of the burst the cut acted on (sent before it) leaves the share above the bar.
    const burst = Congestion.classify(s, true, true, false)
    expect(burst.wall).toBe(true)
    expect(burst.state.recent).toBeGreaterThan(3 * s.baseline + 0.03)
  })

  it("past a deep cut's restart, a failure right after the wall is no wall; two close together are", () => {
    const s = Congestion.restart(afterWall(20), Congestion.DEEP_CUT_RESTART)
    const one = Congestion.classify(Congestion.classify(s, false, true).state, true, true)
    expect(one.wall).toBe(false)
    expect(Congestion.classify(one.state, true, true).wall).toBe(true)
  })

  prop(
    "restart leaves the recent share within [0, min(share, bar - failures / 32)]",
    [fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true })],
    ([recent, baseline, failures]) => {
      const r = Congestion.restart({ recent, baseline, seen: 100 }, failures).recent
      expect(r).toBeGreaterThanOrEqual(0)
      expect(r).toBeLessThanOrEqual(Math.max(0, Math.min(recent, 3 * baseline + 0.03 - failures / 32)) + 1e-12)
      expect(r).toBeGreaterThanOrEqual(Math.min(recent, 3 * baseline + 0.03 - failures / 32) - 1e-12)
    }
  )

  prop(
    "a wall past the cut leaves the recent share at most at the bar, and every share within [0, 1]",
    [fc.array(fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()), { maxLength: 600 })],
    ([answers]) => {
      let s = Congestion.initial
      for (const [soft, learn, afterCut] of answers) {
        const r = Congestion.classify(s, soft, learn, afterCut)
        if (r.wall && afterCut) expect(r.state.recent).toBeLessThanOrEqual(3 * s.baseline + 0.03 + 1e-12)
        for (const x of [r.state.recent, r.state.baseline]) {
          expect(x).toBeGreaterThanOrEqual(0)
          expect(x).toBeLessThanOrEqual(1)
        }
        s = r.state
      }
    },
    { fastCheck: { numRuns: 50 } }
  )

  it("a share climbing toward the bar is not learnt as the usual one: its failures leave the baseline", () => {
    let s = Congestion.initial
    for (let i = 0; i < 1000; i++) s = Congestion.classify(s, i % 20 === 0, true).state
    // Every other answer fails, held rate: the failures past 3/4 of the way to the bar are not learnt.
    let climbing = 0
    for (let i = 0; i < 40; i++) {
      const r = Congestion.classify(s, i % 2 === 0, true)
      const bar = 3 * s.baseline + 0.03
      if (i % 2 === 0 && r.state.recent > s.baseline + (bar - s.baseline) * 0.75) {
        expect(r.state.baseline).toBe(s.baseline)
        climbing++
      }
      s = r.state
    }
    expect(climbing).toBeGreaterThan(0)
  })

  it("against a server without noise, two bare 503s close together are a wall once the usual share is known", () => {
    let s = Congestion.initial
    for (let i = 0; i < 1000; i++) s = Congestion.classify(s, false, true).state
    const first = Congestion.classify(s, true, true)
    expect(first.wall).toBe(false)
    expect(Congestion.classify(first.state, true, true).wall).toBe(true)
  })
})

describe("one cycle read with the burst's share of the rate known", () => {
  prop(
    "a bucket of rate r holding k seconds of it (2 requests or more): the slow start's wall reads back k at r, and a cycle after a pause reads back r at k; outside the range, nothing",
    [fc.double({ min: 20, max: 100, noNaN: true }), fc.double({ min: 0.1, max: 2, noNaN: true }), fc.double({ min: 1.3, max: 3, noNaN: true })],
    ([rate, k, over]) => {
      const burst = Math.max(1, rate * k)
      // A slow start from the rate doubling per second, its wall the bucket's.
      const ramp: Array<PacePoint> = []
      for (let i = 0; i < 60; i++) ramp.push([i * 100, rate * Math.pow(2, i / 10)])
      const start0: Cycle = { start: "full", from: 0, resumeAt: 0, wallAt: Infinity }
      const start = { ...start0, wallAt: predictWall(ramp, start0, rate, burst, 6000) }
      expect(burstSecondsAt(ramp, start, rate)! * rate).toBeCloseTo(burst, 1)
      // After a wall and a 1 s pause, resumed at `over` times the rate.
      const log: Array<PacePoint> = [[0, rate * over], [100, 0], [1100, rate * over]]
      const after0: Cycle = { start: "empty", from: 100, resumeAt: 1100, wallAt: Infinity }
      const after = { ...after0, wallAt: predictWall(log, after0, rate, burst, 20_000) }
      expect(rateAtBurst(log, after, k, 1, rate * over)).toBeCloseTo(rate, 1)
      // A range that does not hold the rate reads nothing.
      expect(rateAtBurst(log, after, k, rate * 1.1, rate * over)).toBeUndefined()
      expect(rateAtBurst(log, after, k, 1, rate * 0.9)).toBeUndefined()
    }
  )
})
