import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as QuotaWindow from "../../src/adaptive/quotaWindow.js"
import { prop } from "./prop.js"

const empty: QuotaWindow.WindowState = { headerLast: null, windowStartAt: null }
const read = (sentAt: number, remaining: number, at = sentAt + 2): QuotaWindow.Reading => ({ sentAt, at, remaining, partition: null })

describe("quota window (whole-second resets)", () => {
  it("a quota exhausted at the end of a 1 s window is restored when the window seen opening ends, not a second later", () => {
    let s = QuotaWindow.record(empty, read(0, 3))
    s = QuotaWindow.record(s, read(10, 49)) // a new window: opened about when the request reached the server
    for (let i = 1; i <= 49; i++) s = QuotaWindow.record(s, read(10 + i * 20, 49 - i))
    // "Remaining 0, reset in 1 s" observed at 992: the window opened at ~11 ends at ~1011.
    expect(QuotaWindow.restoredAt(s, 1992, 1000, 992)).toBeCloseTo(1011, 6)
    // Observed after that end: restored already.
    expect(QuotaWindow.restoredAt(s, 2020, 1000, 1020)).toBe(1020)
  })

  it("out-of-order answers (remaining up by a few) and other partitions do not open a window", () => {
    let s = QuotaWindow.record(empty, read(0, 40))
    s = QuotaWindow.record(s, read(10, 37))
    s = QuotaWindow.record(s, read(20, 39))
    expect(s.windowStartAt).toBeNull()
    s = QuotaWindow.record(s, { ...read(30, 49), partition: "other" })
    expect(s.windowStartAt).toBeNull()
    // An answer to an older request than the last one read is ignored.
    expect(QuotaWindow.record(s, read(5, 49))).toBe(s)
  })

  prop(
    "the quota is never restored later than the stated reset, nor before now",
    [
      fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 100 })), { maxLength: 30 }),
      fc.integer({ min: 0, max: 100_000 }),
      fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }),
      fc.integer({ min: 0, max: 100_000 })
    ],
    ([readings, now, windowMs, resetIn]) => {
      let s = empty
      let t = 0
      for (const [dt, remaining] of readings) s = QuotaWindow.record(s, read((t += dt), remaining))
      const at = QuotaWindow.restoredAt(s, now + resetIn, windowMs, now)
      expect(at).toBeLessThanOrEqual(now + resetIn)
      expect(at).toBeGreaterThanOrEqual(now)
    }
  )
})
