import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { record, samples, settingsOf } from "../../src/limiter/usageRing.js"

const arbSettings = fc.record({ intervalMs: fc.integer({ min: 1, max: 1000 }), slots: fc.integer({ min: 1, max: 6 }) })
const arbEvents = fc.array(
  fc.record({ dt: fc.integer({ min: 0, max: 2500 }), label: fc.constantFrom("a", "b", "c|d"), amount: fc.integer({ min: 1, max: 50 }) }),
  { maxLength: 60 }
)

describe("usage ring", () => {
  it("reads what a plain sum per interval and label says, within the ring; holds at most slots intervals per label", () => {
    fc.assert(
      fc.property(arbSettings, arbEvents, fc.integer({ min: 1, max: 10_000 }), (settings, events, windowMs) => {
        const ring = new Map<string, string>()
        const sums = new Map<string, number>()
        let now = 1_000_000
        for (const e of events) {
          now += e.dt
          record(ring, settings, now, e.label, e.amount)
          const index = Math.floor(now / settings.intervalMs)
          sums.set(`${index}|${e.label}`, (sums.get(`${index}|${e.label}`) ?? 0) + e.amount)
        }
        const current = Math.floor(now / settings.intervalMs)
        const span = Math.min(settings.slots, Math.max(1, Math.ceil(windowMs / settings.intervalMs)))
        const expected = [...sums]
          .map(([key, amount]) => {
            const bar = key.indexOf("|")
            return { start: Number(key.slice(0, bar)) * settings.intervalMs, label: key.slice(bar + 1), amount }
          })
          .filter((s) => s.start / settings.intervalMs > current - span)
          .sort((a, b) => a.start - b.start || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
        expect(samples(ring, settings, now, windowMs)).toEqual(expected)
        const labels = new Set(events.map((e) => e.label)).size
        expect(ring.size).toBeLessThanOrEqual(settings.slots * labels)
      })
    )
  })

  it("a ring's own interval and slots win over the reader's; other fields are not samples", () => {
    const entries: Array<readonly [string, string]> = [["iv", "500"], ["n", "3"], ["4|x", "2"], ["junk", "1"], ["9|y", "nan"]]
    const settings = settingsOf(entries, { intervalMs: 60_000, slots: 60 })
    expect(settings).toEqual({ intervalMs: 500, slots: 3 })
    expect(samples(entries, settings, 4 * 500 + 10, 10_000)).toEqual([{ start: 2000, label: "x", amount: 2 }])
  })
})
