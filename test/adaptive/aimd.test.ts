import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { prop } from "./prop.js"
import * as Aimd from "../../src/adaptive/aimd.js"

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

  prop("a backoff outside the same-burst window caps the ceiling at the wall rate and lowers the rate (a drain only follows a pause)", [cfgArb, fc.array(event, { maxLength: 100 }), fc.integer({ min: 0, max: 3000 })], ([c, events, retryAfterMs]) => {
    let s = Aimd.initial(c)
    let now = T0
    for (const e of events) {
      now += e.dt
      s = step(c, s, e, now)
    }
    now = Math.max(now, s.holdUntil, s.cooldownUntil) + 1
    const after = Aimd.onBackoff(c, s, now, { retryAfterMs })
    expect(after.lastDecreaseRate).toBe(s.rate)
    expect(after.decreases).toBe(s.decreases + 1)
    expect(after.ceiling).not.toBeNull()
    if (s.phase !== "drain") expect(after.ceiling!).toBeLessThanOrEqual(s.rate + 1e-9)
    if (after.phase === "drain") {
      // Spending what the server banked during the pause: at most 1 s of the ceiling, over 2 s.
      expect(retryAfterMs).toBeGreaterThan(0)
      expect(after.drainUntil).toBe(now + retryAfterMs + 2000)
      const plateau = Math.max(c.minRate, after.ceiling! * (1 - c.ceilingMargin))
      expect(after.rate).toBeLessThanOrEqual(plateau + 0.4 * after.ceiling! + 1e-9)
    } else if (s.rate > c.minRate) {
      expect(after.rate).toBeLessThan(s.rate)
    }
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

  it("a wall met while climbing back measures the server: the ceiling is what it accepted in between", () => {
    const c = config(50)
    let s = Aimd.onBackoff(c, Aimd.initial(c), T0, { sentAt: T0 - 1 })
    // The first wall has nothing to measure against: multiplicative decrease, then climb back.
    expect(s.rate).toBe(25)
    expect(s.phase).toBe("recovery")
    // 80 successes in the 2 s after the decrease, no pause: the server sustained 40 rps.
    for (let i = 1; i <= 80; i++) s = Aimd.onSuccess(c, s, T0 + i * 25)
    const at = s.rate
    expect(at).toBeGreaterThan(40)
    const after = Aimd.onBackoff(c, s, T0 + 2000, { sentAt: T0 + 1999 })
    expect(after.ceiling).toBeCloseTo(40, 9)
    // Straight to the plateau: halving a rate just sustained would only waste the server's refill.
    // A measured throughput is a lower bound of the server's rate already: half the margin below it.
    expect(after.ceilingMeasured).toBe(true)
    expect(after.rate).toBeCloseTo(40 * (1 - c.ceilingMargin / 2), 9)
    expect(after.phase).toBe("steady")
  })

  it("a Retry-After pause is assumed banked up to 1 s, then spent in a drain; a drain that meets the wall stops that", () => {
    const c = config(50)
    // First wall at 100 rps, 1 s pause.
    let s = Aimd.onBackoff(c, { ...Aimd.initial(c), rate: 100 }, T0, { sentAt: T0 - 1, retryAfterMs: 1000 })
    expect(s.rate).toBe(50)
    expect(s.cooldownUntil).toBe(T0 + 1000)
    // Resumes at 50 after the pause; 1 s later (60 accepted) the wall again: the bucket was empty at
    // both walls, and the pause is assumed banked, so the server's rate is 60 / 2 s = 30 rps.
    for (let i = 1; i <= 60; i++) s = Aimd.onSuccess(c, s, T0 + 1000 + i * 16)
    s = Aimd.onBackoff(c, s, T0 + 2000, { sentAt: T0 + 1999, retryAfterMs: 1000 })
    expect(s.ceiling).toBeCloseTo(30, 9)
    const plateau = 30 * (1 - c.ceilingMargin / 2)
    // After the pause: the plateau plus 70% of the 30 banked tokens over 2 s.
    expect(s.phase).toBe("drain")
    expect(s.rate).toBeCloseTo(plateau + 10.5, 9)
    expect(s.drainUntil).toBe(T0 + 5000)
    const drained = Aimd.onSuccess(c, Aimd.onSuccess(c, s, T0 + 4990), T0 + 5000)
    expect(drained.phase).toBe("steady")
    expect(drained.rate).toBeCloseTo(plateau, 9)
    // A wall during the drain instead: the server banks less than assumed. Back to the plateau, and
    // no drain after the next pause.
    const short = Aimd.onBackoff(c, Aimd.onSuccess(c, s, T0 + 3500), T0 + 3600, { sentAt: T0 + 3590, retryAfterMs: 1000 })
    expect(short.bankShort).toBe(true)
    expect(short.phase).toBe("steady")
    expect(short.rate).toBeCloseTo(plateau, 9)
    let p: Aimd.AimdState = { ...short, phase: "probe" }
    for (let i = 1; i <= 100; i++) p = Aimd.onSuccess(c, p, T0 + 4600 + i * 30)
    const next = Aimd.onBackoff(c, p, T0 + 7600, { sentAt: T0 + 7599, retryAfterMs: 1000 })
    expect(next.phase).toBe("steady")
    expect(next.banked).toBe(0)
    // …and across a pause the estimate is the midpoint of what was accepted and the wall rate.
    const low = 100 / 4
    expect(next.ceiling).toBeCloseTo(low + (p.rate - low) / 2, 9)
  })

  it("a drain that meets the wall re-derives the ceiling without the bank assumption (raising it only)", () => {
    const c = config(50)
    let s = Aimd.onBackoff(c, { ...Aimd.initial(c), rate: 100 }, T0, { sentAt: T0 - 1, retryAfterMs: 1000 })
    for (let i = 1; i <= 60; i++) s = Aimd.onSuccess(c, s, T0 + 1000 + i * 16)
    s = Aimd.onBackoff(c, s, T0 + 2000, { sentAt: T0 + 1999, retryAfterMs: 1000 })
    expect(s.ceiling).toBeCloseTo(30, 9)
    expect(s.phase).toBe("drain")
    const at = s.rate
    // 75 accepted in the 1.9 s of drain at ~40 rps, then the wall: if the server banked nothing of
    // the pause it refilled 75 in 1.9 s, if it banked all of it 75 in 2.9 s. The midpoint of the
    // latter and the drain pace is above the old ceiling, which assumed the bank.
    for (let i = 1; i <= 75; i++) s = Aimd.onSuccess(c, s, T0 + 3000 + i * 25)
    const wall = Aimd.onBackoff(c, s, T0 + 4900, { sentAt: T0 + 4899, retryAfterMs: 1000 })
    expect(wall.bankShort).toBe(true)
    expect(wall.phase).toBe("steady")
    const ceiling = (75 / 2.9 + at) / 2
    expect(ceiling).toBeGreaterThan(30)
    expect(wall.ceiling).toBeCloseTo(ceiling, 9)
    expect(wall.ceilingMeasured).toBe(false)
    expect(wall.rate).toBeCloseTo(ceiling * (1 - c.ceilingMargin), 9)
  })

  it("a long pause is assumed banked for 1 s only; a pause longer than twice the traffic after it cuts at most by decreaseFactor", () => {
    const c = config(50)
    const probing = (successes: number, rate: number): Aimd.AimdState => ({
      ...Aimd.initial(c),
      phase: "probe",
      source: "learned",
      rate,
      ceiling: 55,
      lastDecreaseAt: T0,
      cooldownUntil: T0 + 10_000,
      successesSinceDecrease: successes
    })
    // 10 s pause, then 4 s of traffic: 250 accepted over 4 s + 1 s banked = 50 rps.
    const long = Aimd.onBackoff(c, probing(250, 60), T0 + 14_000, { sentAt: T0 + 13_999 })
    expect(long.ceiling).toBeCloseTo(50, 9)
    expect(long.ceilingMeasured).toBe(false)
    // 10 s pause, then 1 s of traffic (60 accepted): the estimate 60 / 2 s = 30 rests on the assumed
    // bank, so it may not cut the rate at the wall (100) by more than half.
    const guarded = Aimd.onBackoff(c, probing(60, 100), T0 + 11_000, { sentAt: T0 + 10_999 })
    expect(guarded.ceiling).toBeCloseTo(50, 9)
    // Without the pause the same count is a plain measurement: 60 over 11 s.
    const plain = Aimd.onBackoff(c, { ...probing(60, 100), cooldownUntil: 0 }, T0 + 11_000, { sentAt: T0 + 10_999 })
    expect(plain.ceiling).toBeCloseTo(60 / 11, 9)
    expect(plain.ceilingMeasured).toBe(true)
  })

  it("time paced below the server's rate with its bucket full counts as overflow: the estimate is the rate that explains it", () => {
    const c = config(50)
    // A wall and a 1 s pause; then 8 s held at 30 rps and 1 s at 100 until the next wall. A server
    // refilling 50 rps with a 50-token bucket: full after the pause, overflowing 20 per second while
    // the client asks for 30, drained in the last second. 240 + 100 accepted over 10 s: 34 rps on
    // average, but 50 is what explains the wall.
    let s: Aimd.AimdState = { ...Aimd.onBackoff(c, { ...Aimd.initial(c), rate: 60 }, T0, { sentAt: T0 - 1, retryAfterMs: 1000 }), banked: 0 }
    s = { ...s, rate: 30, phase: "steady" }
    let now = T0 + 1000
    for (let i = 0; i < 240; i++) s = Aimd.onSuccess(c, s, (now += 1000 / 30), { sentAt: now - 2 })
    s = { ...s, rate: 100, phase: "probe", probeStartedAt: now }
    for (let i = 0; i < 100; i++) s = Aimd.onSuccess(c, s, (now += 10), { sentAt: now - 2 })
    expect(s.paceLog.length).toBeLessThanOrEqual(12)
    expect(s.paceLog[0]![0]).toBe(30)
    const wall = Aimd.onBackoff(c, s, now, { sentAt: now - 1, retryAfterMs: 1000 })
    expect(wall.ceiling).toBeCloseTo(50, 0)
    expect(wall.ceilingMeasured).toBe(true)
    // Without a pause the bucket starts empty and is assumed to absorb a second of rate first.
    const noPause = Aimd.onBackoff(c, { ...s, cooldownUntil: 0 }, now, { sentAt: now - 1 })
    expect(noPause.ceiling!).toBeLessThan(wall.ceiling!)
    expect(noPause.ceiling!).toBeGreaterThan(340 / 10)
  })

  it("counts only successes of requests sent after the last decrease", () => {
    const c = config(50)
    const s = Aimd.onBackoff(c, Aimd.initial(c), T0, { sentAt: T0 - 1 })
    const old = Aimd.onSuccess(c, s, T0 + 5, { sentAt: T0 - 3 })
    expect(old.successesSinceDecrease).toBe(0)
    expect(Aimd.onSuccess(c, old, T0 + 6, { sentAt: T0 + 1 }).successesSinceDecrease).toBe(1)
    expect(Aimd.onSuccess(c, old, T0 + 6).successesSinceDecrease).toBe(1)
  })

  it("a wall at a rate that was sustained (the limit dropped) decreases and climbs back; the next wall measures the new limit", () => {
    const c = config(50)
    // Learned 50, on the plateau for 10 s.
    let s: Aimd.AimdState = { ...Aimd.initial(c), rate: 49, ceiling: 50, phase: "steady", source: "learned", lastDecreaseAt: T0 - 10_000, successesSinceDecrease: 490, probeStartedAt: T0 - 9000 }
    const dropped = Aimd.onBackoff(c, s, T0, { sentAt: T0 - 1, retryAfterMs: 1000 })
    expect(dropped.phase).toBe("recovery")
    expect(dropped.rate).toBeLessThan(49)
    expect(dropped.drainUntil).toBe(0)
    // The server now refills 20 rps; 35 accepted in the 0.75 s after the 1 s pause, then the wall.
    s = dropped
    for (let i = 1; i <= 35; i++) s = Aimd.onSuccess(c, s, T0 + 1000 + i * 21)
    const measured = Aimd.onBackoff(c, s, T0 + 1750, { sentAt: T0 + 1749, retryAfterMs: 1000 })
    expect(measured.ceiling).toBeCloseTo(20, 9)
    expect(measured.phase).toBe("drain")
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
