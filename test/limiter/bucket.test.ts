import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Bucket from "../../src/limiter/bucket.js"
import * as Limit from "../../src/limiter/Limit.js"

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0)

/** A rolling limit: capacity in [1, 100], refill amount <= capacity, period 50 ms .. 10 s. */
const rollingLimit = fc
  .record({
    capacity: fc.integer({ min: 1, max: 100 }),
    refillFraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
    periodMs: fc.integer({ min: 50, max: 10_000 })
  })
  .map(({ capacity, periodMs, refillFraction }) =>
    Limit.custom({
      name: "l",
      capacity,
      refillAmount: Math.max(0.01, capacity * refillFraction),
      refillPeriod: periodMs
    })
  )

/** A fixed-window limit aligned to UTC: 100 ms .. 1 minute windows that divide a day. */
const fixedLimit = fc
  .record({
    capacity: fc.integer({ min: 1, max: 50 }),
    periodMs: fc.constantFrom(100, 250, 1000, 5000, 60_000)
  })
  .map(({ capacity, periodMs }) =>
    Limit.custom({ name: "f", capacity, refillAmount: capacity, refillPeriod: periodMs, window: { type: "fixed" } })
  )

const anyLimit = fc.oneof(rollingLimit, fixedLimit)

/** Requests: a gap since the previous one and a cost (fraction of capacity, sometimes above it). */
const requests = fc.array(
  fc.record({ dt: fc.integer({ min: 0, max: 3000 }), costFraction: fc.double({ min: 0, max: 1.2, noNaN: true }) }),
  { minLength: 1, maxLength: 120 }
)

/** Requests close together, some of them on the second of two limits only. */
const denseRequests = fc.array(
  fc.record({ dt: fc.integer({ min: 0, max: 200 }), costFraction: fc.double({ min: 0, max: 1, noNaN: true }), secondOnly: fc.boolean() }),
  { minLength: 1, maxLength: 120 }
)

const costOf = (limit: Limit.Limit, fraction: number) => Math.round(limit.capacity * fraction * 100) / 100

describe("bucket arithmetic", () => {
  it("rolling: admitted cost in any window of length T never exceeds capacity + refill over T", () => {
    fc.assert(
      fc.property(rollingLimit, requests, (limit, reqs) => {
        const spec = Bucket.compile(limit)
        const state = Bucket.make(spec, T0)
        const admitted: Array<{ t: number; cost: number }> = []
        let now = T0
        for (const r of reqs) {
          now += r.dt
          const cost = costOf(limit, r.costFraction)
          if (Bucket.consume(spec, state, cost, now)) admitted.push({ t: now, cost })
        }
        // The worst window starts at an admission: check every [t_i, t_j].
        for (let i = 0; i < admitted.length; i++) {
          let sum = 0
          for (let j = i; j < admitted.length; j++) {
            sum += admitted[j]!.cost
            const allowed = limit.capacity + spec.ratePerMs * (admitted[j]!.t - admitted[i]!.t)
            expect(sum).toBeLessThanOrEqual(allowed + 1e-6 * limit.capacity)
          }
        }
      }),
      { numRuns: 300 }
    )
  })

  it("rolling reservations over two limits (booked now with takeAt, used at now + wait) never exceed either over any window of use", () => {
    fc.assert(
      fc.property(fc.tuple(rollingLimit, rollingLimit), denseRequests, (limits, reqs) => {
        const specs = limits.map(Bucket.compile)
        const states = specs.map((spec) => Bucket.make(spec, T0))
        const used: Array<{ t: number; costs: ReadonlyArray<number> }> = []
        let now = T0
        for (const r of reqs) {
          now += r.dt
          // Some requests cost nothing on the first limit: the second one alone paces them.
          const costs = limits.map((l, i) => i === 0 && r.secondOnly ? 0 : costOf(l, r.costFraction))
          const wait = Bucket.timeUntilAll(specs, states, costs, now)
          if (!Number.isFinite(wait)) continue
          specs.forEach((spec, i) => Bucket.takeAt(spec, states[i]!, costs[i]!, now, now + wait))
          used.push({ t: now + wait, costs })
        }
        used.sort((a, b) => a.t - b.t)
        specs.forEach((spec, k) => {
          for (let i = 0; i < used.length; i++) {
            let sum = 0
            for (let j = i; j < used.length; j++) {
              sum += used[j]!.costs[k]!
              expect(sum).toBeLessThanOrEqual(spec.capacity + spec.ratePerMs * (used[j]!.t - used[i]!.t) + 1e-6 * spec.capacity)
            }
          }
        })
      }),
      { numRuns: 500 }
    )
  })

  it("takeAt: booking at now for `at` leaves the bucket, from `at` on, as taking at `at` would", () => {
    fc.assert(
      fc.property(
        anyLimit,
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 5_000 }),
        (limit, drained, ahead, costFraction, later) => {
          const spec = Bucket.compile(limit)
          const state = Bucket.make(spec, T0)
          Bucket.take(spec, state, limit.capacity * drained, T0)
          // A fixed limit books only within its current window.
          const at = spec.fixed ? Math.min(T0 + ahead, state.windowEnd - 1) : T0 + ahead
          const cost = costOf(limit, costFraction)
          const booked = { ...state }
          Bucket.takeAt(spec, booked, cost, T0, at)
          const then = { ...state }
          Bucket.take(spec, then, cost, at)
          for (const t of [at, at + later]) {
            Bucket.refill(spec, booked, t)
            Bucket.refill(spec, then, t)
            expect(booked.tokens).toBeCloseTo(then.tokens, 6)
          }
        }
      ),
      { numRuns: 500 }
    )
  })

  it("fixed: admitted cost per window never exceeds capacity", () => {
    fc.assert(
      fc.property(fixedLimit, requests, (limit, reqs) => {
        const spec = Bucket.compile(limit)
        const state = Bucket.make(spec, T0)
        const perWindow = new Map<number, number>()
        let now = T0
        for (const r of reqs) {
          now += r.dt
          const cost = costOf(limit, r.costFraction)
          if (Bucket.consume(spec, state, cost, now)) {
            const w = Limit.fixedWindowStart(limit, now)
            perWindow.set(w, (perWindow.get(w) ?? 0) + cost)
          }
        }
        for (const sum of perWindow.values()) expect(sum).toBeLessThanOrEqual(limit.capacity * (1 + 1e-9))
      }),
      { numRuns: 300 }
    )
  })

  it("nothing admissible is refused: consume succeeds exactly when timeUntil is 0", () => {
    fc.assert(
      fc.property(anyLimit, requests, (limit, reqs) => {
        const spec = Bucket.compile(limit)
        const state = Bucket.make(spec, T0)
        let now = T0
        for (const r of reqs) {
          now += r.dt
          const cost = costOf(limit, r.costFraction)
          const wait = Bucket.timeUntil(spec, state, cost, now)
          const ok = Bucket.consume(spec, state, cost, now)
          expect(ok).toBe(wait === 0)
          if (cost > limit.capacity) expect(wait).toBe(Infinity)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("timeUntil is exact: the cost fits at now + wait and not a millisecond earlier (also in debt)", () => {
    fc.assert(
      fc.property(
        anyLimit,
        requests,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (limit, reqs, probeFraction, debtFraction) => {
          const spec = Bucket.compile(limit)
          const state = Bucket.make(spec, T0)
          let now = T0
          for (const r of reqs) {
            now += r.dt
            Bucket.consume(spec, state, costOf(limit, r.costFraction), now)
          }
          // Upward lease adjustments may leave the bucket in debt.
          Bucket.take(spec, state, limit.capacity * debtFraction, now)
          const cost = costOf(limit, probeFraction)
          const wait = Bucket.timeUntil(spec, state, cost, now)
          expect(Number.isFinite(wait)).toBe(true)
          expect(Bucket.fits(spec, { ...state }, cost, now + wait)).toBe(true)
          if (wait >= 1) expect(Bucket.fits(spec, { ...state }, cost, now + wait - 1)).toBe(false)
          if (wait === 0) expect(Bucket.fits(spec, { ...state }, cost, now)).toBe(true)
        }
      ),
      { numRuns: 500 }
    )
  })

  it("multi-limit consumption is all-or-none", () => {
    fc.assert(
      fc.property(
        fc.array(anyLimit, { minLength: 2, maxLength: 4 }),
        requests,
        (limits, reqs) => {
          const specs = limits.map(Bucket.compile)
          const states = specs.map((s) => Bucket.make(s, T0))
          let now = T0
          for (const r of reqs) {
            now += r.dt
            const costs = limits.map((l, i) => costOf(l, ((r.costFraction * (i + 1)) % 1.1)))
            specs.forEach((s, i) => Bucket.refill(s, states[i]!, now))
            const before = states.map((s) => s.tokens)
            const expected = specs.every((s, i) => Bucket.fits(s, { ...states[i]! }, costs[i]!, now))
            const ok = Bucket.consumeAll(specs, states, costs, now)
            expect(ok).toBe(expected)
            states.forEach((s, i) => expect(s.tokens).toBeCloseTo(ok ? before[i]! - costs[i]! : before[i]!, 9))
            const wait = Bucket.timeUntilAll(specs, states.map((s) => ({ ...s })), costs, now)
            if (!ok) expect(wait).toBeGreaterThan(0)
          }
        }
      ),
      { numRuns: 200 }
    )
  })

  it("refunds never exceed capacity and debt is paid by refill", () => {
    const limit = Limit.perSecond("rps", 10)
    const spec = Bucket.compile(limit)
    const state = Bucket.make(spec, T0)
    Bucket.give(spec, state, 5, T0)
    expect(state.tokens).toBe(10)
    Bucket.take(spec, state, 25, T0)
    expect(state.tokens).toBe(-15)
    // 16 tokens missing for a cost of 1 at 10/s: 1.6 s.
    expect(Bucket.timeUntil(spec, state, 1, T0)).toBeCloseTo(1600, 6)
    expect(Bucket.fullAt(spec, state, T0)).toBeCloseTo(T0 + 2500, 6)
  })

  it("fixed daily windows reset at local midnight of the time zone, including across DST", () => {
    const limit = Limit.perDay("daily", 100, { window: { type: "fixed", timeZone: "America/New_York" } })
    const spec = Bucket.compile(limit)
    // 2024-03-09 23:00 in New York (EST, UTC-5) = 2024-03-10 04:00 UTC; that night has 23 hours.
    const lateEvening = Date.UTC(2024, 2, 10, 4, 0, 0)
    const state = Bucket.make(spec, lateEvening)
    expect(Bucket.consume(spec, state, 100, lateEvening)).toBe(true)
    const wait = Bucket.timeUntil(spec, state, 1, lateEvening)
    expect(wait).toBe(3_600_000) // midnight EST is one hour later
    const midnight = lateEvening + wait
    expect(Bucket.fits(spec, { ...state }, 1, midnight - 1)).toBe(false)
    expect(Bucket.consume(spec, state, 100, midnight)).toBe(true)
    // The next local midnight (after the spring-forward day) is 23 hours later.
    expect(Bucket.timeUntil(spec, state, 1, midnight)).toBe(23 * 3_600_000)
  })

  it("throttleGap spreads the rest of a fixed window evenly and glides to the sustained rate when rolling", () => {
    const fixed = Bucket.compile(
      Limit.custom({ name: "f", capacity: 10, refillAmount: 10, refillPeriod: "1 minute", window: { type: "fixed" } })
    )
    const fs = Bucket.make(fixed, T0)
    expect(Bucket.throttleGap(fixed, fs, 10, 1, 0.8, T0)).toBe(0)
    expect(Bucket.throttleGap(fixed, fs, 3, 1, 0.8, T0)).toBe(0) // 2 left = exactly the floor
    expect(Bucket.throttleGap(fixed, fs, 2, 1, 0.8, T0)).toBe(30_000) // 2 tokens over 60 s
    const rolling = Bucket.compile(Limit.perSecond("r", 10))
    const rs = Bucket.make(rolling, T0)
    // At 0 tokens left the pace is the sustained rate (100 ms per request).
    expect(Bucket.throttleGap(rolling, rs, 0, 1, 0.8, T0)).toBeCloseTo(100, 9)
    expect(Bucket.throttleGap(rolling, rs, 2, 1, 0.8, T0)).toBeCloseTo(80, 9)
  })
})
