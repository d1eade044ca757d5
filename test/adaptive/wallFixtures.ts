/** What the wall-decision tests share: a plateau reached from the docs, successes paced on it. */
import fc from "fast-check"
import * as Aimd from "../../src/adaptive/aimd.js"

export const T0 = 1_700_000_000_000

/** Successes paced at the state's rate (sent 2 ms before each answer) from `from` to `to`. */
export const succeed = (c: Aimd.AimdConfig, s0: Aimd.AimdState, from: number, to: number) => {
  let s = s0
  let t = Math.max(from, s.cooldownUntil)
  while (t < to) {
    s = Aimd.onSuccess(c, s, t, { sentAt: t - 2 })
    t += 1000 / s.rate
  }
  return { s, t }
}

/**
 * Slow start from the documented rate, a wall after 0.6 s (a bucket of 0.14 s of the rate explains it),
 * then 5 s on the plateau the wall left. Probes start 30 s after it: the cases stay within.
 */
export const onPlateau = (c: Aimd.AimdConfig, retryAfterMs: number) => {
  const start = succeed(c, Aimd.initial(c), T0, T0 + 600)
  const walled = Aimd.onBackoff(c, start.s, start.t, { sentAt: start.t - 2, retryAfterMs })
  return succeed(c, walled, walled.cooldownUntil, walled.cooldownUntil + 5000)
}

export const docs = fc.double({ min: 5, max: 500, noNaN: true })
export const retryAfter = fc.integer({ min: 1000, max: 5000 })
