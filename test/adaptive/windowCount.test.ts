/**
 * The fixed window's counter: a cycle from a long pause to a wall reads its count as the quota, a
 * short pause reads nothing, and the counter pauses exactly when what was admitted and what is in
 * flight reach the quota, until the window's end; every `REREAD`-th window meets its wall.
 */
import { describe, expect } from "@effect/vitest"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import { observe } from "../../src/adaptive/observe.js"
import * as WindowCount from "../../src/adaptive/windowCount.js"
import { prop } from "./prop.js"

const T = 1_000_000
const RTT = 100

/** `n` admitted answers sent 10 ms apart from `from`, then a wall stating `raMs`: the counter at its answer. */
const walled = (c0: WindowCount.Counter, from: number, n: number, raMs: number): WindowCount.Counter => {
  let c = c0
  for (let i = 0; i < n; i++) c = WindowCount.record(c, { sentAt: from + i * 10, admitted: true }, from + i * 10 + RTT)
  const sent = from + n * 10
  return WindowCount.record(c, { sentAt: sent, admitted: false, retryAfterMs: raMs }, sent + RTT)
}

const arbCount = fc.integer({ min: WindowCount.MIN_QUOTA, max: 2000 })
const arbLongRa = fc.integer({ min: WindowCount.MIN_PAUSE_MS, max: 60_000 })

describe("fixed window counter", () => {
  prop("the count from the start of traffic to a wall with a long pause is the quota, the window up to its stated end", [arbCount, arbLongRa, fc.integer({ min: 0, max: 20 })], ([n, ra, carried]) => {
    let c = walled(WindowCount.initial, T, n, ra)
    const wallAt = T + n * 10 + RTT
    // Requests sent after the wall's and admitted were decided in the next window.
    for (let i = 0; i < carried; i++) c = WindowCount.record(c, { sentAt: T + n * 10 + 1 + i, admitted: true }, wallAt + 1 + i)
    const end = wallAt + ra
    c = WindowCount.record(c, { sentAt: end, admitted: true }, end + RTT)
    expect(c.quota).toBe(n)
    expect(c.windowMs).toBe(end - T)
    expect(c.from).toBe(end)
    expect(c.admitted).toBe(carried + 1)
  })

  prop("a wall with a short pause (a bucket's next token) reads nothing, and forgets a quota read", [arbCount, arbLongRa, fc.integer({ min: 0, max: WindowCount.MIN_PAUSE_MS - 1 })], ([n, ra, short]) => {
    const read = WindowCount.record(walled(WindowCount.initial, T, n, ra), { sentAt: T + 100_000, admitted: true }, T + 100_100)
    expect(read.quota).toBe(n)
    const c = walled(read, T + 100_000, n + 1, short)
    const next = WindowCount.record(c, { sentAt: c.endsAt!, admitted: true }, c.endsAt! + RTT)
    expect(next.quota).toBeNull()
  })

  prop(
    "with a quota read, it pauses until the window's end exactly when the admitted and those in flight reach the quota a second before it",
    [arbCount, arbLongRa, fc.integer({ min: 1, max: 3000 }), fc.double({ min: 1, max: 500, noNaN: true })],
    ([n, ra, admitted, rate]) => {
      const end0 = T + n * 10 + RTT + ra
      let c = WindowCount.record(walled(WindowCount.initial, T, n, ra), { sentAt: end0, admitted: true }, end0 + RTT)
      for (let i = 1; i < admitted; i++) c = WindowCount.record(c, { sentAt: end0 + i, admitted: true }, end0 + RTT + i)
      const now = end0 + RTT + admitted
      const at = WindowCount.pauseUntil(c, now, rate, RTT)
      const span = admitted - 1
      const sending = span >= RTT ? Math.min(rate, (span * 1000) / span) : rate
      const full = admitted + (sending * RTT) / 1000 >= n
      const end = end0 + c.windowMs!
      // Reached within a second and a round trip of the end read, it may be a log's entries leaving.
      expect(at).toBe((full && now < end - 1000 - RTT) || now >= end ? end : null)
    }
  )

  prop("every REREAD-th window is left to its wall", [arbCount, arbLongRa], ([n, ra]) => {
    const end0 = T + n * 10 + RTT + ra
    let c = WindowCount.record(walled(WindowCount.initial, T, n, ra), { sentAt: end0, admitted: true }, end0 + RTT)
    const w = c.windowMs!
    for (let k = 0; k <= WindowCount.REREAD; k++) {
      const from = c.from!
      for (let i = c.admitted; i < n; i++) c = WindowCount.record(c, { sentAt: from + i, admitted: true }, from + i + RTT)
      const at = WindowCount.pauseUntil(c, from + n + RTT, 1, RTT)
      expect(from + n + RTT).toBeLessThan(from + w - 1000 - RTT)
      if (k === WindowCount.REREAD) {
        expect(at).toBeNull()
        return
      }
      expect(at).toBe(from + w)
      c = WindowCount.record(WindowCount.pause(c, at!), { sentAt: at!, admitted: true }, at! + RTT)
    }
  })
})

describe("the counter's pause through the controller's step", () => {
  prop(
    "never longer than the window read nor maxRetryAfter, whatever light traffic preceded the burst that met the wall",
    [fc.integer({ min: 1, max: 12 }), fc.integer({ min: 60_000, max: 3_600_000 }), fc.integer({ min: 20, max: 150 }), fc.integer({ min: 1, max: 60 })],
    ([light, gapMs, burst, raS]) => {
      const c = { ...Aimd.defaultConfig(50), maxRetryAfterMs: 30_000 }
      let s = Aimd.initial(c)
      let now = T
      const answer = (status: number, headers: { retryAfterMs?: number } = {}) => {
        s = observe(c, s, { status, backoff: status === 429, sentAt: now - RTT, ...headers }, now)
        expect((s.gateUntil ?? 0) - now).toBeLessThanOrEqual(c.maxRetryAfterMs)
      }
      // Hours of light traffic, then a burst that meets a wall, twice: the counter reads a window of hours.
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < light; i++) (now += gapMs), answer(200)
        for (let i = 0; i < burst; i++) (now += 10), answer(200)
        now += 10
        answer(429, { retryAfterMs: raS * 1000 })
        now += raS * 1000
      }
      for (let i = 0; i < burst * 2; i++) (now += 10), answer(200)
    }
  )
})
