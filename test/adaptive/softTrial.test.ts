/**
 * The cut that tells a limiter's bare 503s from noise (`softTrial.ts`): its math, and the controller
 * applying it (`observe.ts`) on a plateau after a soft wall.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import { observe } from "../../src/adaptive/observe.js"
import * as SoftTrial from "../../src/adaptive/softTrial.js"
import { prop } from "./prop.js"

const share = fc.double({ min: 0, max: 0.5, noNaN: true })

describe("softTrial", () => {
  prop("the Poisson tail is a probability, 1 at k <= 0, falling in k and rising in the mean", [fc.integer({ min: 0, max: 40 }), fc.double({ min: 0, max: 30, noNaN: true })], ([k, m]) => {
    const p = SoftTrial.poissonTail(k, m)
    expect(p).toBeGreaterThanOrEqual(0)
    expect(p).toBeLessThanOrEqual(1)
    if (k === 0) expect(p).toBe(1)
    expect(SoftTrial.poissonTail(k + 1, m)).toBeLessThanOrEqual(p + 1e-12)
    expect(SoftTrial.poissonTail(k, m + 0.5)).toBeGreaterThanOrEqual(p - 1e-12)
  })

  prop("one or more events: 1 - e^-mean", [fc.double({ min: 0, max: 20, noNaN: true })], ([m]) => {
    expect(SoftTrial.poissonTail(1, m)).toBeCloseTo(1 - Math.exp(-m), 9)
  })

  prop("the trial's pace is under the limit a limiter answering that share implies, and not under 3/4 of the pace", [fc.double({ min: 1, max: 1000, noNaN: true }), share], ([pace, s]) => {
    const cut = SoftTrial.cutTo(pace, s)
    if (s <= 0.2) expect(cut).toBeLessThan(pace * (1 - s))
    expect(cut).toBeGreaterThanOrEqual(pace * 0.75 - 1e-9)
    expect(cut).toBeLessThan(pace)
  })

  prop("failures past the cut at about their share are noise; none or one over the answers needed, the limiter's", [share, share, fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 60 })], ([s, usual, n, k0]) => {
    const k = Math.min(n, k0)
    const t = { at: 0, pace: 50, share: s, usual, n, k }
    const v = SoftTrial.verdict(t)
    if (k <= 1) expect(v).toBe(n >= SoftTrial.needed(s, usual) ? "congestion" : "pending")
    if (v === "noise") {
      expect(n).toBeGreaterThanOrEqual(16)
      expect(k).toBeGreaterThanOrEqual(2)
      expect(k / n).toBeLessThanOrEqual(2 * s + 1e-12)
    }
    // Far over the usual share, the share that started it was the limiter's unless more than the usual one go on.
    if (v === "noise" && s - usual >= 0.08 + 1e-12) expect(k).toBeGreaterThan(usual * n)
    // Two failures or more, not above twice the share that started it (nor, far over the usual one,
    // within the usual share's): noise, however few for the usual share.
    if (k >= 2 && n >= 16 && k / n <= 2 * s - 1e-12 && (s - usual < 0.08 - 1e-12 || k > usual * n + 1e-9)) expect(v).toBe("noise")
  })

  it("2 failures in 40 answers past a cut that 10% started, 5% usual: noise; 2 in 4 (a limit fallen under the cut): no verdict yet", () => {
    expect(SoftTrial.verdict({ at: 0, pace: 50, share: 0.1, usual: 0.05, n: 40, k: 2 })).toBe("noise")
    expect(SoftTrial.verdict({ at: 0, pace: 50, share: 0.1, usual: 0.05, n: 4, k: 2 })).toBe("pending")
    expect(SoftTrial.verdict({ at: 0, pace: 50, share: 0.1, usual: 0.05, n: 20, k: 10 })).toBe("pending")
  })

  it("2 failures in 41 answers past a cut that 19% started against a usual 7.5% (3.1 expected): the limiter's, not noise", () => {
    expect(SoftTrial.verdict({ at: 0, pace: 24.3, share: 0.192, usual: 0.075, n: 41, k: 2 })).toBe("pending")
    expect(SoftTrial.verdict({ at: 0, pace: 24.3, share: 0.192, usual: 0.075, n: 41, k: 4 })).toBe("noise")
    expect(SoftTrial.verdict({ at: 0, pace: 24.3, share: 0.192, usual: 0.075, n: 80, k: 5 })).toBe("congestion")
  })

  it("2 failures in 58 answers where the usual share read 8% (noise of 5% overstated): noise, not the limiter's", () => {
    expect(SoftTrial.verdict({ at: 0, pace: 49, share: 0.143, usual: 0.08, n: 58, k: 2 })).toBe("noise")
  })

  prop("the answers needed expect six failures at the lower of the two shares, at most 600", [share, share], ([s, usual]) => {
    const n = SoftTrial.needed(s, usual)
    expect(n).toBeLessThanOrEqual(600)
    expect(n * Math.max(0.01, Math.min(s, usual))).toBeGreaterThanOrEqual(6 - 1e-9)
  })

  prop("no trial on fewer than 48 answers or 3 failures, nor at the usual share", [fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 50 }), fc.double({ min: 0.005, max: 0.3, noNaN: true })], ([n, k0, usual]) => {
    const k = Math.min(n, k0)
    const w = { ...SoftTrial.watch(0, usual), n, k }
    if (n < 48 || k < 3) expect(SoftTrial.shouldTry(w, usual)).toBe(false)
    if (k <= usual * n) expect(SoftTrial.shouldTry(w, usual)).toBe(false)
  })

  it("a share 6 points over the usual one, over a second of answers, starts a trial; 2 points does not", () => {
    expect(SoftTrial.shouldTry({ ...SoftTrial.watch(0, 0.02), n: 60, k: 5 }, 0.05)).toBe(true)
    expect(SoftTrial.shouldTry({ ...SoftTrial.watch(0, 0.05), n: 60, k: 4 }, 0.05)).toBe(false)
  })

  prop("a probe's step: one failure never ends it; two in a handful of answers at a low usual share do", [fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 0.2, noNaN: true })], ([n, usual]) => {
    expect(SoftTrial.probeMet({ ...SoftTrial.watch(0), n: n + 1, k: 1 }, usual)).toBe(false)
    expect(SoftTrial.heldClean({ ...SoftTrial.watch(0), n, k: 0 }, usual)).toBe(true)
  })

  it("two failures among 5 answers where 1% are usual end a probe's step; at 5% in 50 they do not", () => {
    expect(SoftTrial.probeMet({ ...SoftTrial.watch(0), n: 5, k: 2 }, 0.01)).toBe(true)
    expect(SoftTrial.probeMet({ ...SoftTrial.watch(0), n: 50, k: 2 }, 0.05)).toBe(false)
  })

  it("a probe's top step with two failures in 16 answers at 1% usual met the limiter; one, or two in 50 at 5%, did not", () => {
    expect(SoftTrial.toppedOut({ ...SoftTrial.watch(0), n: 16, k: 2 }, 0.01)).toBe(true)
    expect(SoftTrial.toppedOut({ ...SoftTrial.watch(0), n: 16, k: 1 }, 0.01)).toBe(false)
    expect(SoftTrial.toppedOut({ ...SoftTrial.watch(0), n: 50, k: 2 }, 0.05)).toBe(false)
  })

  prop("the share learnt after noise: the pooled one, at most 4 points over the usual", [fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 500 }), fc.double({ min: 0, max: 0.3, noNaN: true })], ([n, n2, usual]) => {
    const w = { ...SoftTrial.watch(0), n, k: Math.floor(n / 5) }
    const t = { at: 0, pace: 50, share: 0.2, usual, n: n2, k: Math.floor(n2 / 5) }
    const learnt = SoftTrial.learntShare(w, t)
    expect(learnt).toBeLessThanOrEqual(usual + 0.04 + 1e-12)
    expect(learnt).toBeLessThanOrEqual((w.k + t.k) / Math.max(1, n + n2) + 1e-12)
  })

  prop("answers count where sent past the cut; into the trial once one runs", [fc.boolean(), fc.boolean(), fc.boolean()], ([soft, counted, past]) => {
    const w = SoftTrial.record(SoftTrial.watch(0), soft, counted, past)
    expect(w.n).toBe(counted ? 1 : 0)
    expect(w.k).toBe(counted && soft ? 1 : 0)
    const t = { at: 0, pace: 50, share: 0.1, usual: 0.05, n: 0, k: 0 }
    const r = SoftTrial.record({ ...SoftTrial.watch(0), trial: t }, soft, counted, past)
    expect(r.n).toBe(0)
    expect(r.trial!.n).toBe(past ? 1 : 0)
    expect(r.trial!.k).toBe(past && soft ? 1 : 0)
  })
  prop(
    "a stored watch is whole only with every count, pace and instant finite",
    [fc.constantFrom("since", "n", "k", "floor", "from", "usual", "trial.at", "trial.pace", "trial.share", "trial.usual", "trial.n", "trial.k"), fc.constantFrom(NaN, Infinity, -Infinity)],
    ([field, bad]) => {
      const t = { at: 0, pace: 50, share: 0.1, usual: 0.05, n: 3, k: 1 }
      const w: SoftTrial.Watch = { ...SoftTrial.watch(0, 0.02), floor: 48, from: 45, trial: t }
      expect(SoftTrial.sane(w)).toBe(true)
      const [head, tail] = field.split(".")
      const broken = tail === undefined ? { ...w, [head!]: bad } : { ...w, trial: { ...t, [tail]: bad } }
      expect(SoftTrial.sane(broken)).toBe(false)
    }
  )
})

describe("the trial on a plateau after a soft wall (observe)", () => {
  const T0 = 1_700_000_000_000
  const c = Aimd.defaultConfig(50)
  // A plateau at 54, a soft wall's decision 1 s before: 8% bare 503s go on.
  const plateau: Aimd.AimdState = {
    ...Aimd.initial(c),
    rate: 54,
    phase: "steady",
    ceiling: 54,
    softWall: true,
    lastDecreaseAt: T0,
    cooldownUntil: 0,
    probeAt: Infinity,
    rttMs: 10,
    soft: { recent: 0.05, baseline: 0.02, seen: 400 }
  }
  const run = (s0: Aimd.AimdState, from: number, answers: number, failEvery: number) => {
    let s = s0, t = from
    for (let i = 0; i < answers; i++) {
      t += 20
      const fail = failEvery > 0 && i % failEvery === failEvery - 1
      s = observe(c, s, { status: fail ? 503 : 200, backoff: fail, sentAt: t - 10 }, t)
    }
    return { s, t }
  }

  it("cut under the limit the share implies; no 503s past the cut: the cut stays", () => {
    const before = run(plateau, T0 + 1000, 60, 12)
    expect(before.s.rate).toBeLessThan(54 * 0.95)
    const cut = before.s.rate
    const after = run(before.s, before.t, 700, 0)
    expect(after.s.rate).toBeCloseTo(cut, 6)
    expect(after.s.softTrial?.trial ?? null).toBeNull()
  })

  it("a stored trial with a NaN count (a shared store's data) starts afresh, never pending for ever", () => {
    const before = run(plateau, T0 + 1000, 60, 12)
    const w = before.s.softTrial!
    expect(w.trial).not.toBeNull()
    const corrupt = { ...before.s, softTrial: { ...w, trial: { ...w.trial!, n: NaN } } }
    const after = run(corrupt, before.t, 1, 0)
    expect(after.s.softTrial?.trial ?? null).toBeNull()
    expect(Number.isFinite(after.s.rate)).toBe(true)
  })

  it("503s going on at the same share past the cut: the pace restored, the share learnt as usual", () => {
    const before = run(plateau, T0 + 1000, 60, 12)
    expect(before.s.rate).toBeLessThan(54 * 0.95)
    const after = run(before.s, before.t, 40, 12)
    expect(after.s.rate).toBeCloseTo(54, 6)
    expect(after.s.soft.baseline).toBeGreaterThanOrEqual(0.059)
  })

  // A hold after a soft wall, its range up to the wall's pace open: the hold became the plateau 9%
  // above nginx's limit, its 503s learnt as the usual share.
  const hold: Aimd.AimdState = { ...plateau, phase: "hold", ceiling: null, ceilingHigh: 73, probeAt: T0 + 30_000, soft: { recent: 0.05, baseline: 0.04, seen: 400 } }

  it("in a hold, the same share starts a trial whose cut is the plateau, probed after the verdict; noise restores the pace and the hold's probe", () => {
    const before = run(hold, T0 + 1000, 60, 12)
    expect(before.s.phase).toBe("steady")
    expect(before.s.softTrial?.trial).not.toBeNull()
    expect(before.s.ceiling).toBeCloseTo(before.s.rate, 6)
    expect(before.s.rate).toBeLessThan(54 * 0.95)
    expect(before.s.probeAt).toBeGreaterThan(before.t)
    const noise = run(before.s, before.t, 40, 12)
    // Restored, and the range up to the wall probed as the hold would have: the probe's first step.
    expect(noise.s.phase).toBe("probe")
    expect(noise.s.rate).toBeGreaterThan(54)
    expect(noise.s.rate).toBeLessThan(73)
    const limiter = run(before.s, before.t, 700, 0)
    expect(limiter.s.rate).toBeCloseTo(before.s.rate, 6)
    expect(limiter.s.softTrial?.trial ?? null).toBeNull()
  })

  it("not in a hold once the usual share measured is above the one assumed before any (noise known)", () => {
    const noisy = { ...hold, soft: { recent: 0.06, baseline: 0.06, seen: 400 } }
    const after = run(noisy, T0 + 1000, 60, 8)
    expect(after.s.phase).toBe("hold")
    expect(after.s.softTrial?.trial ?? null).toBeNull()
  })
})

describe("a probe's step that met the limiter (observe)", () => {
  const T0 = 1_700_000_000_000
  const c = Aimd.defaultConfig(50)
  // A step at 57.5 of a probe that started from 46.3 and held 53.5 clean (nginx's burst hid its 503s).
  const step: Aimd.AimdState = {
    ...Aimd.initial(c),
    rate: 57.5,
    phase: "probe",
    ceiling: 53.5,
    probeStartedAt: T0,
    softWall: true,
    lastDecreaseAt: T0 - 5000,
    cooldownUntil: 0,
    probeAt: Infinity,
    rttMs: 10,
    soft: { recent: 0, baseline: 0.03, seen: 400 },
    softTrial: { since: T0, mode: "probe", floor: 53.5, from: 46.3, n: 0, k: 0, trial: null }
  }
  const run = (failEvery: number) => {
    let s = step, t = T0
    for (let i = 0; i < 60 && s.phase === "probe"; i++) {
      t += 10
      const fail = i % failEvery === failEvery - 1
      s = observe(c, s, { status: fail ? 503 : 200, backoff: fail, sentAt: t - 5 }, t)
    }
    return s
  }

  it("12.5% 503s: back under the step held clean, where the share over the usual one puts the limit", () => {
    const s = run(8)
    expect(s.phase).toBe("steady")
    expect(s.rate).toBeLessThan(53.5)
    // The 5th 503 in 40 answers (1.2 expected at 3%) ends it.
    expect(s.rate).toBeCloseTo(SoftTrial.cutTo(57.5, 5 / 40 - 0.03), 6)
  })

  it("half the answers 503s: no lower than the plateau the probe started from", () => {
    const s = run(2)
    expect(s.phase).toBe("steady")
    expect(s.rate).toBeCloseTo(46.3, 6)
  })

  // The top of the range (59) within a step: a second on, the probe ends there, not at the step below
  // when that step's 503s met the limiter (fewer than `probeMet` needs).
  const top: Aimd.AimdState = { ...step, ceilingHigh: 59, probeStartedAt: T0 - 1000, softTrial: { ...step.softTrial!, since: T0 - 1000, n: 40, k: 4 } }
  const end = (s0: Aimd.AimdState) => observe(c, s0, { status: 200, backoff: false, sentAt: T0 - 5 }, T0)

  it("a top step with 4 503s in 40 answers (1.2 expected): back where the share puts the limit, under the step below", () => {
    expect(SoftTrial.probeMet(top.softTrial!, 0.03)).toBe(false)
    const s = end(top)
    expect(s.phase).toBe("steady")
    expect(s.rate).toBeCloseTo(SoftTrial.cutTo(57.5, 4 / 40 - 0.03), 6)
    expect(s.rate).toBeLessThan(53.5)
    expect(s.probeGapMs).toBe(Aimd.initial(c).probeGapMs * 2)
  })

  it("a top step held clean: the probe settles at the step below, as without 503s", () => {
    const s = end({ ...top, softTrial: { ...top.softTrial!, k: 1 } })
    expect(s.phase).toBe("steady")
    expect(s.rate).toBeCloseTo(53.5, 6)
  })
})
