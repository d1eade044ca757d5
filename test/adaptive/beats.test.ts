/** A limiter's bare 503s told from random ones by their rhythm (`beats.ts`), and the trial it starts (`softTrial.ts`). */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Beats from "../../src/adaptive/beats.js"
import * as SoftTrial from "../../src/adaptive/softTrial.js"
import { prng } from "../../src/testing/prng.js"
import { prop } from "./prop.js"

const instants = (start: number, intervals: ReadonlyArray<number>): Array<number> =>
  intervals.reduce((ts, x) => [...ts, ts[ts.length - 1]! + x], [start])

describe("beats", () => {
  prop("a period with 4% jitter beats; fewer instants than the intervals judged never do", [fc.double({ min: 1, max: 1e6, noNaN: true }), fc.double({ min: 5, max: 5000, noNaN: true }), fc.array(fc.double({ min: -0.04, max: 0.04, noNaN: true }), { minLength: Beats.INTERVALS, maxLength: 12 })], ([start, period, jitter]) => {
    const ts = instants(start, jitter.map((j) => period * (1 + j)))
    expect(Beats.regular(ts.slice(-(Beats.INTERVALS + 1)))).toBe(true)
    expect(Beats.regular(ts.slice(-Beats.INTERVALS))).toBe(false)
  })

  prop("the instants kept are the last ones, in order; an earlier one starts afresh", [fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 30 })], ([xs]) => {
    const kept = xs.reduce<ReadonlyArray<number>>((ts, t) => Beats.beat(ts, t), [])
    expect(kept.length).toBeLessThanOrEqual(Beats.INTERVALS + 1)
    expect(kept[kept.length - 1]).toBe(xs[xs.length - 1])
    for (let i = 1; i < kept.length; i++) expect(kept[i]!).toBeGreaterThanOrEqual(kept[i - 1]!)
  })

  it("random failures (geometric intervals) beat in under 0.2% of windows (about 1 in 1000); a skipped beat breaks a rhythm", () => {
    const rnd = prng(13)
    let beating = 0
    for (let i = 0; i < 20_000; i++) {
      const ts = instants(0, Array.from({ length: Beats.INTERVALS }, () => -Math.log(1 - rnd()) * 100))
      if (Beats.regular(ts)) beating++
    }
    expect(beating / 20_000).toBeLessThan(0.002)
    expect(Beats.regular(instants(0, [1000, 980, 2010, 990, 1000]))).toBe(false)
    expect(Beats.regular([0, 1000, 2000, Number.NaN, 4000, 5000])).toBe(false)
  })

  it("failures at the usual share start a trial when they beat at a period (nginx at 51/s for 50)", () => {
    const w = { ...SoftTrial.watch(0, 0.025), n: 300, k: 6 }
    expect(SoftTrial.shouldTry(w, 0.025)).toBe(false)
    expect(SoftTrial.shouldTry({ ...w, beats: instants(0, [980, 960, 1000, 990, 970]) }, 0.025)).toBe(true)
    expect(SoftTrial.shouldTry({ ...w, beats: instants(0, [120, 900, 40, 400, 1300]) }, 0.025)).toBe(false)
    expect(SoftTrial.sane({ ...w, beats: [0, Number.NaN] })).toBe(false)
  })
})
