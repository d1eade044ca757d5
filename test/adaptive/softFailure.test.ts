/**
 * Soft failures below the classifier's bar from a server whose walls are bare 503s: a chain of them
 * lowers the plateau (bounded), one on a probe step ends the probe, a stall's bunch is one link.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"
import { leaking, link, onSoftFailure } from "../../src/adaptive/softFailure.js"
import { strayFloor } from "../../src/adaptive/wallDecision.js"
import { prop } from "./prop.js"

const T0 = 1_700_000_000_000
const c = Aimd.defaultConfig(50)

/** On a plateau at 49.5 below an estimated 50, settled, its last wall a bare 503, 8 fibers nearby. */
const plateau = (over: Partial<Aimd.AimdState> = {}): Aimd.AimdState => ({
  ...Aimd.initial(c),
  phase: "steady",
  source: "learned",
  rate: 49.5,
  ceiling: 50,
  softWall: true,
  settledAt: T0,
  rttMs: 3,
  ...over
})

/** Soft failures of requests sent at `T0 + offsets` (ascending), each seen 3 ms later. */
const fail = (s0: Aimd.AimdState, offsets: ReadonlyArray<number>) =>
  offsets.reduce((s, dt) => onSoftFailure(c, s, T0 + dt, T0 + dt + 3), s0)

const ascending = (gap: fc.Arbitrary<number>, n: number) =>
  fc.array(gap, { minLength: 1, maxLength: n }).map((gaps) => gaps.reduce<Array<number>>((acc, g) => [...acc, (acc[acc.length - 1] ?? 0) + g], []))

describe("soft failures that are no wall", () => {
  prop("a bunch sent within 250 ms of its first is one link, whatever its size", [ascending(fc.integer({ min: 0, max: 20 }), 12)], ([offsets]) => {
    const bunch = offsets.filter((t) => t < 250)
    const leak = bunch.reduce<ReturnType<typeof link> | null>((l, t) => link(l, T0 + t), null)
    expect(leak!.run).toBe(0)
    expect(fail(plateau(), bunch).rate).toBe(49.5)
  })

  prop("failures more than 2 s apart never leak", [ascending(fc.integer({ min: 2001, max: 60_000 }), 20)], ([offsets]) => {
    expect(fail(plateau(), offsets).rate).toBe(49.5)
  })

  it("a chain of three 0.25-2 s apart lowers the plateau one margin, and each link after it one more", () => {
    expect(leaking(link(link(link(null, T0), T0 + 1000), T0 + 2000))).toBe(true)
    expect(fail(plateau(), [0, 1000]).rate).toBe(49.5)
    expect(fail(plateau(), [0, 1000, 2000]).rate).toBeCloseTo(49.5 * (1 - c.ceilingMargin), 9)
    expect(fail(plateau(), [0, 1000, 2000, 3000]).rate).toBeCloseTo(49.5 * (1 - c.ceilingMargin) ** 2, 9)
  })

  prop(
    "bounded whatever the failures: never below the stray floor, never above where it was",
    [ascending(fc.integer({ min: 0, max: 3000 }), 200), fc.double({ min: 1, max: 1000, noNaN: true })],
    ([offsets, ceiling]) => {
      const s = fail(plateau({ ceiling, rate: ceiling * 0.99 }), offsets)
      expect(s.rate).toBeGreaterThanOrEqual(strayFloor(c, ceiling) * (1 - 1e-9))
      expect(s.rate).toBeLessThanOrEqual(ceiling * 0.99)
      expect(s.ceiling).toBe(ceiling)
    }
  )

  it("a probe step that meets one ends on the plateau it held, the step its range's top, the next probe twice as late", () => {
    const probing = plateau({ phase: "probe", rate: 54, ceiling: 50, probeStartedAt: T0, probeGapMs: 30_000 })
    const s = onSoftFailure(c, probing, T0 + 100, T0 + 103)
    expect(s.phase).toBe("steady")
    expect(s.rate).toBe(50)
    expect(s.ceilingHigh).toBe(54)
    expect(s.probeGapMs).toBe(60_000)
    // Sent before the step: the plateau's, not the step's.
    expect(onSoftFailure(c, probing, T0 - 100, T0 + 103).phase).toBe("probe")
  })

  it("a plateau a probe's steps reached may leak back to where the probe began, not lower", () => {
    // Steps from 18.2 held a second each up to 22.6; the limit is 20.
    const reached = plateau({ rate: 22.6, ceiling: 22.6, probeFrom: 18.2 })
    const chain = Array.from({ length: 40 }, (_, i) => i * 1000)
    expect(fail(reached, chain).rate).toBeCloseTo(strayFloor(c, 18.2), 9)
    expect(fail(plateau({ probeFrom: 60 }), chain).rate).toBeCloseTo(strayFloor(c, 50), 9)
  })

  it("a step over 10% above the plateau leaves the range below it open: probed again soon, the interval kept", () => {
    const probing = plateau({ phase: "probe", rate: 60, ceiling: 50, probeStartedAt: T0, probeGapMs: 30_000 })
    const s = onSoftFailure(c, probing, T0 + 100, T0 + 103)
    expect(s.rate).toBe(50)
    expect(s.ceilingHigh).toBe(60)
    expect(s.probeAt).toBe(T0 + 103 + c.recoveryMs)
    expect(s.probeGapMs).toBe(30_000)
  })

  it("nothing without a bare-503 wall before, during a pause, or with many requests in flight", () => {
    const chain = [0, 1000, 2000, 3000]
    expect(fail(plateau({ softWall: false }), chain).rate).toBe(49.5)
    expect(fail(plateau({ cooldownUntil: T0 + 10_000 }), chain).rate).toBe(49.5)
    expect(fail(plateau({ rttMs: 400 }), chain).rate).toBe(49.5)
    expect(fail(plateau({ settledAt: T0 + 10_000 }), chain).rate).toBe(49.5)
  })

  it("a malformed chain from a stored state starts afresh", () => {
    const stored = plateau({ softLeak: { at: Number.NaN, run: 5 } })
    expect(onSoftFailure(c, stored, T0, T0 + 3).softLeak).toEqual({ at: T0, run: 0 })
  })
})
