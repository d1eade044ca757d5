import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import { coldStart, paceAt, recordSend, type SendCount, sentBetween, sentLog, startSent, withPace } from "../../src/adaptive/paceLog.js"
import { prop } from "./prop.js"

const T0 = 1_700_000_000_000
const c = Aimd.defaultConfig(50)
/** Paced at 50 from `T0`, in its first cycle. */
const paced: Aimd.AimdState = { ...Aimd.initial(c), paceLog: [[T0, 50]], cycle: { start: "full", from: T0, resumeAt: T0 } }
const W = 500

const record = (s: Aimd.AimdState, sends: ReadonlyArray<number>) => sends.reduce(recordSend, s)

describe("pace log: what was sent", () => {
  it("one request at a time (~9/s) under a pace of 50: the log says what went out, not the pace", () => {
    const sends = Array.from({ length: 40 }, (_, i) => T0 + i * 110)
    const s = record(paced, sends)
    // Windows of the first 3.5 s are closed (a send 500 ms later was seen): 4-5 requests each.
    for (let a = T0; a < T0 + 3500; a += W) {
      const n = sends.filter((t) => t >= a && t < a + W).length
      expect(sentBetween(s.paceLog, a, a + W)).toBeCloseTo(n, 9)
    }
    // The open windows still say the pace: no answer is late there yet.
    expect(sentBetween(s.paceLog, T0 + 4000, T0 + 4500)).toBeCloseTo(25, 9)
  })

  it("a load near the pace, a window overlapping a pause, header pacing and an idle client", () => {
    // 20 requests per 500 ms of a pace that says 25: jitter and stalls, left as the log says.
    const near = Array.from({ length: 100 }, (_, i) => T0 + i * 25)
    expect(record(paced, near).paceLog).toEqual(paced.paceLog)
    // Nothing sent while a wall's pause lasted (later answers made it longer than the log says).
    const pausedAt: Aimd.AimdState = { ...paced, lastDecreaseAt: T0 + 400, cooldownUntil: T0 + 1600 }
    const after = record(pausedAt, [T0, T0 + 100, T0 + 200, T0 + 2500])
    expect(sentBetween(after.paceLog, T0 + 500, T0 + 1500)).toBeCloseTo(50, 9)
    expect(record({ ...paced, phase: "header" }, [T0, T0 + 3000]).paceLog).toEqual(paced.paceLog)
    // Idle for an hour: nothing went out, the log says so (at once, not window by window).
    const idle = record(paced, [T0, T0 + 3_600_000])
    expect(sentBetween(idle.paceLog, T0 + W, T0 + 3_599_000)).toBe(0)
    expect(idle.sends!.counts.length).toBeLessThanOrEqual(2)
  })

  it("an answer of a window already closed is not counted, and changes nothing", () => {
    const s = record(paced, [T0, T0 + 110, T0 + 1600])
    expect(recordSend(s, T0 + 120)).toBe(s)
    expect(recordSend(s, NaN)).toBe(s)
  })

  it("stored counts that are malformed, or opened by a clock far ahead, start afresh instead of throwing", () => {
    const s = record(paced, [T0, T0 + 110])
    const bad = [
      { from: T0 },
      { from: T0, counts: [1], pauses: 7 },
      { from: Number.NaN, counts: [] },
      { from: T0 + 3_600_000, counts: [5] }
    ] as unknown as Array<SendCount>
    for (const sends of bad) {
      const next = recordSend({ ...s, sends }, T0 + 200)
      expect(next.sends!.from).toBeLessThanOrEqual(T0 + 200)
      expect(next.sends!.counts.reduce((a, b) => a + b, 0)).toBe(1)
    }
  })

  prop(
    "answers in any order within half a second: every closed window holds what was sent when that was at most half the pace, the pace otherwise; never more, never negative",
    [
      fc.array(fc.integer({ min: 0, max: 6000 }), { minLength: 1, maxLength: 300 }),
      fc.array(fc.integer({ min: 0, max: 450 }), { minLength: 300, maxLength: 300 })
    ],
    ([offsets, delays]) => {
      const sends = [...offsets].sort((a, b) => a - b).map((o) => T0 + o)
      // Answered a delay later, observed in answer order.
      const answered = sends.map((t, i) => [t + delays[i]!, t] as const).sort((a, b) => a[0] - b[0]).map(([, t]) => t)
      const s = record(paced, answered)
      // Counted from the window of the first answer on (a send before it is one missed).
      for (let a = Math.floor(answered[0]! / W) * W; a < s.sends!.from; a += W) {
        const n = sends.filter((t) => t >= a && t < a + W).length
        const said = sentBetween(s.paceLog, a, a + W)
        expect(said).toBeCloseTo(n <= 12.5 && 25 - n >= 1 ? n : 25, 6)
      }
      for (const [, pace] of s.paceLog) expect(pace >= 0 && pace <= 50).toBe(true)
      expect(s.paceLog.length).toBeLessThanOrEqual(64)
    }
  )
})

/** Paces changing every `ms` from T0 (the slow start), a wall `span` ms in, `share` of the log accepted. */
const startSentHolds = ([steps, span, share]: [Array<[number, number]>, number, number]) => {
  const log: Array<readonly [number, number]> = []
  let at = T0
  for (const [ms, pace] of steps) log.push([at, pace]), (at += ms)
  const wallAt = T0 + span
  const said = sentBetween(log, T0, wallAt)
  const accepted = Math.floor(said * share)
  const out = startSent(log, T0, wallAt, accepted)
  const bound = accepted <= said * 0.8 && said - accepted >= 3
  if (!bound) {
    expect(out).toEqual(log)
    return
  }
  // Within 5e-5 of a request: instants near 1.7e12 ms carry ~2e-4 ms of float error each.
  expect(sentBetween(out, T0, wallAt)).toBeCloseTo(accepted, 4)
  expect(out[0]).toEqual([T0, 0])
  // From the resumption on, the pace is the log's.
  const resumed = out[1]![0]
  for (let t = resumed; t < wallAt + 1000; t += 37) expect(sentBetween(out, t, t + 10)).toBeCloseTo(sentBetween(log, t, t + 10), 4)
}

describe("pace log: the start of traffic, load-bound", () => {
  prop(
    "a cycle that accepted at most 0.8 of what the log says sends nothing from its start until the log says the rest, then paces; otherwise, and outside it, the log is kept",
    [
      fc.array(fc.tuple(fc.integer({ min: 1, max: 800 }), fc.double({ min: 1, max: 200, noNaN: true })), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 100, max: 4000 }),
      fc.double({ min: 0, max: 1.2, noNaN: true })
    ],
    startSentHolds
  )

  it("the instant the missing requests were said by ends in the segment that completes them (counterexamples found)", () => {
    // 43.5/s for 548 ms, then 28.7/s; a wall at 1549 ms, 40 accepted: the sum re-measured at the
    // instant found fell short by float error, the search went on into the next segment and its
    // negative need moved the instant back (45.8 read as sent for 40). So did 172.4 then 97.7.
    for (const [ms, p1, p2, span, accepted] of [[548, 43.5, 28.7, 1549, 40], [785, 172.4, 97.7, 1698, 92]] as const) {
      const log: Array<readonly [number, number]> = [[T0, p1], [T0 + ms, p2]]
      const out = startSent(log, T0, T0 + span, accepted)
      // Within 5e-5 of a request: instants near 1.7e12 ms carry ~2e-4 ms of float error each.
      expect(sentBetween(out, T0, T0 + span)).toBeCloseTo(accepted, 4)
    }
  })

  it("the rest found inside a segment is final, though recounted there it rounds a hair short (fast-check's counterexample)", () => {
    // 2 of 5.717 accepted: the rest, 3.717, is 126.77 ms into the first pace, recounted 4.5e-7 short at
    // 1.7e12 ms; the second pace's need was then negative, the instant fell before T0 and the log stayed.
    startSentHolds([[[148, 29.322774587419158], [1, 2.981570736879332]], 610, 0.3498181449766076])
  })

  it("the first wall of a client that started cold: the fit reads the log as sent", () => {
    // Paced at 105 from T0 (docs 100), the first answers 300 ms late: 24 accepted by the wall at 380 ms, of 40.
    const s: Aimd.AimdState = { ...paced, paceLog: [[T0, 105]], cycleAccepted: 24, successesSinceDecrease: 24, rate: 105 }
    const c = Aimd.defaultConfig(100)
    const walled = Aimd.onBackoff(c, s, T0 + 382, { retryAfterMs: 1000, sentAt: T0 + 380 })
    expect(sentBetween(walled.paceLog, T0, T0 + 380)).toBeCloseTo(24, 3)
    expect(sentBetween(walled.paceLog, T0, T0 + 150)).toBe(0)
    // A later wall, or a first one at the docs' pace (a load ramping), leaves the log as it is.
    const warm = Aimd.onBackoff(c, { ...s, lastDecreaseAt: T0 - 1000 }, T0 + 382, { retryAfterMs: 1000, sentAt: T0 + 380 })
    expect(sentBetween(warm.paceLog, T0, T0 + 140)).toBeCloseTo(14.7, 6)
    const atDocs = Aimd.onBackoff(Aimd.defaultConfig(105), s, T0 + 382, { retryAfterMs: 1000, sentAt: T0 + 380 })
    expect(sentBetween(atDocs.paceLog, T0, T0 + 140)).toBeCloseTo(14.7, 6)
    // At the docs' pace but within two round trips of the start: the first answers were still due.
    const coldAtDocs = Aimd.onBackoff(Aimd.defaultConfig(105), { ...s, rttMs: 200 }, T0 + 382, { retryAfterMs: 1000, sentAt: T0 + 380 })
    expect(sentBetween(coldAtDocs.paceLog, T0, T0 + 380)).toBeCloseTo(24, 3)
    expect(sentBetween(coldAtDocs.paceLog, T0, T0 + 150)).toBe(0)
    const rampAtDocs = Aimd.onBackoff(Aimd.defaultConfig(105), { ...s, rttMs: 150 }, T0 + 382, { retryAfterMs: 1000, sentAt: T0 + 380 })
    expect(sentBetween(rampAtDocs.paceLog, T0, T0 + 140)).toBeCloseTo(14.7, 6)
  })

  prop(
    "a start is cold exactly when its wall came under two round trips in; no round trip known (or a stored one malformed) is no cold start",
    [fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 5000, noNaN: true })],
    ([span, rttMs]) => {
      expect(coldStart(T0, T0 + span, rttMs)).toBe(rttMs > 0 && span < 2 * rttMs)
      for (const bad of [null, undefined, Number.NaN, Infinity, -rttMs - 1]) expect(coldStart(T0, T0 + span, bad)).toBe(false)
    }
  )
})

describe("pace log: bounded, history kept", () => {
  it("bursts and idle windows alternating: the log stays bounded and keeps the open cycle's start", () => {
    const c = Aimd.defaultConfig(50)
    const start = { ...Aimd.initial(c), cycle: { from: T0, resumeAt: T0, start: "full" as const } } as Aimd.AimdState
    let s = withPace(start, 50, T0)
    // 5 sent at once every 1.2 s for 2 minutes: paces and pauses alternate, 200 points' worth.
    for (let t = 0; t < 120_000; t += 600) s = withPace(s, t % 1200 === 0 ? 50 : 0, T0 + t)
    expect(s.paceLog.length).toBeLessThanOrEqual(64)
    expect(s.paceLog[0]![0]).toBeLessThanOrEqual(T0)
    // Half the time at 50: about 3,000 sends over the two minutes, none lost to a dropped head.
    expect(sentBetween(s.paceLog, T0, T0 + 120_000)).toBeCloseTo(3000, -2)
  })
})

describe("pace log: what a capped client sent up to a wall", () => {
  /** Paced at 100 from `T0`, a round trip of `rttMs`, in its first cycle. */
  const fast = (rttMs: number): Aimd.AimdState => ({ ...paced, phase: "steady", rate: 100, paceLog: [[T0, 100]], rttMs })
  const every = (ms: number, until: number) => Array.from({ length: Math.floor(until / ms) }, (_, i) => T0 + i * ms)

  it("80/s under a pace of 100 with 32 in flight: the wall's pace is what went out, the log before the last window read stays", () => {
    const s = record(fast(400), every(12.5, 3000))
    const wallAt = T0 + 3000
    const log = sentLog(s, wallAt)
    expect(paceAt({ ...s, paceLog: log }, wallAt)).toBeCloseTo(80, 6)
    // The windows closed already say what they sent: a window is read once, not twice.
    expect(sentBetween(log, T0, T0 + 1500)).toBeCloseTo(sentBetween(s.paceLog, T0, T0 + 1500), 6)
  })

  it("sent as paced, few in flight (a late timer's lost sends), a stale reading, a stored reading malformed, or a slow start: the log as is", () => {
    const paced100 = record(fast(400), every(10, 3000))
    expect(sentLog(paced100, T0 + 3000)).toBe(paced100.paceLog)
    const near = record(fast(100), every(12.5, 3000))
    expect(sentLog(near, T0 + 3000)).toBe(near.paceLog)
    const capped = record(fast(400), every(12.5, 3000))
    expect(sentLog(capped, T0 + 6000)).toBe(capped.paceLog)
    const bad = [null, { at: Number.NaN, share: 0.5, perS: 50 }, { at: T0 + 2000, share: 0.5, perS: -1 }, { at: T0 + 2000, share: Number.NaN, perS: 50 }]
    for (const share of bad) expect(sentLog({ ...capped, sends: { ...capped.sends!, share } }, T0 + 3000)).toBe(capped.paceLog)
    // The slow start's wall is read as the pace went (the docs' tests).
    expect(sentLog({ ...capped, phase: "slow-start" }, T0 + 3000)).toBe(capped.paceLog)
  })

  prop(
    "any sends and round trip: the log up to a wall never says more than the pace log, nor anything else before the window it read",
    [fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: 1, maxLength: 400 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 5000 })],
    ([offsets, rttMs, wall]) => {
      const s = record(fast(rttMs), [...offsets].sort((a, b) => a - b).map((o) => T0 + o))
      const log = sentLog(s, T0 + wall)
      for (let t = T0; t <= T0 + 5000; t += 50) {
        expect(paceAt({ ...s, paceLog: log }, t)).toBeLessThanOrEqual(paceAt(s, t) + 1e-9)
        if (s.sends?.share != null && t < s.sends.share.at) expect(paceAt({ ...s, paceLog: log }, t)).toBe(paceAt(s, t))
      }
    }
  )
})
