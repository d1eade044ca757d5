/**
 * A token bucket whose rate plus burst is what a hold after a slow start sends in its last second:
 * no window quota is read from that one wall (a hold resumed at it runs far above the bucket's rate).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Aimd from "../../src/adaptive/aimd.js"
import { observe } from "../../src/adaptive/observe.js"
import * as Gcra from "../../src/testing/Gcra.js"
import { T0 } from "./wallFixtures.js"

/** One client alone paced at the controller's rate for `secs` against a bucket, whole-second Retry-After. */
const run = (rate: number, burst: number, documented: number, secs = 60) => {
  const c = Aimd.defaultConfig(documented)
  let s = Aimd.initial(c)
  let server = Gcra.make(rate, burst)
  let t = T0
  let admitted = 0
  let walls = 0
  while (t < T0 + secs * 1000) {
    t = Math.max(t, s.cooldownUntil, s.gateUntil ?? 0)
    const [next, d] = Gcra.take(server, t + 1)
    server = next
    const retryAfterMs = d.admitted ? undefined : Math.ceil(d.retryAfterMs / 1000) * 1000
    s = observe(c, s, { status: d.admitted ? 200 : 429, backoff: !d.admitted, retryAfterMs, sentAt: t }, t + 2)
    if (d.admitted) admitted++
    else walls++
    t += 1000 / s.rate
  }
  return { perSecond: admitted / secs, walls }
}

describe("a bucket's hold after a slow start", () => {
  it.each([[30, 15, 6], [20, 15, 10], [10, 10, 5]] as const)(
    "rate %d, burst %d, docs %d: a few walls a minute, the bucket's rate nearly reached",
    (rate, burst, documented) => {
      const r = run(rate, burst, documented)
      // Measured: 3 / 4 / 5 walls, 28.5 / 19.5 / 9.9 per second; a hold resumed at the quota its
      // own wall read met 11 / 10 / 7.
      expect(r.walls).toBeLessThanOrEqual(5)
      expect(r.perSecond).toBeGreaterThanOrEqual(rate * 0.94)
    }
  )
})
