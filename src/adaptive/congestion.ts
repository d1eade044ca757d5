/**
 * Tells congestion from noise among "soft" failures: a backoff status other than 429 that carries no
 * Retry-After (a bare 503). Pure; plain data.
 *
 * A 429, or any backoff status with a Retry-After, is the server saying "slow down". A bare 503 may be
 * that (nginx `limit_req` answers 503 without Retry-After when its rate is exceeded) or a failure
 * unrelated to the rate (a flaky backend), which slowing down does not cure and which belongs to the
 * retry policy and the breaker. Congestion makes the share of such failures climb as soon as the
 * sending rate passes the server's limit; noise keeps it near a constant. So the controller keeps the
 * usual share (`baseline`, an average over about 256 responses, learnt only while the rate holds) and
 * the recent share (over about 32), and a soft failure is a wall only when the recent share is well
 * above the usual one: more than 3 × baseline + 3 points, after at least 32 responses. Once the
 * baseline has learnt that a server has no noise, its first bare 503 is a wall; against 20% random
 * failures (5% of them 503s) the recent share stays ~5 standard deviations below the bar.
 *
 * @since 0.2.0
 */

/**
 * @since 0.2.0
 * @category models
 */
export interface SoftState {
  /** Share of soft failures over about the last `RECENT` responses (exponential average). */
  readonly recent: number
  /** The usual share (exponential average over about `BASELINE` responses, walls excluded). */
  readonly baseline: number
  readonly seen: number
}

/**
 * The usual share assumed before any was measured: until then a soft failure is a wall when the
 * recent share passes 18%.
 */
const INITIAL_BASELINE = 0.05
const RECENT = 32
const BASELINE = 256

/**
 * @since 0.2.0
 * @category constructors
 */
export const initial: SoftState = { recent: 0, baseline: INITIAL_BASELINE, seen: 0 }


/**
 * Record one response (`soft`: a soft failure) and say whether it is a wall. `learn`: the rate is
 * holding (not climbing), so the share now is the usual one.
 *
 * @since 0.2.0
 * @category transitions
 */
export const classify = (s0: SoftState, soft: boolean, learn: boolean): { readonly wall: boolean; readonly state: SoftState } => {
  const x = soft ? 1 : 0
  const seen = s0.seen + 1
  const recent = s0.recent + (x - s0.recent) / RECENT
  const wall = soft && seen >= RECENT && recent > 3 * s0.baseline + 0.03
  // A wall is congestion, not the usual share: learnt, it raised the bar until a pace a few %
  // above the limit went unnoticed (6% 503s after a limit drop, 17-31% with 32 fibers far away).
  const baseline = learn && !wall ? s0.baseline + (x - s0.baseline) / BASELINE : s0.baseline
  return { wall, state: { recent, baseline, seen } }
}
