/**
 * Fits a token bucket `(rate, burst)` to the walls a client met: pure functions of the client's own
 * pace history and the send times of the requests that met a wall.
 *
 * Without rate-limit headers, a wall says only that the server's bucket was empty when that request
 * reached it. Between two walls what the server accepted depends on two unknowns: its rate and how
 * much of a Retry-After pause its bucket could hold (its burst). One interval cannot tell "a low
 * rate with a big bucket" from "a higher rate with a small bucket that lost what it refilled during
 * the pause"; two intervals that start differently (a full bucket at the start of traffic or after a
 * long time paced below the limit, an empty one after a wall and a pause) or last differently can.
 * For each candidate burst the rate that predicts the last wall exactly is found by bisection, and the
 * burst is the one whose rate also predicts the other walls best.
 *
 * @since 0.1.0
 */

/**
 * A pace change: from `at` (epoch ms, send time) the client sends at `pace` rps (0 = paused).
 *
 * @since 0.1.0
 * @category models
 */
export type PacePoint = readonly [at: number, pace: number]

/**
 * The interval between the start of a bucket state the client knows and the request that met the wall.
 *
 * @since 0.1.0
 * @category models
 */
export interface Cycle {
  /** `full`: the server's bucket is assumed full at `from`; `empty`: a wall was met at `from`. */
  readonly start: "full" | "empty"
  readonly from: number
  /** No wall is predicted before this instant (the end of the pause after the wall at `from`). */
  readonly resumeAt: number
  /** Send time of the request that met the wall ending the cycle. */
  readonly wallAt: number
  /** Successes observed in the cycle (absent in an older stored state). */
  readonly accepted?: number | undefined
}

/**
 * When the server's bucket `(rate, burst)` first lacks a token for a request sent at or after
 * `cycle.resumeAt`, given the pace history, or `Infinity` if not before `horizon`. Requests are a
 * fluid at the pace (the limiter resumes at its pace after a pause, without a burst); rejected
 * requests consume nothing.
 *
 * @since 0.1.0
 * @category math
 */
export const predictWall = (
  log: ReadonlyArray<PacePoint>,
  cycle: Cycle,
  rate: number,
  burst: number,
  horizon: number
): number => {
  // Right after a wall the bucket holds less than a token: half of one, on average.
  let tokens = cycle.start === "full" ? burst : 0.5
  let t = cycle.from
  for (let i = 0; i < log.length && t < horizon; i++) {
    // What the client did after the wall was its reaction to it: the pace at the wall goes on.
    const next = i + 1 < log.length && log[i + 1]![0] <= cycle.wallAt ? log[i + 1]![0] : Infinity
    const end = Math.min(horizon, next)
    if (end <= t) continue
    const pace = log[i]![1]
    const net = (rate - pace) / 1000
    if (pace > 0 && t >= cycle.resumeAt && tokens < 1) return t
    if (net >= 0) {
      tokens = Math.min(burst, tokens + net * (end - t))
    } else {
      // Less than a token for a request sent after the pause is the predicted wall (requests are a
      // fluid, but each needs a whole token).
      const from = Math.max(t, cycle.resumeAt)
      const atFrom = tokens + net * (Math.min(from, end) - t)
      if (from < end && pace > 0) {
        const cross = atFrom < 1 ? from : from + (atFrom - 1) / -net
        if (cross < end) return cross
      }
      tokens = Math.max(0, tokens + net * (end - t))
    }
    t = end
  }
  return Infinity
}

/** The rate in [lo, hi] whose predicted wall for `cycle` is at `cycle.wallAt` (higher rate: later wall). */
const rateFor = (log: ReadonlyArray<PacePoint>, cycle: Cycle, burst: number, lo: number, hi: number): number => {
  const horizon = cycle.wallAt + (cycle.wallAt - cycle.from)
  let a = lo, b = hi
  for (let i = 0; i < 40 && b - a > a * 1e-4; i++) {
    const mid = (a + b) / 2
    if (predictWall(log, cycle, mid, burst, horizon) < cycle.wallAt) a = mid
    else b = mid
  }
  return (a + b) / 2
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Fit {
  readonly rate: number
  readonly burst: number
  /** Mean distance between predicted and observed walls, as a share of each cycle's length. */
  readonly error: number
  /** The highest rate of the buckets fitting about as well: the walls cannot rule out `[rate, high]`. */
  readonly high: number
  /** The lowest rate of the buckets fitting about as well: `[low, high]` is what the walls leave open. */
  readonly low: number
}

/**
 * The bucket that explains the cycles' walls best, with its rate in `[lo, hi]`; bursts from 1 request
 * to `maxBurstS` seconds of `hi`. `undefined` with fewer than two cycles (one cannot separate the two
 * unknowns). The best one is kept (the lowest rate among those fitting about as well, the cautious
 * reading, left the client a third below a limit its walls had found, or more); `high` bounds the
 * others. `undefined` too when no burst has a rate above `lo` that predicts the last wall.
 *
 * @since 0.1.0
 * @category math
 */
export const fit = (
  log: ReadonlyArray<PacePoint>,
  cycles: ReadonlyArray<Cycle>,
  lo: number,
  hi: number,
  maxBurstS = 4
): Fit | undefined => {
  if (cycles.length < 2 || !(hi > lo) || !(lo > 0)) return undefined
  const last = cycles[cycles.length - 1]!
  const others = cycles.slice(0, -1)
  const fits: Array<Fit> = []
  const steps = 40
  const maxBurst = Math.max(2, hi * maxBurstS)
  for (let k = 0; k <= steps; k++) {
    const burst = Math.pow(maxBurst, k / steps)
    const rate = rateFor(log, last, burst, lo, hi)
    // At the bottom bound the last wall came no later than even `lo` predicts (say, a request sent
    // as the pause ended): every lower rate explains it too. That is no measurement: taking it
    // resumed at `lo` (minRate) and held it for a probe interval.
    if (rate <= lo * (1 + 1e-3)) continue
    let error = 0
    for (const c of others) {
      const span = Math.max(100, c.wallAt - c.resumeAt)
      const predicted = predictWall(log, c, rate, burst, c.wallAt + span)
      error += Math.min(1, Math.abs(predicted - c.wallAt) / span)
    }
    fits.push({ rate, burst, error: error / others.length, high: rate, low: rate })
  }
  const best = Math.min(...fits.map((f) => f.error))
  if (fits.length === 0 || !Number.isFinite(best)) return undefined
  const close = fits.filter((f) => f.error <= best + 0.05)
  const chosen = fits.find((f) => f.error === best)!
  return { ...chosen, high: Math.max(...close.map((f) => f.rate)), low: Math.min(...close.map((f) => f.rate)) }
}

/**
 * How many seconds of `rate` a bucket of that rate holds when it predicts the wall of `cycle` (a
 * cycle from a full bucket: the start of traffic), by bisection over 1 request to `maxBurstS` seconds
 * of it; `undefined` when no burst in that range does (the rate is not the server's).
 *
 * @since 0.2.0
 * @category math
 */
export const burstSecondsAt = (log: ReadonlyArray<PacePoint>, cycle: Cycle, rate: number, maxBurstS = 4): number | undefined => {
  if (!(rate > 0)) return undefined
  const burst = crossing(cycle, 1, Math.max(2, rate * maxBurstS), (b, horizon) => predictWall(log, cycle, rate, b, horizon))
  return burst === undefined ? undefined : burst / rate
}

/**
 * The rate in `[lo, hi]` of a bucket holding `burstS` seconds of it (less `slackTokens`) that predicts
 * the wall of `cycle` (one cycle, the burst's share of the rate assumed: two unknowns need two cycles
 * otherwise), or `undefined` at either bound (no rate there explains it).
 *
 * @since 0.2.0
 * @category math
 */
export const rateAtBurst = (log: ReadonlyArray<PacePoint>, cycle: Cycle, burstS: number, lo: number, hi: number, slackTokens = 0): number | undefined => {
  if (!(hi > lo && lo > 0 && burstS > 0)) return undefined
  return crossing(cycle, lo, hi, (rate, horizon) => predictWall(log, cycle, rate, Math.max(1, rate * burstS - slackTokens), horizon))
}

/**
 * Where in `[lo, hi]` the wall `wallAt(x)` predicts crosses the cycle's own wall (before it at `lo`,
 * not at `hi`), by bisection to a relative 1e-4; `undefined` when the bounds do not bracket it.
 */
const crossing = (cycle: Cycle, lo: number, hi: number, wallAt: (x: number, horizon: number) => number): number | undefined => {
  const horizon = cycle.wallAt + (cycle.wallAt - cycle.from) + 1
  const at = (x: number) => wallAt(x, horizon)
  if (at(lo) >= cycle.wallAt || at(hi) < cycle.wallAt) return undefined
  let a = lo, b = hi
  for (let i = 0; i < 40 && b - a > a * 1e-4; i++) {
    const mid = (a + b) / 2
    if (at(mid) < cycle.wallAt) a = mid
    else b = mid
  }
  return (a + b) / 2
}
