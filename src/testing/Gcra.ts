/**
 * A leaky bucket as GCRA (generic cell rate algorithm), the way nginx `limit_req` runs it with
 * `nodelay`: requests drain at `rate` per second, and up to `burst` may arrive at once (nginx's
 * `burst=N` is `burst: N + 1` here: the request itself plus N in excess). A request is admitted
 * when its theoretical arrival time `tat` is at most `(burst - 1) / rate` ahead of now; it then
 * pushes `tat` one interval further. Rejected requests cost nothing (nginx does not count them).
 *
 * In any interval of `t` ms it admits at most `burst + rate × t / 1000` requests. nginx answers a
 * rejection with 503 (`limit_req_status` makes it 429) and no Retry-After. Pure; epoch ms in.
 *
 * @since 0.1.0
 */
import type { Decision, QuotaView } from "./quota.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Gcra {
  /** Requests per second. */
  readonly rate: number
  /** Requests admitted at once from idle (>= 1). */
  readonly burst: number
  /** Theoretical arrival time of the next request, epoch ms. */
  readonly tat: number
}

/**
 * An idle limiter.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (rate: number, burst: number): Gcra => ({ rate, burst, tat: -Infinity })

const interval = (g: Gcra): number => 1000 / g.rate
const tolerance = (g: Gcra): number => (g.burst - 1) * interval(g)
// Absorbs float error when a request arrives exactly on its emission time (epoch ms near 1e12 are
// only exact to ~1e-4 ms).
const EPSILON_MS = 1e-3

/**
 * @since 0.1.0
 * @category math
 */
export const take = (g: Gcra, now: number): readonly [Gcra, Decision] => {
  const tat = Math.max(g.tat, now)
  const ahead = tat - now - tolerance(g)
  if (ahead <= EPSILON_MS) return [{ ...g, tat: tat + interval(g) }, { admitted: true, retryAfterMs: 0 }]
  return [g, { admitted: false, retryAfterMs: ahead }]
}

/**
 * The burst as a quota: what could be sent back to back now, and the time until the bucket is empty.
 *
 * @since 0.1.0
 * @category math
 */
export const view = (g: Gcra, now: number): QuotaView => {
  const queued = Math.max(0, g.tat - now) / interval(g)
  return {
    limit: Math.floor(g.burst),
    remaining: Math.max(0, Math.floor(g.burst - queued + 1e-9)),
    resetMs: Math.max(0, g.tat - now),
    windowS: Math.max(1, Math.round(g.burst / g.rate))
  }
}

/**
 * A new rate and burst at `now`, keeping the requests queued so far (re-timed at the new rate).
 *
 * @since 0.1.0
 * @category math
 */
export const setLimit = (g: Gcra, rate: number, burst: number, now: number): Gcra => {
  const queued = Math.max(0, g.tat - now) / interval(g)
  return { rate, burst, tat: queued === 0 ? g.tat : now + queued * (1000 / rate) }
}
