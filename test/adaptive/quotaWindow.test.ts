import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import * as HeaderPacing from "../../src/adaptive/headerPacing.js"
import { parseRateLimitHeaders } from "../../src/adaptive/headers.js"
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

  it("small quotas (2 to 5) open new windows too: a rise from an exhausted reading", () => {
    for (let quota = 2; quota <= 5; quota++) {
      let s = empty
      // A window used up, then the first request of the next one, sent at 1000 (at the server ~1001).
      for (let i = 0; i < quota; i++) s = QuotaWindow.record(s, read(i * 20, quota - 1 - i))
      s = QuotaWindow.record(s, read(1000, quota - 1))
      expect(s.windowStartAt, `quota ${quota}`).toBeCloseTo(1001, 6)
      for (let i = 1; i < quota; i++) s = QuotaWindow.record(s, read(1000 + i * 20, quota - 1 - i))
      // Exhausted again, "reset in 1 s": restored when the window seen opening ends.
      const now = 1000 + (quota - 1) * 20
      expect(QuotaWindow.restoredAt(s, now + 1000, 1000, now), `quota ${quota}`).toBeCloseTo(2001, 6)
    }
  })

  prop(
    "every quota of 2 or more: the first reading of a window after an exhausted one opens it",
    [fc.integer({ min: 2, max: 500 }), fc.integer({ min: 0, max: 10_000 })],
    ([quota, at]) => {
      let s = QuotaWindow.record(empty, read(at, 0))
      s = QuotaWindow.record(s, read(at + 1000, quota - 1))
      expect(s.windowStartAt).toBeCloseTo(at + 1001, 6)
    }
  )

  prop(
    "a stated quota of 2 or more: its full reading after an exhausted one opens a window, a rise of 2 under a quota of 6 or more does not",
    [fc.integer({ min: 2, max: 500 }), fc.integer({ min: 0, max: 10_000 })],
    ([quota, at]) => {
      const stated = (sentAt: number, remaining: number) => ({ ...read(sentAt, remaining), limit: quota })
      const s = QuotaWindow.record(QuotaWindow.record(empty, stated(at, 0)), stated(at + 1000, quota - 1))
      expect(s.windowStartAt).toBeCloseTo(at + 1001, 6)
      // A sliding log frees its quota one request at a time: 0 then 2 left is that, not a new window.
      const slow = QuotaWindow.record(QuotaWindow.record(empty, stated(at, 0)), stated(at + 20, 2))
      if (quota >= 6) expect(slow.windowStartAt).toBeNull()
    }
  )

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

  prop(
    "an epoch-second reset (rounded up to it): the window read is never longer than the true whole-second window, and is it when the rounding adds more than the answer's delay",
    [fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }), fc.double({ min: 0.001, max: 0.999, noNaN: true })],
    ([windowS, start, share]) => {
      const end = start + windowS * 1000
      const resetAt = Math.ceil(end / 1000) * 1000
      // Read when the answer comes, `delay` after the server opened the window.
      const delay = Math.max(1, Math.floor(share * windowS * 1000))
      const read = QuotaWindow.windowOfReset(resetAt, start + delay, true)
      expect(read).toBeLessThanOrEqual(windowS * 1000)
      if (resetAt - end >= delay) expect(read).toBe(windowS * 1000)
    }
  )

  prop(
    "a reset in whole seconds from now reads as that many seconds, whatever the clock's milliseconds",
    [fc.integer({ min: 0, max: 3600 }), fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 })],
    ([resetS, now]) => {
      expect(QuotaWindow.windowOfReset(now + resetS * 1000, now, false)).toBe(resetS * 1000)
    }
  )

  it("the first reading of a stated quota's first half dates its window's start at the latest: exhausted, it is back when that window ends, not at a reset rounded up to the next epoch second", () => {
    const first = (remaining: number, oneWayMs?: number) => QuotaWindow.record(empty, { ...read(0, remaining, 100), limit: 50, oneWayMs })
    expect(first(49).windowStartAt).toBe(50)
    // Answers overtake each other: the first answered may have taken the window's third unit.
    expect(first(47).windowStartAt).toBe(50)
    // Its answer left the server at least a shortest way before it came back.
    expect(first(47, 20).windowStartAt).toBe(80)
    // Past half of it (another client's, or a window opened long before): the window's start is unknown.
    expect(first(24).windowStartAt).toBeNull()
    // Without a stated quota, a first reading tells nothing.
    expect(QuotaWindow.record(empty, read(0, 49, 100)).windowStartAt).toBeNull()
    // A 10 s window opened at ~50 whose reset reads as the epoch second 11 000.
    expect(QuotaWindow.restoredAt(first(49), 11_000, 10_000, 9_000)).toBe(10_050)
  })

  prop(
    "a start only seen as the first reading is forgotten by a reading sent more than one window after it (its window has ended, the next one opened unseen), one seen as a jump two windows after (a bucket's first reading is never followed by a jump)",
    [fc.integer({ min: 1000, max: 60_000 }), fc.integer({ min: 1, max: 100_000 })],
    ([windowMs, dt]) => {
      const opened = QuotaWindow.record(empty, { ...read(0, 49, 2), limit: 50 }, windowMs)
      const later = QuotaWindow.record(opened, { ...read(1 + dt, 40, 3 + dt), limit: 50 }, windowMs)
      expect(later.windowStartAt).toBe(1 + dt > 1 + windowMs ? null : 1)
      const exhausted = QuotaWindow.record(empty, { ...read(0, 0, 2), limit: 50 }, windowMs)
      const jumped = QuotaWindow.record(exhausted, { ...read(1000, 49, 1002), limit: 50 }, windowMs) // opened at ~1001
      const after = QuotaWindow.record(jumped, { ...read(1000 + dt, 40, 1002 + dt), limit: 50 }, windowMs)
      expect(after.windowStartAt).toBe(1000 + dt > 1001 + 2 * windowMs ? null : 1001)
    }
  )

  prop(
    "a sliding log spent at once, any time after its first request: the request sent when the pause ends reaches it after its first unit is back (a quota of over 128 readings, idle 1-2 windows, paused 0 ms)",
    [fc.integer({ min: 2, max: 2000 }), fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 0, max: 999 })],
    ([quota, idle, ms]) => {
      const c = Aimd.defaultConfig(100)
      const t0 = 1_700_000_000_000 + ms, windowMs = 10_000, rtt = 40
      let s = Aimd.initial(c)
      const log: Array<number> = []
      // One request sent at `t`: the log counts it on arrival, the reset is when its oldest entry leaves
      // (rounded up to whole seconds).
      const send = (t: number): number => {
        const arrive = t + rtt / 2
        while (log.length > 0 && log[0]! <= arrive - windowMs) log.shift()
        if (log.length < quota) log.push(arrive)
        const remaining = quota - log.length
        const resetAt = t + rtt + Math.ceil(((log[0] ?? arrive) + windowMs - arrive) / 1000) * 1000
        s = HeaderPacing.onHeaders(c, s, { limit: quota, remaining, resetAt, source: "x-ratelimit" }, t + rtt, t)
        return remaining
      }
      send(t0)
      let t = t0 + idle
      while (send(t) > 0) t += 1
      // Sent within the window the first request opened, reaching the log after it: read as within it
      // (`record`), restored already.
      const opened = t0 + rtt / 2
      if (t <= opened + windowMs && t + rtt / 2 > opened + windowMs) return
      expect(s.cooldownUntil + rtt / 2).toBeGreaterThanOrEqual(log[0]! + windowMs)
    },
    { fastCheck: { numRuns: 200 } }
  )

  it("a reading sent before the window seen opening (a jump) may be the window's before: it is told apart; not in a window only seen opening by the first reading", () => {
    let s = QuotaWindow.record(empty, { ...read(0, 10, 300), limit: 50 })
    s = QuotaWindow.record(s, { ...read(900, 49, 1300), limit: 50 }) // a jump: the window opened at ~1100
    expect(s.windowJumped).toBe(true)
    // Sent at 1000, it reached the server before 1100 (a way of 100 ms, the next one's 300 ms).
    expect(QuotaWindow.sentBefore(s, 1000)).toBe(true)
    expect(QuotaWindow.sentBefore(s, 1100)).toBe(false)
    const first = QuotaWindow.record(empty, { ...read(0, 49, 300), limit: 50 })
    expect(first.windowJumped).toBe(false)
    expect(QuotaWindow.sentBefore(first, 100)).toBe(false)
  })
  prop(
    "the window read from a reset follows the form the parser read: seconds from now rounded to the nearest, even when the reset lands on a whole second (9.6 s read as 9 s when guessed from the clock's milliseconds); an epoch second rounded down",
    [fc.integer({ min: 1, max: 3600 }), fc.integer({ min: 1, max: 999 }), fc.integer({ min: 1_600_000_000, max: 1_800_000_000 })],
    ([secs, ms, epochS]) => {
      const c = Aimd.defaultConfig(10)
      const delay = secs * 1000 + ms
      // Read at a clock that puts the reset on a whole second.
      const now = epochS * 1000 - delay
      const pace = (headers: Record<string, string>) => {
        const info = Option.getOrThrow(parseRateLimitHeaders(headers, now).info)
        return HeaderPacing.onHeaders(c, Aimd.initial(c), info, now).headerWindowMs
      }
      const fromNow = (delay / 1000).toFixed(3)
      expect(pace({ "ratelimit-limit": "100", "ratelimit-remaining": "50", "ratelimit-reset": fromNow })).toBe(Math.round(delay / 1000) * 1000)
      expect(pace({ "x-ratelimit-limit": "100", "x-ratelimit-remaining": "50", "x-ratelimit-reset": String(epochS * 1000) })).toBe(Math.round(delay / 1000) * 1000)
      expect(pace({ "x-ratelimit-limit": "100", "x-ratelimit-remaining": "50", "x-ratelimit-reset": String(epochS) })).toBe(secs * 1000)
    }
  )
  prop(
    "a fixed window seen opening is dated at the latest (its first answer less a shortest way): a request sent when its quota's pause ends (the requests on their way take what remains) reaches the server after the window's end (less a share of the round trip's spread), and no later than that answer's delay after it",
    [
      fc.integer({ min: 1, max: 100 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })), { minLength: 50, maxLength: 50 }),
      fc.integer({ min: 0, max: 40 }),
      fc.oneof(fc.constant(100), fc.integer({ min: 0, max: 60_000 }))
    ],
    ([oneWayMs, ways, late, spreadMs]) => {
      const c = Aimd.defaultConfig(50)
      const T = 1_700_000_000_000
      // The previous window's last reading, then a window of 50 opened by the request sent at T
      // (reaching the server `oneWayMs + fwd` later), one request every 20 ms, all answered in send order.
      // The usual round trip `spreadMs` over the shortest: an average a long tail may inflate.
      let s: Aimd.AimdState = { ...Aimd.initial(c), rate: 49, rttMinMs: 2 * oneWayMs, rttMs: 2 * oneWayMs + spreadMs }
      s = HeaderPacing.onHeaders(c, s, { limit: 50, remaining: 0, resetAt: T + 1000, source: "x-ratelimit" }, T - 20 + 2 * oneWayMs, T - 40)
      const opensAt = T + oneWayMs + ways[0]![0]
      let pausedUntil: number | undefined, last = -Infinity
      for (let i = 0; i < 50 && pausedUntil === undefined; i++) {
        const sentAt = T + 20 * i
        const [fwd, back] = ways[i]!
        // Answered in time order, the window's first answer first; the others up to `late` ms later still.
        const at = Math.max(sentAt + 2 * oneWayMs + fwd + back, opensAt + oneWayMs, last) + (i === 0 ? 0 : late)
        last = at
        const before = s.cooldownUntil
        s = HeaderPacing.onHeaders(c, s, { limit: 50, remaining: 49 - i, resetAt: at + 1000, source: "x-ratelimit" }, at, sentAt)
        expect(s.windowStartAt!).toBeGreaterThanOrEqual(opensAt)
        if (s.cooldownUntil > before) pausedUntil = s.cooldownUntil
      }
      // None when the window ends before the pace has spent its quota (answers quick enough).
      if (pausedUntil === undefined) return
      // Sent when the pause ends, a request reaches the server a shortest way later: after the window,
      // or at most `EARLY_SPREAD` of the round trip's spread before its end, where the window's last
      // units are mostly unused; never more than half a shortest way nor a twentieth of the window.
      const early = Math.min(HeaderPacing.EARLY_SPREAD * spreadMs, oneWayMs / 2, 50)
      expect(pausedUntil + oneWayMs).toBeGreaterThanOrEqual(opensAt + 1000 - early)
      // And no later than the window's end seen from its first answer.
      expect(pausedUntil).toBeLessThanOrEqual(opensAt + ways[0]![1] + 1000)
    }
  )

  prop(
    "a fixed window answered within a slot: paced at its whole quota, its last unit the next request's (held to one slot, the pace after it slowed to the pause), then a pause past its end",
    [fc.double({ min: 0.5, max: 4, noNaN: true }), fc.integer({ min: 0, max: 10 })],
    ([oneWayMs, late]) => {
      const c = Aimd.defaultConfig(50)
      const T = 1_700_000_000_000
      const rtt = 2 * oneWayMs
      let s: Aimd.AimdState = { ...Aimd.initial(c), rate: 50, rttMinMs: rtt, rttMs: rtt }
      // The previous window's last reading (long past), then a window of 50 opened by the request sent at T.
      s = HeaderPacing.onHeaders(c, s, { limit: 50, remaining: 0, resetAt: T - 1000, source: "x-ratelimit" }, T - 2000 + rtt, T - 2000)
      let held = 0
      let heldRate = 0
      for (let i = 0; i < 50; i++) {
        const sentAt = T + late + 20 * i
        const at = sentAt + rtt
        // Time to reset in whole seconds, rounded up, as express-rate-limit states it.
        const resetAt = at + Math.ceil((T + late + oneWayMs + 1000 - at) / 1000) * 1000
        s = HeaderPacing.onHeaders(c, s, { limit: 50, remaining: 49 - i, resetAt, source: "x-ratelimit" }, at, sentAt)
        if (i < 48) expect(s.rate, `${i}`).toBeCloseTo(50, 6)
        if (i === 48) held = s.cooldownUntil, heldRate = s.rate
      }
      // After the held one, the next at the pause's end, or two slots later (the pace halved at most).
      expect(heldRate).toBeGreaterThanOrEqual(25)
      expect(heldRate).toBeLessThanOrEqual(50)
      expect(held + 1000 / heldRate).toBeGreaterThanOrEqual(Math.min(s.cooldownUntil, held + 40) - 1e-3)
      // Epoch instants (~1.7e12 ms, an ulp 2.4e-4 ms) summed from a few terms: equal within 1e-3 ms.
      // One left: the next request at the pace's next slot, alone (no catch-up burst of two).
      expect(Math.abs(held - (T + late + 48 * 20 + 20))).toBeLessThanOrEqual(1e-3)
      // None left: a request sent when the pause ends reaches the server after the window's end.
      expect(s.cooldownUntil + oneWayMs).toBeGreaterThanOrEqual(T + late + oneWayMs + 1000 - 1e-3)
    }
  )

  prop(
    "readings out of send order across a boundary: the new window's overtaken first reading opens it, the old window's straggler (sent after it, far less left) does not move it",
    [fc.integer({ min: 20, max: 500 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 4 })],
    ([quota, t, gap, left]) => {
      const stated = (sentAt: number, remaining: number, at: number): QuotaWindow.Reading => ({ sentAt, at, remaining, limit: quota, partition: null, oneWayMs: 50 })
      // The old window's last reading (sent at t + gap, little left), then the new window's first, sent before it.
      let s = QuotaWindow.record(empty, stated(t - 500, quota - 1, t - 400))
      s = QuotaWindow.record(s, stated(t + gap, left, t + gap + 120))
      s = QuotaWindow.record(s, stated(t, quota - 1, t + 300))
      expect(s.windowStartAt).toBeCloseTo(t + 250, 6)
      expect(s.headerLast?.sentAt).toBe(t)
      // A straggler of the old window, sent after that first reading, answered after it: ignored.
      const straggled = QuotaWindow.record(s, stated(t + 2 * gap, left, t + 350))
      expect(straggled).toBe(s)
    }
  )

  prop(
    "a rise within a stated quota's lower half is jitter, not a window opening",
    [fc.integer({ min: 20, max: 500 }), fc.integer({ min: 0, max: 10_000 })],
    ([quota, t]) => {
      const stated = (sentAt: number, remaining: number) => ({ ...read(sentAt, remaining), limit: quota })
      let s = QuotaWindow.record(empty, stated(t - 1000, quota - 1))
      s = QuotaWindow.record(s, stated(t, 2))
      const low = Math.floor(quota / 2) - 1
      expect(QuotaWindow.record(s, stated(t + 20, low)).windowJumps).toBe(0)
      expect(QuotaWindow.record(s, stated(t + 20, low)).windowStartAt).toBe(s.windowStartAt)
      expect(QuotaWindow.record(s, stated(t + 20, quota - 1)).windowStartAt).toBeCloseTo(t + 21, 6)
    }
  )

  prop(
    "windows seen opening a window apart are counted in a row; one out of rhythm starts the count again",
    [fc.integer({ min: 20, max: 200 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 2, max: 6 })],
    ([quota, t, n]) => {
      const stated = (sentAt: number, remaining: number) => ({ ...read(sentAt, remaining), limit: quota })
      let s = QuotaWindow.record(empty, stated(t, 0), 1000)
      for (let k = 1; k <= n; k++) {
        s = QuotaWindow.record(s, stated(t + k * 1000, quota - 1), 1000)
        s = QuotaWindow.record(s, stated(t + k * 1000 + 500, 0), 1000)
      }
      expect(s.windowJumps).toBe(n)
      // The next one two windows later: out of rhythm.
      s = QuotaWindow.record(s, stated(t + (n + 2) * 1000, quota - 1), 1000)
      expect(s.windowJumps).toBe(1)
    }
  )

  prop(
    "a stated window seen opening 3 times in rhythm, a tenth of its quota or more on the way, is kept as a fixed one (no gate); fewer times, or closer, by the gate",
    [fc.integer({ min: 20, max: 200 }), fc.double({ min: 0, max: 1000, noNaN: true })],
    ([quota, rttMs]) => {
      const c = Aimd.defaultConfig(quota)
      const T = 1_700_000_000_000
      const rate = quota - 1
      const last: QuotaWindow.Reading = { sentAt: T, at: T + rttMs, remaining: quota - 5, limit: quota, partition: null }
      const base: Aimd.AimdState = {
        ...Aimd.initial(c), rate, rttMs, rttMinMs: rttMs, headerLast: last, windowStartAt: T, windowJumped: true, headerWindowMs: 1000
      }
      const info = { limit: quota, window: 1000, remaining: quota - 6, resetAt: T + 1000 + rttMs, source: "ietf" as const }
      const onWay = (rttMs * quota) / 1000 >= 0.1 * quota
      for (const jumps of [2, 3, 4]) {
        const s = HeaderPacing.onHeaders(c, { ...base, windowJumps: jumps }, info, T + 20 + rttMs, T + 20)
        expect(s.windowGate === null, `${jumps}`).toBe(jumps >= 3 && onWay)
      }
    }
  )

  it("a stated quota that changed opens a window at its first reading near full, not at one far below it", () => {
    const stated = (sentAt: number, remaining: number, limit: number): QuotaWindow.Reading => ({ ...read(sentAt, remaining), limit })
    const s0 = QuotaWindow.record(QuotaWindow.record(empty, stated(0, 49, 50)), stated(20, 21, 50))
    // 18 of 20 after 21 of 50: never a rise, yet the first requests of a window under the new quota.
    expect(QuotaWindow.record(s0, stated(40, 18, 20)).windowStartAt).toBeCloseTo(41, 6)
    // 5 of 20: a window under way, its start unknown (kept as it was).
    expect(QuotaWindow.record(s0, stated(40, 5, 20)).windowStartAt).toBe(s0.windowStartAt)
    // Under a small quota an exhausted reading is no window opening: 8 -> 3 read at 0 keeps the window seen.
    const small = QuotaWindow.record(QuotaWindow.record(empty, stated(0, 7, 8)), stated(20, 1, 8))
    expect(QuotaWindow.record(small, stated(40, 0, 3)).windowStartAt).toBe(small.windowStartAt)
  })

  it("a wall in a window seen opening pauses until a request sent reaches the server after its dated end, not the whole-second Retry-After", () => {
    const c = Aimd.defaultConfig(50)
    const T = 1_700_000_000_000
    const s: Aimd.AimdState = {
      ...Aimd.initial(c), phase: "header", rttMinMs: 100, rttMs: 150, windowStartAt: T, windowJumped: true, headerWindowMs: 1000,
      headerLast: { sentAt: T + 800, at: T + 950, remaining: 1, limit: 50, partition: null }
    }
    // Answered at T + 900 (sent at T + 780): the window ends by T + 1000, so sends from T + 950 on reach the next one.
    expect(HeaderPacing.wallPauseMs(s, 1000, T + 900, T + 780, null)).toBe(50)
    // Its end passed already: no pause. A request sent to reach the server after that end: another window's wall.
    expect(HeaderPacing.wallPauseMs(s, 1000, T + 1020, T + 900, null)).toBe(0)
    expect(HeaderPacing.wallPauseMs(s, 1000, T + 1100, T + 960, null)).toBe(1000)
    // No window seen, or headers read more than a window ago: the Retry-After.
    expect(HeaderPacing.wallPauseMs({ ...s, windowStartAt: null }, 1000, T + 900, T + 780, null)).toBe(1000)
    expect(HeaderPacing.wallPauseMs(s, 1000, T + 1960, T + 800, null)).toBe(1000)
    // Another partition's wall, or a quota restored steadily (a bucket's): the Retry-After.
    expect(HeaderPacing.wallPauseMs(s, 1000, T + 900, T + 780, "pk-b")).toBe(1000)
    expect(HeaderPacing.wallPauseMs({ ...s, restore: { samples: [], steady: true, limit: 50 } }, 1000, T + 900, T + 780, null)).toBe(1000)
  })
})
