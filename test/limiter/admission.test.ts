import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Admission from "../../src/limiter/admission.js"
import * as Bucket from "../../src/limiter/bucket.js"
import { InvalidCost } from "../../src/limiter/errors.js"
import * as Limit from "../../src/limiter/Limit.js"
import { capacityError, compileSet, type LimitSet, resolveCost } from "../../src/limiter/request.js"
import * as Snapshot from "../../src/limiter/snapshot.js"

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0)

/** One to three limits (rolling or fixed, distinct names), each drained by some fraction. */
const limitsArb = fc.array(
  fc.record({
    capacity: fc.integer({ min: 1, max: 50 }),
    refillFraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
    periodMs: fc.constantFrom(100, 250, 1000, 5000),
    fixed: fc.boolean(),
    drain: fc.double({ min: 0, max: 1.5, noNaN: true })
  }),
  { minLength: 1, maxLength: 3 }
)

/** A key's situation: limits, drained buckets, cooldown, pause, maybe an adaptive pace, a cost fraction. */
const situation = fc.record({
  limits: limitsArb,
  cooldownMs: fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
  paceMs: fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
  adaptive: fc.option(fc.record({ rate: fc.double({ min: 0.5, max: 50, noNaN: true }), spent: fc.integer({ min: 0, max: 3 }) }), {
    nil: undefined
  }),
  costFraction: fc.double({ min: 0, max: 1, noNaN: true })
})

const build = (s: typeof situation extends fc.Arbitrary<infer A> ? A : never) => {
  const limits = s.limits.map((l, i) =>
    l.fixed
      ? Limit.custom({ name: `l${i}`, capacity: l.capacity, refillAmount: l.capacity, refillPeriod: l.periodMs, window: { type: "fixed" } })
      : Limit.custom({ name: `l${i}`, capacity: l.capacity, refillAmount: Math.max(0.01, l.capacity * l.refillFraction), refillPeriod: l.periodMs })
  )
  const set = compileSet(limits) as LimitSet
  const view = set.specs.map((spec, i) => {
    const b = Admission.makeKeyBucket(spec, T0)
    Bucket.take(spec, b, spec.capacity * s.limits[i]!.drain, T0)
    return b
  })
  const pacer: Admission.Pacer = {
    cooldownUntil: s.cooldownMs === undefined ? -Infinity : T0 + s.cooldownMs,
    paceAt: s.paceMs === undefined ? -Infinity : T0 + s.paceMs,
    adaptive: null
  }
  if (s.adaptive !== undefined) {
    Admission.setAdaptive(pacer, s.adaptive.rate, 1, T0)
    Bucket.take(pacer.adaptive!.spec, pacer.adaptive!, s.adaptive.spent, T0)
  }
  const cost = Math.min(...set.specs.map((spec) => spec.capacity)) * s.costFraction
  const req = resolveCost("k", set, Math.round(cost * 100) / 100) as Exclude<ReturnType<typeof resolveCost>, InvalidCost>
  return { set, view, pacer, req }
}

const clone = <A extends object>(a: A): A => ({ ...a })
const cloneState = (view: ReadonlyArray<Admission.KeyBucket>, p: Admission.Pacer) => ({
  view: view.map(clone),
  pacer: { ...p, adaptive: p.adaptive === null ? null : clone(p.adaptive) }
})

const policy: Admission.Policy = { throttle: false, minIntervalMs: 0 }

describe("admission core", () => {
  it("waitFor is exact: admissible at now + wait, not 1 ms before; blockedBy is empty exactly when admissible", () => {
    fc.assert(
      fc.property(situation, (s) => {
        const { pacer, req, view } = build(s)
        const wait = Admission.waitFor(pacer, view, req, T0)
        expect(Number.isFinite(wait)).toBe(true)
        const now = cloneState(view, pacer)
        expect(Admission.admissible(now.pacer, now.view, req, T0)).toBe(wait === 0)
        expect(Admission.blockedBy(now.pacer, now.view, req, T0).length === 0).toBe(wait === 0)
        const at = cloneState(view, pacer)
        expect(Admission.admissible(at.pacer, at.view, req, T0 + wait)).toBe(true)
        if (wait > 1) {
          const before = cloneState(view, pacer)
          expect(Admission.admissible(before.pacer, before.view, req, T0 + wait - 1)).toBe(false)
        }
      })
    )
  })

  it("tryAdmit takes the cost from every limit (and one adaptive token) or changes nothing", () => {
    fc.assert(
      fc.property(situation, fc.integer({ min: 0, max: 3000 }), (s, dt) => {
        const { pacer, req, view } = build(s)
        const now = T0 + dt
        for (const b of view) Bucket.refill(b.spec, b, now)
        if (pacer.adaptive !== null) Bucket.refill(pacer.adaptive.spec, pacer.adaptive, now)
        const before = cloneState(view, pacer)
        const ok = Admission.tryAdmit(policy, pacer, view, req, now)
        view.forEach((b, i) => expect(b.tokens).toBeCloseTo(before.view[i]!.tokens - (ok ? req.costs[i]! : 0), 9))
        if (pacer.adaptive !== null) {
          expect(pacer.adaptive.tokens).toBeCloseTo(before.pacer.adaptive!.tokens - (ok ? 1 : 0), 9)
        }
        expect(pacer.paceAt).toBe(before.pacer.paceAt)
      })
    )
  })

  it("waitBehind replays the line in order on copies: the key's state is untouched, and alone it is waitFor", () => {
    fc.assert(
      fc.property(situation, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }), (s, line) => {
        const { pacer, req, set, view } = build(s)
        const throttled: Admission.Policy = { throttle: 0.5, minIntervalMs: 7 }
        const snapshot = JSON.stringify(cloneState(view, pacer))
        const alone = Admission.waitBehind(throttled, pacer, [], { req, view }, T0)
        expect(alone).toBeCloseTo(Admission.waitFor(pacer, view, req, T0), 3)
        const ahead = line.map((f) => ({ req: resolveCost("k", set, Math.round(f * 100) / 100) as typeof req, view }))
        const planned = Admission.waitBehind(throttled, pacer, ahead, { req, view }, T0)
        expect(JSON.stringify(cloneState(view, pacer))).toBe(snapshot)
        // The reference: serve the line for real on a copy, each as early as it can be.
        const sim = cloneState(view, pacer)
        let t = T0
        for (const w of ahead) {
          t += Admission.waitFor(sim.pacer, sim.view, w.req, t)
          Admission.commit(throttled, sim.pacer, sim.view, w.req, t)
        }
        expect(planned).toBeCloseTo(t + Admission.waitFor(sim.pacer, sim.view, req, t) - T0, 6)
        expect(planned).toBeGreaterThanOrEqual(alone - 1e-6)
      })
    )
  })

  it("reserve books now what admitting at now + wait would do; refused (nothing changed) past maxWait, in a cooldown, or in a later fixed window", () => {
    const paced: Admission.Policy = { throttle: 0.6, minIntervalMs: 5 }
    fc.assert(
      fc.property(situation, fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 }), (s, maxWaitMs, later) => {
        const { pacer, req, view } = build(s)
        const wait = Admission.waitFor(cloneState(view, pacer).pacer, cloneState(view, pacer).view, req, T0)
        const booked = cloneState(view, pacer)
        const before = JSON.stringify(booked)
        const got = Admission.reserve(paced, booked.pacer, booked.view, req, T0, maxWaitMs)
        const crossesWindow = view.some((b) => b.spec.fixed && T0 + wait >= Bucket.make(b.spec, T0).windowEnd)
        if (wait > maxWaitMs || (wait > 0 && (pacer.cooldownUntil > T0 || crossesWindow))) {
          expect(got).toBe(-1)
          expect(JSON.stringify(booked)).toBe(before)
          return
        }
        expect(got).toBeCloseTo(wait, 9)
        // The reference: nothing happens until T0 + wait, then an admission.
        const then = cloneState(view, pacer)
        Admission.commit(paced, then.pacer, then.view, req, T0 + wait)
        expect(booked.pacer.paceAt).toBeCloseTo(then.pacer.paceAt, 6)
        for (const t of [T0 + wait, T0 + wait + later]) {
          booked.view.forEach((b, i) => {
            Bucket.refill(b.spec, b, t)
            Bucket.refill(b.spec, then.view[i]!, t)
            expect(b.tokens).toBeCloseTo(then.view[i]!.tokens, 6)
          })
          if (booked.pacer.adaptive !== null) {
            Bucket.refill(booked.pacer.adaptive.spec, booked.pacer.adaptive, t)
            Bucket.refill(then.pacer.adaptive!.spec, then.pacer.adaptive!, t)
            expect(booked.pacer.adaptive.tokens).toBeCloseTo(then.pacer.adaptive!.tokens, 6)
          }
        }
      }),
      { numRuns: 500 }
    )
  })

  it("batchSize: that many admissions in a row all pass unpaced, one more would not (capped at max); 1 whenever anything paces", () => {
    fc.assert(
      fc.property(situation, fc.integer({ min: 1, max: 40 }), fc.constantFrom<number | false>(false, 0.5, 0.9), (s, max, throttle) => {
        const { pacer, req, view } = build(s)
        const p: Admission.Policy = { throttle, minIntervalMs: 0 }
        const k = Admission.batchSize(p, pacer, view, req, T0, max)
        const paced = pacer.adaptive !== null || pacer.cooldownUntil > T0 || pacer.paceAt > T0
        if (paced || max < 2) {
          expect(k).toBe(1)
          return
        }
        expect(Admission.batchSize({ ...p, minIntervalMs: 1 }, pacer, view, req, T0, max)).toBe(1)
        // Admit one at a time on a copy: how many pass before one is refused or paced.
        const sim = cloneState(view, pacer)
        let passed = 0
        while (passed <= max && Admission.tryAdmit(p, sim.pacer, sim.view, req, T0) && sim.pacer.paceAt === -Infinity) passed++
        expect(k).toBe(passed >= 2 ? Math.min(passed, max) : 1)
        if (k >= 2) {
          const taken = cloneState(view, pacer)
          Admission.takeBatch(taken.view, req, k, T0)
          taken.view.forEach((b, i) => expect(b.tokens).toBeCloseTo(view[i]!.tokens - k * req.costs[i]!, 9))
        }
      }),
      { numRuns: 500 }
    )
  })

  it("batchSize: a free request against a bucket in debt is no batch (tryAdmit refuses it too)", () => {
    const s = { limits: [{ capacity: 1, refillFraction: 0.05, periodMs: 100 as const, fixed: false, drain: 1.000001 }], cooldownMs: undefined, paceMs: undefined, adaptive: undefined, costFraction: 0 }
    const { pacer, req, view } = build(s)
    expect(Admission.batchSize({ throttle: false, minIntervalMs: 0 }, pacer, view, req, T0, 2)).toBe(1)
    expect(Admission.tryAdmit({ throttle: false, minIntervalMs: 0 }, pacer, view, req, T0)).toBe(false)
  })

  it("a cooldown holds the adaptive pace back: one admission when the pause ends, then the rate", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 100, noNaN: true }), fc.integer({ min: 1, max: 10_000 }), (rate, pauseMs) => {
        const pacer: Admission.Pacer = { cooldownUntil: T0 + pauseMs, paceAt: -Infinity, adaptive: null }
        Admission.setAdaptive(pacer, rate, 5, T0)
        Admission.holdDuringCooldown(pacer.adaptive!, pacer.cooldownUntil, T0)
        const a = pacer.adaptive!
        expect(Bucket.timeUntil(a.spec, { ...a }, 1, T0)).toBeCloseTo(pauseMs, 3)
        Bucket.take(a.spec, a, 1, T0 + pauseMs)
        expect(Bucket.timeUntil(a.spec, { ...a }, 1, T0 + pauseMs)).toBeCloseTo(1000 / rate, 3)
      })
    )
  })
})

describe("costs", () => {
  const set = compileSet([Limit.perMinute("rpm", 60), Limit.perMinute("tpm", 1000)]) as LimitSet

  it("a map names every limit in the record (missing ones cost 0); numbers resolve to one shared request", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 500, noNaN: true }), fc.boolean(), (tpm, withRpm) => {
        const req = resolveCost("k", set, withRpm ? { rpm: 1, tpm } : { tpm })
        if (req instanceof InvalidCost) return expect.fail(req.message)
        expect(req.record).toEqual({ rpm: withRpm ? 1 : 0, tpm })
        expect(req.costs).toEqual([withRpm ? 1 : 0, tpm])
        expect(req.amount).toBe(Math.max(withRpm ? 1 : 0, tpm))
      })
    )
    expect(resolveCost("k", set, 3)).toBe(resolveCost("k", set, 3))
    expect(resolveCost("k", set, undefined)).toBe(set.unit)
  })

  it("refuses unknown names, bad numbers and duplicate limits with a reason naming them", () => {
    expect((resolveCost("k", set, { images: 1 }) as InvalidCost).reason).toContain("\"images\"")
    for (const bad of [-1, Number.NaN, Infinity]) expect(resolveCost("k", set, bad)).toBeInstanceOf(InvalidCost)
    expect(compileSet([Limit.perSecond("a", 1), Limit.perMinute("a", 5)])).toContain("duplicate limit name \"a\"")
    const tooBig = capacityError("k", resolveCost("k", set, { tpm: 1001 }) as never)
    expect(tooBig).toMatchObject({ _tag: "CostExceedsCapacity", limit: "tpm", capacity: 1000 })
  })
})

describe("snapshot math", () => {
  it("fullAt is when the bucket is full again, for rolling and fixed windows, in debt or not", () => {
    fc.assert(
      fc.property(limitsArb, fc.integer({ min: 0, max: 100_000 }), (ls, dt) => {
        const { set, view } = build({ limits: ls, cooldownMs: undefined, paceMs: undefined, adaptive: undefined, costFraction: 0 })
        const now = T0 + dt
        view.forEach((b, i) => {
          Bucket.refill(b.spec, b, now)
          const snap = Snapshot.limitSnapshot(set.specs[i]!, b.tokens, now)
          expect(snap.fullAt).toBeGreaterThanOrEqual(now)
          const at = { ...b }
          Bucket.refill(b.spec, at, snap.fullAt)
          expect(at.tokens).toBeGreaterThanOrEqual(b.spec.capacity - b.spec.slack)
          if (snap.fullAt > now + 1) {
            const before = { ...b }
            Bucket.refill(b.spec, before, snap.fullAt - 1)
            expect(before.tokens).toBeLessThan(b.spec.capacity)
          }
        })
      })
    )
  })

  it("the current rate: tightest limit or minInterval; an adaptive pace binds unless an empty limit is slower", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ rate: fc.double({ min: 0.01, max: 100, noNaN: true }), tokens: fc.double({ min: -5, max: 10, noNaN: true }) }), {
          maxLength: 3
        }),
        fc.option(fc.double({ min: 0.01, max: 100, noNaN: true }), { nil: null }),
        fc.constantFrom(0, 50),
        (ls, adaptive, minIntervalMs) => {
          const limits = ls.map((l, i) => ({ name: `l${i}`, capacity: 10, tokens: l.tokens, ratePerSecond: l.rate, window: "rolling" as const, fullAt: 0 }))
          const { currentRate, rateSource } = Snapshot.currentRate(limits, minIntervalMs, adaptive)
          const empty = limits.filter((l) => l.tokens < 1).map((l) => l.ratePerSecond)
          if (adaptive === null) {
            expect(rateSource).toBe("configured")
            expect(currentRate).toBe(Math.min(...limits.map((l) => l.ratePerSecond), minIntervalMs > 0 ? 1000 / minIntervalMs : Infinity))
          } else {
            expect(currentRate).toBe(Math.min(adaptive, ...empty))
            expect(rateSource).toBe(adaptive <= Math.min(...empty) ? "adaptive" : "configured")
          }
        }
      )
    )
  })
})
