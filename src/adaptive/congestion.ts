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
  /** The recent share at the last soft wall, until its cure is judged (absent in an older stored state). */
  readonly runUp?: number | null | undefined
  /** Responses since the last soft wall. */
  readonly since?: number | undefined
  /** `seen` at the last soft failure, or `null`. */
  readonly lastSoft?: number | null | undefined
  /** Slowing down cured the last soft wall: these failures are congestion, their usual share none. */
  readonly shown?: boolean | undefined
}

/**
 * The usual share assumed before any was measured: until then a soft failure is a wall when the
 * recent share passes 18%.
 */
const INITIAL_BASELINE = 0.05
const RECENT = 32
const BASELINE = 256
/** A soft wall's cure is judged this many responses after it: the answers in flight and a window at the new pace. */
const CURE_AFTER = 2 * RECENT
/**
 * While the rate holds, a soft failure with none among the previous `LONE` responses is a stall's (a
 * stall bunched arrivals against a small burst, below the limit), not the pace's: a pace above the
 * limit repeats it. Taken for walls, stalls held 32 fibers 50-100 ms away 6% under an nginx limit.
 */
const LONE = 100

/**
 * @since 0.2.0
 * @category constructors
 */
export const initial: SoftState = { recent: 0, baseline: INITIAL_BASELINE, seen: 0, runUp: null, since: 0, lastSoft: null, shown: false }

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
  const lone = learn && (s0.lastSoft === null || s0.lastSoft === undefined || seen - s0.lastSoft > LONE)
  const lastSoft = soft ? seen : s0.lastSoft ?? null
  const wall = soft && seen >= RECENT && !lone && recent > 3 * s0.baseline + 0.03
  if (wall) return { wall, state: { ...s0, recent, seen, lastSoft, runUp: Math.max(s0.runUp ?? 0, recent), since: 0 } }
  const since = (s0.since ?? 0) + 1
  // A wall is congestion, not the usual share: learnt, it raised the bar until a pace a few %
  // above the limit went unnoticed (6% 503s after a limit drop, 17-31% with 32 fibers far away).
  // Once these failures are shown to be congestion, none is the usual share: learnt, a pace 2%
  // above the limit repeating one every 50 responses went unnoticed.
  const shown = s0.shown === true
  const baseline = learn && !shown ? s0.baseline + (x - s0.baseline) / BASELINE : s0.baseline
  const runUp = s0.runUp ?? null
  const next = { recent, baseline, seen, lastSoft, runUp, since, shown }
  if (runUp === null || since < CURE_AFTER) return { wall, state: next }
  // Slowing down halved the share: these failures track the sending rate (congestion), and their
  // usual share is none. Noise would have kept its share: if it did, the usual share is unknown again.
  const cured = recent < runUp / 2
  return { wall, state: { ...next, runUp: null, shown: cured, baseline: cured ? 0 : shown ? INITIAL_BASELINE : baseline } }
}
