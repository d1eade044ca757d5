/**
 * Tells a limiter's bare 503s from random ones by their rhythm (pure; plain data).
 *
 * A pace a little above a limiter that answers 503 (nginx `limit_req`, GCRA) meets it at a steady
 * period once its burst is spent: one request in excess every `1 / (pace − limit)` s (51/s for 50:
 * every ~1 s, traced 940-1040 ms apart, 8 fibers 1-2 ms away). At a share of 2% that is as frequent
 * as noise, and the usual-share test (`softTrial.shouldTry`) cannot tell them apart. Random failures
 * come apart irregularly (geometric): over the last 6 intervals their coefficient of
 * variation was never under 0.2 (5-20% noise against nginx and buckets, 50-100 ms away too, 3 seeds,
 * 20-150 failures a run), a limiter's 0.02-0.05. A stall breaks the rhythm (gaps of 2.4-3.2 periods,
 * not whole ones: the limiter's phase moves), so it is judged over few intervals: over 6, nginx's
 * 503s at 51/s for 50 went from 1.40 to 1.21% of the requests, over 5 (under 10%) 1.13, over 4 0.96
 * (8 seeds, 8 fibers 1-2 ms away, docs overstated). Over 4, noise's went down to 0.11 where the
 * rhythm is judged (a usual share of 5% at most, `softTrial.ts`; 0.05 at 20% noise). Allowing skipped
 * beats (whole periods) did not help (1.16).
 *
 * @since 0.2.0
 */

/**
 * Intervals the rhythm is judged over: four exponential draws have a coefficient of variation under
 * `REGULAR` about once in 1000 (a false trial against noise costs a cut of ~1 s, its verdict noise).
 */
export const INTERVALS = 4
/** The coefficient of variation under which the failures beat at a period. */
const REGULAR = 0.08

/**
 * The last `INTERVALS + 1` failure instants with `t` appended (an earlier `t`, from a shared store's
 * older state or a reordered answer, starts afresh).
 *
 * @since 0.2.0
 * @category transitions
 */
export const beat = (times: ReadonlyArray<number> | undefined, t: number): ReadonlyArray<number> => {
  const xs = times ?? []
  const last = xs[xs.length - 1]
  if (last !== undefined && !(t >= last)) return [t]
  return [...xs, t].slice(-(INTERVALS + 1))
}

/**
 * Whether the failures at `times` beat at a period: `INTERVALS` intervals, each positive, whose
 * coefficient of variation is under `REGULAR`.
 *
 * @since 0.2.0
 * @category decisions
 */
export const regular = (times: ReadonlyArray<number> | undefined): boolean => {
  if (times === undefined || times.length < INTERVALS + 1) return false
  const iv = times.slice(1).map((t, i) => t - times[i]!)
  if (!iv.every((x) => Number.isFinite(x) && x > 0)) return false
  const mean = iv.reduce((a, b) => a + b, 0) / iv.length
  const sd = Math.sqrt(iv.reduce((a, b) => a + (b - mean) ** 2, 0) / iv.length)
  return sd < REGULAR * mean
}
