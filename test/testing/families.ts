/**
 * Shared drivers for the property tests of the server families: run a sequence of arrivals through a
 * pure `take` and record what was admitted.
 */
import fc from "fast-check"
import type { Decision } from "../../src/testing/quota.js"

export interface Run<S> {
  readonly admitted: ReadonlyArray<number>
  readonly rejected: ReadonlyArray<{ readonly at: number; readonly retryAfterMs: number; readonly state: S }>
  readonly states: ReadonlyArray<S>
  /** Per arrival, whether it was admitted. */
  readonly outcomes: ReadonlyArray<boolean>
}

/** Arrival times: an arbitrary epoch base plus non-decreasing gaps (0 gaps are simultaneous requests). */
export const arrivals = (maxGapMs: number, maxLength = 200) =>
  fc.tuple(fc.integer({ min: 0, max: 2_000_000_000_000 }), fc.array(fc.integer({ min: 0, max: maxGapMs }), { minLength: 1, maxLength }))
    .map(([base, gaps]) => {
      let t = base
      return gaps.map((g) => (t += g))
    })

export const drive = <S>(initial: S, take: (s: S, now: number) => readonly [S, Decision], times: ReadonlyArray<number>): Run<S> => {
  let s = initial
  const admitted: Array<number> = []
  const rejected: Array<{ at: number; retryAfterMs: number; state: S }> = []
  const states: Array<S> = []
  const outcomes: Array<boolean> = []
  for (const t of times) {
    const [next, d] = take(s, t)
    if (d.admitted) admitted.push(t)
    else rejected.push({ at: t, retryAfterMs: d.retryAfterMs, state: next })
    s = next
    states.push(next)
    outcomes.push(d.admitted)
  }
  return { admitted, rejected, states, outcomes }
}

/** Admissions in the half-open interval (from, to]. */
export const countIn = (times: ReadonlyArray<number>, from: number, to: number): number =>
  times.filter((t) => t > from && t <= to).length
