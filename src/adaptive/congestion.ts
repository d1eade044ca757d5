/**
 * Tells congestion from noise among "soft" failures: a backoff status other than 429 that carries no
 * Retry-After (a bare 503). Pure; plain data.
 *
 * A 429, or any backoff status with a Retry-After, is the server saying "slow down". A bare 503 may be
 * that (nginx `limit_req` answers 503 without Retry-After when its rate is exceeded) or a failure
 * unrelated to the rate (a flaky backend), which slowing down does not cure and which belongs to the
 * retry policy and the breaker. Congestion makes the share of such failures climb as soon as the
 * sending rate passes the server's limit, in a run that ends once the pace is cut; noise keeps it
 * near a constant. So the controller keeps the usual share (`baseline`, an average over about 256
 * responses, learnt only while the rate holds and the recent share is calm) and the recent share (over
 * about 32), and a soft failure is a wall only when the recent share is well above the usual one:
 * more than 3 × baseline + 3 points (the bar), after at least 32 responses. Once the baseline has
 * learnt that a server has no noise, its first bare 503 is a wall; against 20% random failures (5% of
 * them 503s) the recent share stays ~5 standard deviations below the bar.
 *
 * A wall acts on the failures that made it: past the cut, the recent share restarts just under the
 * bar, so the next soft failure is a wall only while they keep coming (congestion the cut did not
 * cure), not one met several answers later (noise).
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
export const INITIAL_BASELINE = 0.05
const RECENT = 32
const BASELINE = 256
/** The recent share past which a soft failure is a wall: three times the usual, plus 3 points. */
const barOf = (baseline: number): number => 3 * baseline + 0.03
/**
 * Past a wall's cut the recent share restarts this many failures' weight under the bar: the next
 * failure is a wall within 2 answers. At the bar (within 5) two noise 503s close together after
 * the slow start's wall still cut nginx's rate to half (20% noise, no answer in the first 0.3 s,
 * docs understated: 91.2 -> 70.0%).
 */
const RESTART = 0.5
/**
 * Past a slow start's wall whose cut took the pace to 0.65 of its own or under, or a hold's wall,
 * with a short round trip (`observe.ts`), the restart is this many failures' weight under the bar: the next soft failure
 * is a wall only close behind another. Such a cut leaves the pace under the limit, so one 503 soon
 * after it is noise: read as a wall, two noise 503s 3 answers past the slow start's wall cut nginx's
 * rate 80 -> 50 -> 37 -> 28 (20% noise, no answer in the first 0.3 s, docs right: n 0.70 -> 1.00).
 */
export const DEEP_CUT_RESTART = 1.5
/** How far toward the bar the recent share may be for a soft failure to be learnt as usual. */
const CALM = 0.75

/**
 * @since 0.2.0
 * @category constructors
 */
export const initial: SoftState = { recent: 0, baseline: INITIAL_BASELINE, seen: 0 }


/**
 * Record one response (`soft`: a soft failure) and say whether it is a wall. `learn`: the rate is
 * holding (not climbing), so the share now is the usual one. `afterCut`: sent after the last cut,
 * past the round trip its burst was still arriving in.
 *
 * @since 0.2.0
 * @category transitions
 */
export const classify = (
  s0: SoftState,
  soft: boolean,
  learn: boolean,
  afterCut = true
): { readonly wall: boolean; readonly state: SoftState } => {
  const x = soft ? 1 : 0
  const seen = s0.seen + 1
  const recent = s0.recent + (x - s0.recent) / RECENT
  const bar = barOf(s0.baseline)
  const wall = soft && seen >= RECENT && recent > bar
  // A wall is congestion, not the usual share: learnt, it raised the bar until a pace a few %
  // above the limit went unnoticed (6% 503s after a limit drop, 17-31% with 32 fibers far away).
  // Nor is a failure met while the share climbs toward the bar: learnt meanwhile, the bar rose
  // about as fast as the share after a limit drop at 20% noise (it rises 3 × the baseline; nginx
  // 503s 8.1 -> 4.4% local). Past 3/4 of the way is ~3.6 standard deviations
  // above 5% noise. Successes are learnt always: left out too, a clean server's baseline fell
  // slower after each wall (docs overstated, 32 fibers: 2.3 -> 3.3% 503s).
  const calm = !soft || recent <= s0.baseline + (bar - s0.baseline) * CALM
  const baseline = learn && !wall && calm ? s0.baseline + (x - s0.baseline) / BASELINE : s0.baseline
  // Past the cut, the share the overshoot left is spent: at 20% noise its 503s read against it cut
  // nginx's rate 3 times more after the slow start's wall (85 -> 49.5 -> 21, the run at 52%). The
  // answers of the burst the cut acted on (`Aimd.onBackoff`) keep it: there every 503 is congestion.
  const state = { recent, baseline, seen }
  return { wall, state: wall && afterCut ? restart(state, RESTART) : state }
}

/**
 * The recent share at most `failures` failures' weight under the bar (the bar of the baseline), and
 * not under 0.
 *
 * @since 0.2.0
 * @category transitions
 */
export const restart = (s: SoftState, failures: number): SoftState => ({
  ...s,
  recent: Math.max(0, Math.min(s.recent, barOf(s.baseline) - failures / RECENT))
})
