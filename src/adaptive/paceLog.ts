/**
 * The pace log of a key (pure): the pace changes by send time, which the bucket fit replays.
 *
 * @since 0.2.0
 */
import type { AimdState } from "./aimd.js"
import type { PacePoint } from "./bucketFit.js"

/** Pace points kept; older ones are merged away (the fit needs only the kept cycles). */
const PACE_POINTS = 64

/**
 * `s` with its pace set to `rate` from `at` on, recorded in the pace log (changes under 1% are not).
 *
 * @since 0.1.0
 * @category utils
 */
export const withPace = (s: AimdState, rate: number, at: number): AimdState => {
  const log = s.paceLog
  const last = log[log.length - 1]
  if (last !== undefined && Math.abs(last[1] - rate) <= last[1] * 0.01 && last[1] > 0 && rate > 0) {
    return { ...s, rate }
  }
  const next = last !== undefined && last[0] >= at ? [...log.slice(0, -1), [at, rate] as const] : [...log, [at, rate] as const]
  const from = Math.min(s.cycle?.from ?? at, ...s.cycles.map((c) => c.from))
  // Drop points older than what the cycles need (keeping the one in force at their start).
  let k = 0
  while (k + 1 < next.length && next[k + 1]![0] <= from) k++
  return { ...s, rate, paceLog: merged(next.slice(k)) }
}

/** At most `PACE_POINTS`: the two neighbouring paces closest to each other are merged (time-weighted). */
const merged = (log: Array<PacePoint>): Array<PacePoint> => {
  while (log.length > PACE_POINTS) {
    let k = 0
    let best = Infinity
    for (let i = 0; i + 2 < log.length; i++) {
      const [a, b] = [log[i]![1], log[i + 1]![1]]
      const d = a === 0 || b === 0 ? Infinity : Math.abs(a - b) / Math.max(a, b)
      if (d < best) (best = d), (k = i)
    }
    if (best === Infinity) return log.slice(-PACE_POINTS)
    const [a, b, c] = [log[k]!, log[k + 1]!, log[k + 2]!]
    const pace = (a[1] * (b[0] - a[0]) + b[1] * (c[0] - b[0])) / (c[0] - a[0])
    log.splice(k, 2, [a[0], pace])
  }
  return log
}

/** The pace in force at send time `at`. */
export const paceAt = (s: AimdState, at: number): number => {
  for (let i = s.paceLog.length - 1; i >= 0; i--) if (s.paceLog[i]![0] <= at && s.paceLog[i]![1] > 0) return s.paceLog[i]![1]
  return s.rate
}

