/**
 * When a range a decision left open is probed (`openRangeDelay`): never later than `recoveryMs`, at
 * once on a local net after a fit, later the longer the round trip.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import { inLastBurst, openRangeDelay, resumedInFlight } from "../../src/adaptive/pause.js"
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
  // the resume, ~12 requests sent since) stating 750 ms. With a round trip shorter than the pause the
  // sends since the resume stay in the log, and the cycle resumes where it did.
  const T0 = 1_700_000_000_000
  const c = Aimd.defaultConfig(50)
  const run = (lateAt: number, rttMs = 150) => {
    let s = Aimd.initial(c)
    for (let t = 0; t < 1000; t += 10) s = Aimd.onSuccess(c, s, T0 + t, { sentAt: T0 + t - 100 })
    s = Aimd.onBackoff(c, { ...s, rttMs }, T0 + 1000, { retryAfterMs: 1000, sentAt: T0 + 900 })
    for (let t = 2000; t < 4000; t += 20) s = Aimd.onSuccess(c, s, T0 + t + 100, { sentAt: T0 + t })
    s = Aimd.onBackoff(c, s, T0 + 4000, { retryAfterMs: 200, sentAt: T0 + 3900 })
    return { before: s, after: Aimd.onBackoff(c, s, T0 + lateAt, { retryAfterMs: 1200 - (lateAt - 4000), sentAt: T0 + 3950 }) }
  }
  const sorted = (log: ReadonlyArray<readonly [number, number]>) => log.every((p, i) => i === 0 || log[i - 1]![0] <= p[0])

  it("an answer after a resume a round trip or more after the wall leaves the resume and the pace sent since it in place", () => {
    const { after, before } = run(4450)
    expect(before.cycle!.resumeAt).toBe(T0 + 4200)
    expect(resumedInFlight(before)).toBe(false)
    expect(after.cooldownUntil).toBe(T0 + 5200)
    expect(after.cycle!.resumeAt).toBe(T0 + 4200)
    expect(after.paceLog.some(([t, p]) => t === T0 + 4200 && p > 0)).toBe(true)
    expect(sorted(after.paceLog)).toBe(true)
  })

  it("an answer after a resume within a round trip of the wall: the cycle resumes at the new end, the log keeps the sends and pauses until it", () => {
    const { after, before } = run(4450, 400)
    expect(resumedInFlight(before)).toBe(true)
    expect(after.cooldownUntil).toBe(T0 + 5200)
    expect(after.cycle!.resumeAt).toBe(T0 + 5200)
    expect(after.paceLog.some(([t, p]) => t === T0 + 4200 && p > 0)).toBe(true)
    expect(after.paceLog.some(([t, p]) => t === T0 + 4450 && p === 0)).toBe(true)
    expect(after.paceLog.some(([t, p]) => t === T0 + 5200 && p > 0)).toBe(true)
    expect(sorted(after.paceLog)).toBe(true)
    // A wall met by a request sent before the new end is the same burst: no decision.
    expect(inLastBurst(after, T0 + 4300, c.initialRate, false)).toBe(true)
    const again = Aimd.onBackoff(c, after, T0 + 4500, { retryAfterMs: 700, sentAt: T0 + 4300 })
    expect(again.decreases).toBe(after.decreases)
  })

  it("an answer before the resume moving it 500 ms or more moves the cycle's resume and the log's", () => {
    const { after } = run(4150)
    expect(after.cooldownUntil).toBe(T0 + 5200)
    expect(after.cycle!.resumeAt).toBe(T0 + 5200)
    expect(after.paceLog.some(([t]) => t === T0 + 4200)).toBe(false)
    expect(sorted(after.paceLog)).toBe(true)
  })
})

describe("extendPause with no cycle kept", () => {
  // The slow start's wall after a few successes (too few to keep its cycle), answered 150 ms away: a
  // later answer of its burst, before the resume, moves the pause 160 ms. The open cycle has no other
  // to be read against: it resumes where the pace did (it stayed 160 ms early, and a 0.1 s bucket of
  // 50 fitted 23-46). With a kept cycle a move that short stays as first decided.
  const T0 = 1_700_000_000_000
  const c = Aimd.defaultConfig(100)
  const walled = (successes: number) => {
    let s = Aimd.initial(c)
    for (let i = 0; i < successes; i++) s = Aimd.onSuccess(c, s, T0 + i * 10 + 150, { sentAt: T0 + i * 10 })
    return Aimd.onBackoff(c, { ...s, rttMs: 150 }, T0 + successes * 10 + 150, { retryAfterMs: 1000, sentAt: T0 + successes * 10 })
  }
  prop("a move of any size before the resume moves the cycle's resume and the log's", [fc.integer({ min: 1, max: 400 })], ([moveMs]) => {
    const s = walled(5)
    expect(s.cycles.length).toBe(0)
    const r = s.cycle!.resumeAt
    const after = Aimd.onBackoff(c, s, T0 + 300, { retryAfterMs: r + moveMs - (T0 + 300), sentAt: T0 + 55 })
    expect(after.cooldownUntil).toBe(r + moveMs)
    expect(after.cycle!.resumeAt).toBe(r + moveMs)
    expect(after.paceLog.some(([t, p]) => t === r + moveMs && p > 0)).toBe(true)
    expect(after.paceLog.some(([t]) => t === r)).toBe(false)
  })

  it("with the slow start's cycle kept, a move shorter than 500 ms leaves the resume as first decided", () => {
    const s = walled(100)
    expect(s.cycles.length).toBe(1)
    const r = s.cycle!.resumeAt
    const after = Aimd.onBackoff(c, s, T0 + 1200, { retryAfterMs: r + 160 - (T0 + 1200), sentAt: T0 + 1000 })
    expect(after.cooldownUntil).toBe(r + 160)
    expect(after.cycle!.resumeAt).toBe(r)
  })
})

describe("resumedInFlight", () => {
  const T0 = 1_700_000_000_000
  const c = Aimd.defaultConfig(50)
  prop(
    "a wall's pause shorter than the round trip (none, an HTTP-date already near) resumes in flight; one as long or longer does not",
    [fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 4000 })],
    ([rttMs, pauseMs]) => {
      let s = Aimd.initial(c)
      for (let t = 0; t < 1000; t += 10) s = Aimd.onSuccess(c, s, T0 + t, { sentAt: T0 + t - 5 })
      const walled = Aimd.onBackoff(c, { ...s, rttMs }, T0 + 1000, { retryAfterMs: pauseMs, sentAt: T0 + 990 })
      expect(resumedInFlight(walled)).toBe(pauseMs < rttMs)
      expect(resumedInFlight(Aimd.initial(c))).toBe(false)
      // Sent before the wall's decision: its burst; sent after the resume and a round trip: news.
      expect(inLastBurst(walled, T0 + 999, c.initialRate, false)).toBe(true)
      expect(inLastBurst(walled, T0 + 1000 + Math.max(pauseMs, rttMs), c.initialRate, false)).toBe(false)
      expect(inLastBurst(walled, T0 + 1000 + Math.min(pauseMs, rttMs) - 1, c.initialRate, false)).toBe(true)
    }
  )
})

describe("inLastBurst after a ramp's wall", () => {
  it("takes a 429 sent past the round trip's spread for a new wall, a bare 503 or another hold's not", () => {
    const c = Aimd.defaultConfig(10)
    const at = 1_700_000_005_000
    const held: Aimd.AimdState = {
      ...Aimd.initial(c),
      phase: "hold",
      lastDecreaseAt: at,
      lastDecreaseRate: 100,
      cooldownUntil: 0,
      cycle: { start: "empty", from: at - 400, resumeAt: at },
      cycles: [{ start: "full", from: at - 6000, resumeAt: at - 6000, wallAt: at - 400 }],
      rttMs: 400,
      rttMinMs: 200
    }
    expect(resumedInFlight(held)).toBe(true)
    expect(inLastBurst(held, at + 150, c.initialRate, false)).toBe(true)
    expect(inLastBurst(held, at + 250, c.initialRate, false)).toBe(false)
    expect(inLastBurst(held, at + 250, c.initialRate, true)).toBe(true)
    expect(inLastBurst({ ...held, lastDecreaseRate: 19 }, at + 250, c.initialRate, false)).toBe(true)
    // Not once a hold's cycle was kept, nor with few in flight (100/s over a round trip of 200 ms: 20).
    expect(inLastBurst({ ...held, cycles: [...held.cycles, { start: "empty", from: at - 400, resumeAt: at - 300, wallAt: at - 100 }] }, at + 250, c.initialRate, false)).toBe(true)
    expect(inLastBurst({ ...held, rttMs: 200, rttMinMs: 100 }, at + 150, c.initialRate, false)).toBe(true)
    expect(inLastBurst(held, at + 450, c.initialRate, true)).toBe(false)
  })
})
