import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { prop } from "./prop.js"
import * as Aimd from "../../src/adaptive/aimd.js"
import { simulate } from "./simulation.js"

const T0 = 1_700_000_000_000
const config = (initial = 50, extra: Partial<Aimd.AimdConfig> = {}): Aimd.AimdConfig => ({ ...Aimd.defaultConfig(initial), ...extra })

type Event =
  | { readonly _tag: "success"; readonly dt: number }
  | { readonly _tag: "backoff"; readonly dt: number; readonly retryAfterMs?: number }
  | { readonly _tag: "headers"; readonly dt: number; readonly remaining: number; readonly resetS: number; readonly limit: number }

const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ _tag: fc.constant("success" as const), dt: fc.integer({ min: 0, max: 200 }) }) },
  {
    weight: 1,
    arbitrary: fc.record(
      { _tag: fc.constant("backoff" as const), dt: fc.integer({ min: 0, max: 2000 }), retryAfterMs: fc.integer({ min: 0, max: 5000 }) },
      { requiredKeys: ["_tag", "dt"] }
    )
  },
  {
    weight: 1,
    arbitrary: fc.record({
      _tag: fc.constant("headers" as const),
      dt: fc.integer({ min: 0, max: 500 }),
      remaining: fc.integer({ min: 0, max: 1000 }),
      resetS: fc.integer({ min: 0, max: 120 }),
      limit: fc.integer({ min: 1, max: 1000 })
    })
  }
)

const cfgArb = fc.record({
  initial: fc.double({ min: 0.1, max: 1000, noNaN: true }),
  decreaseFactor: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
  maxFactor: fc.double({ min: 1, max: 20, noNaN: true })
}).map(({ initial, decreaseFactor, maxFactor }) => config(initial, { decreaseFactor, maxRate: initial * maxFactor }))

const step = (c: Aimd.AimdConfig, s: Aimd.AimdState, e: Event, now: number): Aimd.AimdState =>
  e._tag === "success"
    ? Aimd.onSuccess(c, s, now)
    : e._tag === "backoff"
    ? Aimd.onBackoff(c, s, now, { retryAfterMs: e.retryAfterMs })
    : Aimd.onHeaders(c, s, { limit: e.limit, remaining: e.remaining, resetAt: now + e.resetS * 1000, source: "x-ratelimit" }, now)

describe("Aimd state machine", () => {
  prop("the rate always stays within [minRate, maxRate]", [cfgArb, fc.array(event, { maxLength: 300 })], ([c, events]) => {
    let s = Aimd.initial(c)
    let now = T0
    for (const e of events) {
      now += e.dt
      s = step(c, s, e, now)
      expect(s.rate).toBeGreaterThanOrEqual(c.minRate)
      expect(s.rate).toBeLessThanOrEqual(c.maxRate)
      expect(Number.isFinite(s.rate)).toBe(true)
    }
  })

  prop("a backoff outside the same-burst window decreases the rate (unless at minRate)", [cfgArb, fc.array(event, { maxLength: 100 })], ([c, events]) => {
    let s = Aimd.initial(c)
    let now = T0
    for (const e of events) {
      now += e.dt
      s = step(c, s, e, now)
    }
    now = Math.max(now, s.holdUntil) + 1
    const after = Aimd.onBackoff(c, s, now)
    if (s.rate > c.minRate) expect(after.rate).toBeLessThan(s.rate)
    // Multiplicative decrease, or the throughput measured since the previous decrease (a rate the
    // server sustained) less the ceiling margin, whichever is higher.
    const measured = s.lastDecreaseAt === null ? 0 : s.successesSinceDecrease / ((now - s.lastDecreaseAt) / 1000)
    expect(after.rate).toBeLessThanOrEqual(
      Math.max(c.minRate, s.rate * c.decreaseFactor, Math.min(measured * (1 - c.ceilingMargin), s.rate * 0.95)) + 1e-9
    )
    expect(after.lastDecreaseRate).toBe(s.rate)
  })

  prop("never increases during a cooldown", [cfgArb, fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 100 }), fc.integer({ min: 1000, max: 60_000 })], ([c, gaps, retryAfterMs]) => {
    let s = Aimd.onBackoff(c, Aimd.initial(c), T0, { retryAfterMs })
    const rate = s.rate
    let now = T0
    for (const g of gaps) {
      now = Math.min(now + g, T0 + retryAfterMs - 1)
      s = Aimd.onSuccess(c, s, now)
      expect(s.rate).toBe(rate)
    }
    expect(s.cooldownUntil).toBe(T0 + retryAfterMs)
  })

  it("after a wall with measured throughput, resumes at that throughput (less the margin) rather than halving", () => {
    const c = config(50)
    let s = Aimd.onBackoff(c, Aimd.initial(c), T0, { sentAt: T0 - 1 })
    expect(s.rate).toBe(25)
    // 80 successes in the 2 s after the decrease, no pause: the server sustained 40 rps.
    for (let i = 1; i <= 80; i++) s = Aimd.onSuccess(c, s, T0 + i * 25)
    const at = s.rate
    const after = Aimd.onBackoff(c, s, T0 + 2000, { sentAt: T0 + 1999 })
    expect(after.ceiling).toBeCloseTo(Math.min(at, 40), 9)
    expect(after.rate).toBeCloseTo(Math.min(40 * (1 - c.ceilingMargin), at * 0.95), 9)
    expect(after.rate).toBeGreaterThan(after.ceiling! * c.decreaseFactor)
  })

  it("ignores backoffs of the same burst (sent before the decrease, or within holdMs)", () => {
    const c = config()
    const s1 = Aimd.onBackoff(c, Aimd.initial(c), T0 + 1000, { sentAt: T0 + 990 })
    expect(s1.rate).toBe(25)
    const s2 = Aimd.onBackoff(c, s1, T0 + 1010, { sentAt: T0 + 995 })
    expect(s2.rate).toBe(25)
    const s3 = Aimd.onBackoff(c, s1, T0 + 1100)
    expect(s3.rate).toBe(25)
    const s4 = Aimd.onBackoff(c, s1, T0 + 1030, { sentAt: T0 + 1005 })
    expect(s4.rate).toBe(12.5)
  })

  it("slow start doubles per second until the first backoff, then recovers to just below the ceiling", () => {
    const c = config(10, { maxRate: 1000 })
    let s = Aimd.initial(c)
    let now = T0
    for (let i = 0; i <= 100; i++) s = Aimd.onSuccess(c, s, (now = T0 + i * 10))
    expect(s.rate).toBeCloseTo(20, 0)
    s = Aimd.onBackoff(c, s, now)
    expect(s.ceiling).toBeCloseTo(20, 0)
    for (let i = 1; i <= 300; i++) s = Aimd.onSuccess(c, s, now + i * 10)
    expect(s.phase).toBe("steady")
    expect(s.rate).toBeLessThanOrEqual(20 * (1 - c.ceilingMargin) + 1e-9)
    expect(s.rate).toBeGreaterThan(19)
  })

  it("does not grow the rate when the client does not use it (app-limited)", () => {
    const c = config(10)
    let s = Aimd.initial(c)
    for (let i = 0; i < 100; i++) s = Aimd.onSuccess(c, s, T0 + i * 1000)
    expect(s.rate).toBe(10)
  })

  it("header pacing: remaining / time-to-reset, limit/window as ceiling, pause when exhausted", () => {
    const c = config(10)
    const s = Aimd.onHeaders(c, Aimd.initial(c), { limit: 60, window: 60_000, remaining: 30, resetAt: T0 + 10_000, source: "ietf" }, T0)
    expect(s.rate).toBe(2)
    expect(s.ceiling).toBe(1)
    expect(s.source).toBe("header")
    const z = Aimd.onHeaders(c, s, { remaining: 0, resetAt: T0 + 5000, source: "x-ratelimit" }, T0)
    expect(z.cooldownUntil).toBe(T0 + 5000)
  })

  it("seedAimd is plain AIMD: +step per success, x factor per backoff, clamped", () => {
    const c = { minRate: 1, maxRate: 10, increaseStep: 0.5, decreaseFactor: 0.5 }
    expect(Aimd.seedAimd(c, 4, "success")).toBe(4.5)
    expect(Aimd.seedAimd(c, 4, "backoff")).toBe(2)
    expect(Aimd.seedAimd(c, 9.9, "success")).toBe(10)
    expect(Aimd.seedAimd(c, 1.5, "backoff")).toBe(1)
  })
})

describe("simulation against a hidden token bucket (15 s, goals measured after 5 s)", () => {
  const L = 50
  const run = (initial: number, limitAt: (t: number) => { rate: number; burst: number }, extra: object = {}) =>
    simulate({ durationMs: 15_000, limitAt, config: config(initial), controller: "adaptive", ...extra })

  for (const burst of [1, 0.2]) {
    describe(`burst ${burst} s of rate, no Retry-After`, () => {
      const b = (r: number) => ({ rate: r, burst: Math.max(1, r * burst) })
      it("(a) documented limit accurate", () => {
        const r = run(L, () => b(L))
        expect(r.goodputPct).toBeGreaterThanOrEqual(95)
        expect(r.r429Pct).toBeLessThanOrEqual(1)
      })
      it("(b) docs overstate 2x", () => {
        const r = run(2 * L, () => b(L))
        expect(r.goodputPct).toBeGreaterThanOrEqual(95)
        expect(r.r429Pct).toBeLessThanOrEqual(1)
      })
      it("(c) docs understate 5x: finds a rate ~5x the documented one", () => {
        const r = run(L / 5, () => b(L))
        expect(r.goodputPct).toBeGreaterThanOrEqual(95)
        expect(r.r429Pct).toBeLessThanOrEqual(1)
        expect(r.finalRate).toBeGreaterThan((L / 5) * 4.5)
        expect(r.maxRate).toBeLessThanOrEqual((L / 5) * 10)
      })
      it("(d) limit drops 50 -> 20 at 7.5 s", () => {
        const r = run(L, (t) => (t < 7500 ? b(50) : b(20)))
        expect(r.goodputPct).toBeGreaterThanOrEqual(95)
        expect(r.r429Pct).toBeLessThanOrEqual(1.5)
        expect(r.finalRate).toBeLessThanOrEqual(20.5)
        expect(r.finalRate).toBeGreaterThan(18)
      })
    })
  }

  describe("burst 1 s of rate, Retry-After honoured as a cooldown", () => {
    const b = (r: number) => ({ rate: r, burst: r })
    it("(a), (c) and (d) keep >= 95% goodput", () => {
      for (const r of [run(L, () => b(L), { retryAfter: true }), run(L / 5, () => b(L), { retryAfter: true }), run(L, (t) => (t < 7500 ? b(50) : b(20)), { retryAfter: true })]) {
        expect(r.goodputPct).toBeGreaterThanOrEqual(95)
        expect(r.r429Pct).toBeLessThanOrEqual(1.5)
      }
    })
  })

  it("(e) headers present: >= 97% goodput, no 429 at all", () => {
    for (const headers of [{ ietf: true }, { xRateLimit: "delta" as const }, { xRateLimit: "epoch" as const }]) {
      const r = run(L, () => ({ rate: L, burst: L }), { headers, warmupMs: 1000 })
      expect(r.goodputPct).toBeGreaterThanOrEqual(97)
      expect(r.rejected).toBe(0)
    }
  })

  it("beats plain seed AIMD on 429s when the docs overstate the limit", () => {
    const adaptive = run(2 * L, () => ({ rate: L, burst: L / 5 }))
    const seed = simulate({
      durationMs: 15_000,
      limitAt: () => ({ rate: L, burst: L / 5 }),
      config: config(2 * L, { increaseStep: 0.2, decreaseFactor: 0.5 }),
      controller: "seed"
    })
    expect(adaptive.rejectedAfterWarmup).toBeLessThan(seed.rejectedAfterWarmup)
  })
})
