import { describe, expect, it } from "@effect/vitest"
import * as Aimd from "../../src/adaptive/aimd.js"
import * as Congestion from "../../src/adaptive/congestion.js"
import { measure, measureMean, rows, type ScenarioId } from "./matrix.js"

// Feedback a round trip late (32 fibers, 50-100 ms each way; `lagged`: 100-300 ms): the answers of
// requests sent before a decision keep arriving after it.
const T0 = 1_700_000_000_000
const c = Aimd.defaultConfig(50)
const row = (name: string) => rows.find((r) => r.name === name)!

/** A controller that met its first wall (sent at `T0 + 900`, seen at `T0 + 1000`) after a slow start. */
const afterWall = (retryAfterMs: number | undefined): Aimd.AimdState => {
  let s = Aimd.initial(c)
  for (let t = 0; t < 1000; t += 10) s = Aimd.onSuccess(c, s, T0 + t, { sentAt: T0 + t - 100 })
  return Aimd.onBackoff(c, { ...s, rttMs: 400 }, T0 + 1000, { retryAfterMs, sentAt: T0 + 900 })
}

describe("late feedback", () => {
  it("a later answer of the same burst extends the pause, and settling and probing move with the resume", () => {
    const s = afterWall(1000)
    const later = Aimd.onBackoff(c, s, T0 + 1150, { retryAfterMs: 1000, sentAt: T0 + 950 })
    expect(later.decreases).toBe(s.decreases)
    expect(later.cooldownUntil).toBe(T0 + 2150)
    expect(later.settledAt - s.settledAt).toBe(150)
    expect(later.probeAt - s.probeAt).toBe(150)
  })

  it("a later answer moving the resume MOVED_MS (500 ms) or more (an HTTP-date) moves the open cycle's resume and the pace log's, not after the slow start's wall", () => {
    const first = afterWall(1000)
    const r0 = first.cycle!.resumeAt
    const notMoved = Aimd.onBackoff(c, first, T0 + 1150, { retryAfterMs: 1900, sentAt: T0 + 950 })
    expect(notMoved.cooldownUntil).toBe(T0 + 3050)
    expect(notMoved.cycle!.resumeAt).toBe(r0)
    // A second wall: the cycle it closes starts empty.
    let s = first
    for (let t = 2000; t < 4000; t += 20) s = Aimd.onSuccess(c, s, T0 + t + 100, { sentAt: T0 + t })
    s = Aimd.onBackoff(c, s, T0 + 4000, { retryAfterMs: 1000, sentAt: T0 + 3900 })
    expect(s.cycles[s.cycles.length - 1]?.start).toBe("empty")
    const r = s.cycle!.resumeAt
    const log = s.paceLog
    const near = Aimd.onBackoff(c, s, T0 + 4150, { retryAfterMs: 1000, sentAt: T0 + 3950 })
    expect(near.cooldownUntil).toBe(T0 + 5150)
    expect(near.cycle!.resumeAt).toBe(r)
    expect(near.paceLog).toEqual(log)
    const whole = Aimd.onBackoff(c, s, T0 + 4150, { retryAfterMs: 1900, sentAt: T0 + 3950 })
    expect(whole.cycle!.resumeAt).toBe(T0 + 6050)
    expect(whole.paceLog.map(([t]) => t)).toEqual(log.map(([t]) => (t === r ? T0 + 6050 : t)))
    expect(whole.paceLog.map(([, p]) => p)).toEqual(log.map(([, p]) => p))
    // Within a second: 600 ms moves it, 499 ms does not.
    expect(Aimd.onBackoff(c, s, T0 + 4150, { retryAfterMs: 1450, sentAt: T0 + 3950 }).cycle!.resumeAt).toBe(T0 + 5600)
    expect(Aimd.onBackoff(c, s, T0 + 4150, { retryAfterMs: 1349, sentAt: T0 + 3950 }).cycle!.resumeAt).toBe(r)
  })

  it("after a decision without a pause, a wall sent within a round trip of it is the same burst; one sent later is news", () => {
    const s = afterWall(undefined)
    expect(s.cooldownUntil).toBeLessThanOrEqual(T0 + 1000)
    const inFlight = Aimd.onBackoff(c, s, T0 + 1500, { sentAt: T0 + 1300 })
    expect(inFlight.decreases).toBe(s.decreases)
    expect(inFlight.rate).toBe(s.rate)
    const later = Aimd.onBackoff(c, s, T0 + 1700, { sentAt: T0 + 1450 })
    expect(later.decreases).toBe(s.decreases + 1)
  })

  it("a wall is not the usual share of bare 503s: the baseline does not learn it", () => {
    let s = Congestion.initial
    for (let i = 0; i < 1000; i++) s = Congestion.classify(s, false, true).state
    // The first bare 503 after a clean run is below the bar; from the second on, walls.
    s = Congestion.classify(s, true, true).state
    for (let i = 0; i < 8; i++) {
      const r = Congestion.classify(s, true, true)
      expect(r.wall).toBe(true)
      expect(r.state.baseline).toBe(s.baseline)
      s = r.state
    }
  })

  // Floors at what the controller reaches (mean and worst over seeds 1-8); before: 429s, bare 503s
  // and no Retry-After in brackets (goodput mean / worst %).
  const floors: ReadonlyArray<readonly [name: string, net: "delayed" | "lagged", sc: ScenarioId, mean: number, worst: number]> = [
    ["bucket 0.2s RA=none", "delayed", "a", 97.5, 97], // was 94.2 / 91.6
    ["bucket 0.2s RA=none", "delayed", "d", 96.5, 94], // was 93.6 / 89.1
    ["bucket 0.2s RA=none", "lagged", "b", 97.5, 96], // was 89.5 / 76.5
    ["bucket 1s RA=none", "delayed", "b", 100, 99], // was 96.3 / 76.3
    ["bucket 1s RA=none", "lagged", "a", 97.5, 96.5], // was 94.3 / 85.9
    ["gcra b5 429", "delayed", "c", 93.5, 89], // was 90.9 / 84.3
    ["gcra b5 429", "delayed", "d", 97, 93.5], // was 94.1 / 87.1
    ["gcra b5 429", "lagged", "b", 92, 88], // was 88.6 / 76.9
    // was 65.5 / 59.9, then 67.6 / 65.3; the window quota raised the mean to 71.0, while seed 7
    // (69.5 -> 62.1) meets one wall more probing the range a fit pinned to its lower bound left open.
    ["sliding 1s RA=s", "delayed", "d", 70.5, 62],
    ["sliding 1s RA=s", "lagged", "b", 66, 55.5], // was 64.1 / 49.5
    // A wall at the docs' pace resumed near the limit (`RESUME_BELOW_DOCS`): was 66.7 / 58.8, 68.4 / 56.4, 70.6 / 62.4.
    // 89.7 / 87.9 before a first wall under two round trips in was read as a cold start (`coldStart`).
    ["bucket 0.2s RA=s", "lagged", "b", 90, 81],
    // The HTTP-date rows were 87.9 / 75.1, 84.6 / 76.1, 69.0 / 64.5 and 88.0 / 81.5 (below) while their
    // dates were a second later than the instant rounded up (`retryAfterValue.ts`).
    ["bucket 0.2s RA=date", "lagged", "b", 93.5, 89.5],
    ["bucket 0.5s RA=date", "lagged", "b", 93, 85.5],
    // A pause a later answer moved a whole second moves the fit's resume too (`pause.ts`): was 68.1 / 58.4, 86.6 / 81.2.
    ["bucket 0.2s RA=date", "lagged", "c", 89, 84.5],
    ["bucket 0.5s RA=date", "lagged", "d", 94.5, 84]
  ]
  for (const [name, net, sc, mean, worst] of floors) {
    it(`${name} (${net}, ${sc}): >= ${mean}% of the hidden limit on average, >= ${worst}% on the worst seed`, () => {
      let sum = 0, least = Infinity
      for (let seed = 1; seed <= 8; seed++) {
        const g = measure(row(name), sc, net, undefined, seed).adaptive.goodputPct
        sum += g / 8
        least = Math.min(least, g)
      }
      expect(sum).toBeGreaterThanOrEqual(mean)
      expect(least).toBeGreaterThanOrEqual(worst)
    })
  }

  it("nginx-style bare 503s: the pace stays near the limit instead of 17-31% above it", () => {
    // Was 16.9% (delayed) and 31.0% (lagged) bare 503s of the requests sent, docs overstated 2x, and
    // 6.1% after a limit drop with 8 fibers close by. Lagged 3.5 -> 4.3% (goodput 98.0 -> 98.4%) since
    // a wall past its cut restarts the recent share under the bar (`congestion.ts`): a 503 two answers
    // after the cut's first is no wall, which at 20% noise halved the rate.
    // Since a cut judges the 503s that go on after a soft wall and a probe ends at its first step's
    // (`softTrial.ts`), 8 seeds: delayed b 2.40 -> 2.17%, c 6.66 -> 1.19% (goodput 98.4 -> 95.3%: the
    // overshoot was admitted in part), local b / c 1.72 / 2.14 -> 1.40 / 1.61%, cold b / c 1.79 / 3.82
    // -> 1.15 / 2.20%, blocked c 7.17 -> 3.75%, lagged b / c 4.31 / 9.81 -> 3.85 / 8.72%.
    // Since a probe's abort is not above the limit its step's share implies (`observe.ts`), 8 seeds:
    // cold b 1.15 -> 0.44%, local c / d 1.61 / 1.81 -> 1.14 / 1.58%, blocked b 2.17 -> 0.84% (goodput
    // 97.9 -> 96.2%); and a hold's soft wall restarting the share further under the bar (`observe.ts`
    // deepCut): cold b 0.69%, local c / d 0.82 / 1.48%, blocked b 0.97% (95.8%).
    // Since a trial may start in a hold and a probe's soft wall leaves no range to probe soon
    // (`observe.ts`, `wallDecision.ts`), 8 seeds: blocked c 3.41 -> 1.40% (goodput 98.0 -> 96.6: the
    // hold sat 9% above the limit), delayed b / c 2.12 / 1.19 -> 1.22 / 1.03% (goodput 98.5 / 95.3 ->
    // 96.7 / 94.9: the floor of c lowered from 95, that of blocked b from 95.5, 95.8 -> 95.3 with 0.97
    // -> 0.64%), lagged b / c 3.77 / 8.94 -> 2.88 / 7.44%, local d 1.48 -> 1.10%, cold d 1.60 -> 0.94%.
    // Since 503s beating at a period start a trial (`beats.ts`; a plateau at 51 for 50 meets ~1 a
    // second, a share noise would make), 8 seeds: local b / c 1.40 / 0.79 -> 0.96 / 0.70% (goodput
    // 99.8 / 97.3 -> 98.9 / 97.1%).
    const cells = [
      ["delayed", "b", 1.35, 96], ["delayed", "c", 1.15, 94.5], ["lagged", "b", 3.1, 96], ["lagged", "c", 7.7, 95.5],
      ["local", "b", 1, 98.5], ["local", "c", 0.8, 96], ["local", "d", 1.25, 96], ["cold", "b", 0.8, 96], ["cold", "c", 0.7, 96],
      ["cold", "d", 1.05, 96], ["blocked", "b", 0.75, 95], ["blocked", "c", 1.55, 96]
    ] as const
    for (const [net, sc, max, goodput] of cells) {
      const m = measureMean(row("gcra b5 503"), sc, net, 8)
      expect(m.r429Pct, `${net} ${sc}`).toBeLessThanOrEqual(max)
      expect(m.goodputPct, `${net} ${sc}`).toBeGreaterThanOrEqual(goodput)
    }
  })
})
