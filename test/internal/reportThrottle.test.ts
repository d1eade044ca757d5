import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { initialThrottle, noteEvent } from "../../src/internal/reportThrottle.js"

/** Event times: non-decreasing, built from gaps. */
const times = fc.array(fc.nat(40_000), { minLength: 1, maxLength: 200 }).map((gaps) => {
  let t = 0
  return gaps.map((g) => (t += g))
})

const run = (events: ReadonlyArray<number>, interval: number) => {
  let state = initialThrottle
  const reports: Array<{ readonly at: number; readonly count: number }> = []
  for (const at of events) {
    const next = noteEvent(state, at, interval)
    state = next.state
    if (next.report !== undefined) reports.push({ at, count: next.report })
  }
  return { reports, pending: state.pending }
}

describe("reportThrottle", () => {
  it("reports the first event at once and then at most once per interval", () =>
    fc.assert(
      fc.property(times, fc.integer({ min: 1, max: 60_000 }), (events, interval) => {
        const { reports } = run(events, interval)
        expect(reports[0]).toEqual({ at: events[0], count: 1 })
        for (let i = 1; i < reports.length; i++) expect(reports[i]!.at - reports[i - 1]!.at).toBeGreaterThanOrEqual(interval)
      })
    ))

  it("loses no event: reported counts plus the pending ones are all of them", () =>
    fc.assert(
      fc.property(times, fc.integer({ min: 1, max: 60_000 }), (events, interval) => {
        const { reports, pending } = run(events, interval)
        expect(reports.reduce((s, r) => s + r.count, 0) + pending).toBe(events.length)
      })
    ))

  it("reports an event once the interval since the last report has elapsed", () =>
    fc.assert(
      fc.property(times, fc.integer({ min: 1, max: 60_000 }), (events, interval) => {
        let state = initialThrottle
        for (const at of events) {
          const due = at - state.reportedAt >= interval
          const next = noteEvent(state, at, interval)
          expect(next.report !== undefined).toBe(due)
          state = next.state
        }
      })
    ))

  it("three events within 30 s: one report; the next after 30 s carries the two held back", () => {
    const { reports } = run([0, 1_000, 2_000, 31_000], 30_000)
    expect(reports).toEqual([{ at: 0, count: 1 }, { at: 31_000, count: 3 }])
  })
})
