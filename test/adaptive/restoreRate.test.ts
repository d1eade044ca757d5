import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as RestoreRate from "../../src/adaptive/restoreRate.js"
import { prop } from "./prop.js"

/** Readings of a token bucket (rate `rho` per s, burst `burst`) spent at `pace` per s from full, until empty. */
const bucketReadings = (rho: number, burst: number, pace: number, count: number): Array<RestoreRate.Sample> => {
  const out: Array<RestoreRate.Sample> = []
  let tokens = burst
  for (let i = 0; i < count; i++) {
    if (i > 0) tokens = Math.min(burst, tokens + rho / pace)
    if (tokens < 1) break
    tokens -= 1
    out.push([i * (1000 / pace), Math.floor(tokens + 1e-9), i * (1000 / pace) + 2])
  }
  return out
}

/**
 * Readings of a fixed window of `quota` per `windowMs` (opened by the first request after the last
 * ended), one request at each of `times` (sorted): the admitted ones, with what remained.
 */
const fixedReadings = (quota: number, windowMs: number, times: ReadonlyArray<number>): Array<RestoreRate.Sample> => {
  const out: Array<RestoreRate.Sample> = []
  let start = -Infinity, count = 0
  for (const t of times) {
    if (t >= start + windowMs) start = t, count = 0
    if (count >= quota) continue
    count++
    out.push([t, quota - count, t + 2])
  }
  return out
}

const feed = (readings: ReadonlyArray<RestoreRate.Sample>, limit: number, windowMs: number) =>
  readings.reduce<RestoreRate.RestoreState | undefined>((s, r) => RestoreRate.record(s, r, limit, windowMs), undefined)

describe("restoreRate (how fast a header quota comes back)", () => {
  prop(
    "a token bucket spent faster than it refills: its refill rate, within two units over the span",
    [fc.integer({ min: 10, max: 400 }), fc.double({ min: 1.5, max: 4, noNaN: true }), fc.double({ min: 0.5, max: 2, noNaN: true })],
    ([rho, over, burstS]) => {
      const burst = Math.max(8, Math.round(rho * burstS))
      const readings = bucketReadings(rho, burst, rho * over, 1000)
      const e = RestoreRate.estimate(readings, burst, Infinity, Infinity)
      expect(e).toBeDefined()
      const spanS = e!.spanMs / 1000
      expect(Math.abs(e!.rate - rho)).toBeLessThanOrEqual(2 / spanS + 1e-9)
    }
  )

  prop(
    "a fixed window is never taken for a steadily restored quota, whatever the pace and the gaps",
    [
      fc.integer({ min: 4, max: 200 }),
      fc.integer({ min: 1, max: 60 }),
      fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: 5, maxLength: 400 })
    ],
    ([quota, windowS, gaps]) => {
      const windowMs = windowS * 1000
      // Gaps in windows: bursts, steady paces and pauses longer than a window alike.
      let t = 0
      const times = gaps.map((g) => (t += g * g * windowMs / 4))
      expect(feed(fixedReadings(quota, windowMs, times), quota, windowMs)?.steady ?? false).toBe(false)
    }
  )

  it("two windows with two requests each, a second apart, are no full bucket (a 1 s window after a pause)", () => {
    const readings: Array<RestoreRate.Sample> = [[0, 19, 2], [52, 18, 54], [1101, 19, 1103], [1105, 18, 1107]]
    expect(feed(readings, 20, 1000)?.steady).toBe(false)
  })

  prop(
    "a bucket that stays full while spent (4 readings in half a second at least) is seen restoring steadily (its reset rounded up to 1 s)",
    [fc.integer({ min: 20, max: 400 }), fc.integer({ min: 4, max: 50 }), fc.double({ min: 0.05, max: 0.5, noNaN: true })],
    ([rho, burst, share]) => {
      const readings = bucketReadings(rho, burst, Math.max(10, rho * share), 40)
      expect(feed(readings, burst, 1000)?.steady).toBe(true)
    }
  )

  it("a window opening (a rise of over half the quota) starts the span afresh: no return counted within a window", () => {
    const readings = fixedReadings(50, 1000, Array.from({ length: 60 }, (_, i) => i * 20))
    // The span after the window opened at 1000: spent, nothing restored.
    const e = RestoreRate.estimate(readings, 50, Infinity, Infinity)
    expect(e?.rate).toBe(0)
    expect(e?.spanMs).toBe(180)
  })

  it("only readings whose answers are all in count: a reading sent after `settled` is left out", () => {
    const readings = bucketReadings(50, 10, 100, 12)
    const all = RestoreRate.estimate(readings, 10, Infinity, Infinity)!
    const settled = RestoreRate.estimate(readings, 10, readings[6]![0], Infinity)!
    expect(settled.spanMs).toBe(readings[6]![0])
    expect(all.spanMs).toBeGreaterThan(settled.spanMs)
  })

  it("readings kept in send order, bounded in number", () => {
    let s: RestoreRate.RestoreState | undefined
    for (let i = 0; i < 1000; i++) s = RestoreRate.record(s, [1000 - i, 5, 1002 - i], 10, 1000)
    const times = s!.samples.map(([t]) => t)
    expect(times).toEqual([...times].sort((a, b) => a - b))
    expect(s!.samples.length).toBeLessThanOrEqual(128)
  })

  prop(
    "a sliding log exhausted for the next request: the unit it needs was spent when the reading that many back was answered",
    [fc.integer({ min: 2, max: 60 }), fc.integer({ min: 0, max: 10 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 70, maxLength: 120 })],
    ([limit, inflight, gaps]) => {
      // Admitted readings of a log of `limit` per second, answered 2 ms after sending.
      const log: Array<number> = []
      const samples: Array<RestoreRate.Sample> = []
      let t = 0
      for (const g of gaps) {
        t += g
        while (log.length > 0 && log[0]! <= t - 1000) log.shift()
        if (log.length >= limit) continue
        log.push(t)
        samples.push([t, limit - log.length, t + 2])
      }
      const last = samples[samples.length - 1]!
      const used = RestoreRate.usedAt(samples, last[0], limit, last[1], inflight)
      const need = inflight + 1 - last[1]
      if (used === undefined) return
      // The log's entries, oldest first: the one whose leaving lets one more through after those in flight.
      expect(used.oldest).toBe(log[0]! + 2)
      if (need >= 1) expect(used.needed).toBe(log[need - 1]! + 2)
      // That reading's own round trip (the pause is dated by it when shorter than the average).
      expect(used.neededRttMs).toBe(2)
    }
  )

  prop(
    "packed readings unpack to the same readings (whole or fractional milliseconds)",
    [fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 4e12 }), fc.double({ min: 0, max: 4e12, noNaN: true })), fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 60_000 })), { maxLength: 200 })],
    ([raw]) => {
      const samples = raw.map(([t, r, lag]): RestoreRate.Sample => [t, r, t + lag])
      expect(RestoreRate.unpack(JSON.parse(JSON.stringify(RestoreRate.pack(samples))))).toEqual(samples)
    }
  )

  it("128 readings in epoch milliseconds pack to under a third of their triples' JSON; garbage unpacks to none", () => {
    const t0 = 1_796_505_120_000
    const samples = Array.from({ length: 128 }, (_, i): RestoreRate.Sample => [t0 + 13 * i, 40 - (i % 30), t0 + 13 * i + 61])
    expect(JSON.stringify(RestoreRate.pack(samples)).length * 3).toBeLessThan(JSON.stringify(samples).length)
    expect(RestoreRate.unpack({ $s: [1, 2] })).toEqual([])
    expect(RestoreRate.unpack({ $s: "x" } as never)).toEqual([])
  })
})
