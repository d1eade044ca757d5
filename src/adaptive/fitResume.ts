/**
 * Where a bucket fit resumes and whether the range its walls leave open is probed soon (pure): the
 * fit's own rate, or a point of its range when the walls cannot tell rate from burst (a flat slow
 * start) or credit less burst than any API grants; and the rate a hold after a ramp past the docs
 * stays under (`slowStartCap`).
 *
 * @since 0.3.0
 */
import type { AimdConfig, AimdState } from "./aimdState.js"
import { type Cycle, type Fit, rateAtBurst } from "./bucketFit.js"
import { paceAt } from "./paceLog.js"

/**
 * The smallest bucket assumed when judging the documented rate and a fit: 0.1 s of its rate (the
 * smallest bursts APIs grant).
 *
 * @since 0.3.0
 * @category constants
 */
export const PRIOR_MIN_BURST_S = 0.1

/** A range the walls leave open above a fit is probed soon when it reaches this far above the fit. */
const OPEN_RANGE = 1.05
/**
 * …and this far above a first fit (its other cycle the slow start's) that credits the server with a
 * burst (at least `CREDITED` × the lower bound). The ramp's wall hardly tells a burst from a rate
 * (bursts of 10 to 40 moved its predicted wall 0.2 s while the rate went 60 -> 41), so such a fit
 * leaves ~10-20% open above it whether it is right or not; probing that 3 s later met the wall, a
 * whole pause, where the fit was right (a 0.2 s bucket, docs understated 5x: 49.9 for 50). A fit too
 * high meets the next wall anyway, fitted with three cycles; one too low waits for the probe
 * interval. Near the lower bound (it credits no burst) the range is probed soon as before: there the
 * fits were far below the limit (37 for 50).
 */
const FIRST_FIT_OPEN_RANGE = 1.2
const CREDITED = 1.3

/**
 * Whether a first fit of `rate` credits the server with a burst over the lower bound `lower` the
 * cycle measured: none measured (0) credits nothing, or any first fit would be trusted.
 *
 * @since 0.2.0
 * @category math
 */
export const creditsBurst = (rate: number, lower: number): boolean => lower > 0 && rate > lower * CREDITED

/**
 * Whether the range `[rate, high]` the walls left open is worth a probe soon (after `recoveryMs`)
 * rather than after the probe interval: `trusted` for a first fit that credits a burst.
 *
 * @since 0.2.0
 * @category decisions
 */
export const probeOpenRangeSoon = (rate: number, high: number, trusted: boolean): boolean =>
  high > rate * (trusted ? FIRST_FIT_OPEN_RANGE : OPEN_RANGE)

/**
 * A first fit whose slow start met its wall paced at `maxRate` (at least `FLAT_CAP` of it: its ramp
 * capped, or nearly, so it drained the bucket at about one pace): that cycle has the hold's shape, so
 * the two walls do not separate rate from burst, and every rate of a range this wide (its top over its bottom) fits them: a 0.5 s
 * bucket of 50, docs understated 5x (maxRate 100), left 36-72 open, the best fit 37 to 63 by noise:
 * a probe's wall, or stray walls stepping down from 60, each a whole pause.
 *
 * 0.8 of it and 1.3 wide (were 0.9 and 1.5): 32 fibers 50-100 ms away the same bucket's slow start
 * met its wall at 89-94 (the pace at the wall's send, a round trip before the answer: under 0.9 by a
 * few rps), already flat, and its hold at 65 left 40-63 open (1.43-1.62): the best fit in that
 * valley (45-60) was the noise of ~10 requests in flight reordered by the delay's spread, a request
 * more or less moving it by a fifth, and a fit 5-15% high met a second wall, one low a probe's. At
 * the middle (48-51) one wall, the hold's: 87.4 -> 90.3% (8 seeds; 100-300 ms away 84.5 -> 87.3, a
 * 1 s bucket 50-100 ms away 91.8 -> 93.8, on the blocked loop 93.5 -> 95.6). A ramp that met its
 * wall lower is no flat cycle: the middle of its range read a 0.2 s bucket, a sliding log, as far
 * below the hold (1-2 ms away, docs understated: 88.1 -> 80.1, 90.1 -> 67.1%, 3 seeds). Cost: a
 * 0.5 s bucket answering HTTP-dates on the blocked loop 99.7 -> 97.1%, cold 99.9 -> 98.5%.
 */
const FLAT_CAP = 0.8
const FLAT_RANGE = 1.3

/**
 * The rate a first fit resumes at when its slow start met its wall flat at `maxRate` (`flat`): the
 * geometric middle of the range the walls leave open when it is wider than `FLAT_RANGE` (its halves
 * alike, neither probed soon), else `undefined` (the best fit). 8 seeds, 8 fibers: 90.0 -> 94.0%.
 *
 * @since 0.3.0
 * @category decisions
 */
export const flatFirstRate = (fit: Pick<Fit, "low" | "high">, flat: boolean): number | undefined =>
  flat && fit.low > 0 && Number.isFinite(fit.high) && fit.high > fit.low * FLAT_RANGE ? Math.sqrt(fit.low * fit.high) : undefined

/**
 * Whether the slow start (the cycle `full`) met its wall paced at `maxRate` (see `FLAT_CAP`).
 *
 * @since 0.3.0
 * @category decisions
 */
export const flatStart = (c: AimdConfig, s: AimdState, full: Cycle | undefined): boolean =>
  full !== undefined && full.start === "full" && paceAt(s, full.wallAt) >= c.maxRate * FLAT_CAP

/**
 * The rate a fit other than the first resumes at when it credits the server with less burst than the
 * smallest APIs grant (`PRIOR_MIN_BURST_S` of its rate): it read jitter as the bucket, and a smaller
 * burst needs a higher rate to explain the same wall (a 0.1 s bucket of 50 fitted 51-54 with 2-3
 * requests, then a probe's wall or stray walls a whole pause each). The geometric middle of the fit
 * and the lowest rate the walls leave open; else `undefined` (the best fit). Docs understated 5x,
 * 16 seeds: 32 fibers 50-100 ms away 79.9 -> 82.1%, 8 fibers 87.0 -> 87.7%.
 *
 * @since 0.3.0
 * @category decisions
 */
export const thinBurstRate = (good: Pick<Fit, "rate" | "burst" | "low">): number | undefined =>
  good.low > 0 && good.burst < good.rate * PRIOR_MIN_BURST_S ? Math.sqrt(good.low * Math.max(good.low, good.rate)) : undefined

/**
 * After the slow start's wall, when its pace doubled past the docs (they understate the limit), with a
 * whole pause and a cycle the fit can use, the hold resumes no higher than the rate of a bucket holding
 * `PRIOR_MIN_BURST_S` of it that explains that wall (`rateAtBurst`, half a margin below): a bigger
 * bucket explains it at a lower rate, so no bucket an API grants runs above it. `wallDecision.ts`'s
 * `RESUME_BELOW_WALL` alone sat about there for a 0.1 s bucket, just above it or just below by chance (51 or 46-49 for
 * 50): above, the hold's wall came 2-3 s later, in the measured window; below, a probe toward the
 * wall's pace met it. For a 0.2 s bucket it held at 60 against 50, and its wall a second later made a
 * cycle about as long as the ramp's drain (0.7 s): the first fit read a request of jitter as 5-25 of the
 * rate (53, 26 pinned), then a stray or a probe's wall. Held at 57 the hold's cycle lasts ~1.4 s and
 * the fit reads it within a few %. The range the walls leave open ends at that rate with `HOLD_TOP_SLACK`
 * tokens less of burst (a request of jitter), not at the wall's pace: a hold proven there is probed a
 * step, not toward a pace no API bucket explains. Docs understated 5x, 8 seeds: 0.1 s bucket 87.2 ->
 * 92.8% (cold 88.6 -> 92.7, blocked 80.2 -> 85.0), 0.2 s 89.6 -> 91.7 (cold 88.7 -> 92.0, 32 fibers
 * 100-300 ms away 79.5 -> 84.1), HTTP-date 0.2 s 93.8 -> 94.5% (cold 95.6 -> 94.3); a 1 s sliding log,
 * misread as a bucket either way, 85.6 -> 83.9% (100-300 ms away 72.1 -> 76.4%).
 */
const HOLD_TOP_SLACK = 1

/**
 * The rate a hold after the slow start's wall stays under, and the top of its open range (`HOLD_TOP_SLACK`).
 *
 * @since 0.3.0
 * @category decisions
 */
export const slowStartCap = (c: AimdConfig, s: AimdState, closed: Cycle, wallPace: number): readonly [number, number] | undefined => {
  const cap = rateAtBurst(s.paceLog, closed, PRIOR_MIN_BURST_S, c.minRate, wallPace)
  const top = rateAtBurst(s.paceLog, closed, PRIOR_MIN_BURST_S, c.minRate, wallPace, HOLD_TOP_SLACK)
  return cap === undefined ? undefined : [cap * (1 - c.ceilingMargin / 2), Math.max(cap, top ?? wallPace)]
}
