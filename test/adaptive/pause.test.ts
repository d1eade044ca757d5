/**
 * When a range a decision left open is probed (`openRangeDelay`): never later than `recoveryMs`, at
 * once on a local net after a fit, later the longer the round trip.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import { openRangeDelay } from "../../src/adaptive/pause.js"
import { prop } from "./prop.js"

describe("openRangeDelay", () => {
  prop(
    "within [0, recoveryMs], recoveryMs without a fit, non-decreasing in the round trip after one",
    [fc.integer({ min: 0, max: 60_000 }), fc.double({ min: -10, max: 10_000, noNaN: true }), fc.double({ min: 0, max: 10_000, noNaN: true })],
    ([recoveryMs, rtt, more]) => {
      const d = openRangeDelay(recoveryMs, rtt, true)
      expect(d).toBeGreaterThanOrEqual(0)
      expect(d).toBeLessThanOrEqual(recoveryMs)
      expect(openRangeDelay(recoveryMs, rtt, false)).toBe(recoveryMs)
      expect(openRangeDelay(recoveryMs, rtt + more, true)).toBeGreaterThanOrEqual(d)
    }
  )

  prop("a round trip of a few ms probes a fit's range within a tenth of a second", [fc.double({ min: 0, max: 5, noNaN: true })], ([rtt]) => {
    expect(openRangeDelay(3000, rtt, true)).toBeLessThanOrEqual(100)
  })

  prop("no round trip known (a client never passing sentAt) waits recoveryMs, as far away", [fc.integer({ min: 0, max: 60_000 })], ([recoveryMs]) => {
    expect(openRangeDelay(recoveryMs, null, true)).toBe(recoveryMs)
  })
})

describe("extendPause", () => {
  // The reviewer's order: a wall at +4000 resumed at +4200; an answer of its burst back at +4450 (after
  // the resume, ~12 requests sent since) stating 750 ms. The sends since the resume stay in the log.
  const T0 = 1_700_000_000_000
  const c = Aimd.defaultConfig(50)
  const run = (lateAt: number) => {
    let s = Aimd.initial(c)
    for (let t = 0; t < 1000; t += 10) s = Aimd.onSuccess(c, s, T0 + t, { sentAt: T0 + t - 100 })
    s = Aimd.onBackoff(c, { ...s, rttMs: 400 }, T0 + 1000, { retryAfterMs: 1000, sentAt: T0 + 900 })
    for (let t = 2000; t < 4000; t += 20) s = Aimd.onSuccess(c, s, T0 + t + 100, { sentAt: T0 + t })
    s = Aimd.onBackoff(c, s, T0 + 4000, { retryAfterMs: 200, sentAt: T0 + 3900 })
    return { before: s, after: Aimd.onBackoff(c, s, T0 + lateAt, { retryAfterMs: 1200 - (lateAt - 4000), sentAt: T0 + 3950 }) }
  }
  const sorted = (log: ReadonlyArray<readonly [number, number]>) => log.every((p, i) => i === 0 || log[i - 1]![0] <= p[0])

  it("an answer after the resume leaves the resume and the pace sent since it in place", () => {
    const { after, before } = run(4450)
    expect(before.cycle!.resumeAt).toBe(T0 + 4200)
    expect(after.cooldownUntil).toBe(T0 + 5200)
    expect(after.cycle!.resumeAt).toBe(T0 + 4200)
    expect(after.paceLog.some(([t, p]) => t === T0 + 4200 && p > 0)).toBe(true)
    expect(sorted(after.paceLog)).toBe(true)
  })

  it("an answer before the resume moving it 500 ms or more moves the cycle's resume and the log's", () => {
    const { after } = run(4150)
    expect(after.cooldownUntil).toBe(T0 + 5200)
    expect(after.cycle!.resumeAt).toBe(T0 + 5200)
    expect(after.paceLog.some(([t]) => t === T0 + 4200)).toBe(false)
    expect(sorted(after.paceLog)).toBe(true)
  })
})
