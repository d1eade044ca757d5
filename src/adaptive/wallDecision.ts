/**
 * What the controller does when a request meets the wall (pure): which rate to resume at, what it now
 * believes the server's rate is, and whether the documented rate still stands.
 *
 * @since 0.1.0
 */
import type { AimdConfig, AimdState, Phase } from "./aimd.js"
import { type Cycle, fit, predictWall } from "./bucketFit.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Decision {
  readonly rate: number
  readonly phase: Phase
  readonly ceiling: number | null
  readonly ceilingHigh: number | null
  readonly priorValid: boolean
  readonly cycles: ReadonlyArray<Cycle>
  readonly probeGapMs: number
}

/** A cycle with fewer successes is not fitted. */
const MIN_CYCLE_SUCCESSES = 5
/** Closed cycles kept for the fit. */
const CYCLES = 3
/** The largest bucket assumed when judging the documented rate: 2 s of it. */
const PRIOR_BURST_S = 2
/** …and the smallest: 0.1 s of it (the smallest bursts APIs grant). */
const PRIOR_MIN_BURST_S = 0.1
/**
 * Requests that may reach the server together although sent apart (network jitter, a catch-up after
 * a late timer): near the wall the bucket drains by the pace's small excess over the rate, so a few
 * requests bunched are a wall a long time early or late. The prior is judged with this slack.
 */
const JITTER_TOKENS = 3
/** A fit is trusted when it predicts the other walls within this share of their cycles. */
const FIT_ERROR = 0.2
/** Where to resume below a wall nothing explains yet: close enough to meet the next wall soon. */
const RESUME_BELOW_WALL = 0.75
/** A wall met this long after the last one, on the plateau, means the limit changed. */
const CHANGED_AFTER_MS = 10_000
/** Longest interval between two probes above a plateau. */
const MAX_PROBE_GAP_MS = 300_000

/**
 * The documented rate `d` cannot explain a cycle that started with a full bucket: no bucket of 1
 * request to `PRIOR_BURST_S` of it would have run dry when the wall was met.
 */
const refutesPrior = (s: AimdState, cycle: Cycle | undefined, d: number): boolean => {
  if (cycle === undefined || cycle.start !== "full") return false
  const tolerance = Math.max(50, (cycle.wallAt - cycle.resumeAt) * 0.1)
  // Even a bucket of PRIOR_BURST_S of it would have run dry well before the wall…
  const big = predictWall(s.paceLog, cycle, d, Math.max(1, d * PRIOR_BURST_S + JITTER_TOKENS), cycle.wallAt + 1)
  // …or even the smallest would have lasted well past it.
  const small = predictWall(s.paceLog, cycle, d, Math.max(1, d * PRIOR_MIN_BURST_S - JITTER_TOKENS), cycle.wallAt + tolerance + 1)
  return big < cycle.wallAt - tolerance || small > cycle.wallAt + tolerance
}

/**
 * The decision for a wall met by a request sent at `wallAt`, paced at `wallPace`, observed at `now`.
 *
 * @since 0.1.0
 * @category transitions
 */
export const decideAtWall = (c: AimdConfig, s: AimdState, now: number, wallAt: number, wallPace: number): Decision => {
  const closed = s.cycle === null ? undefined : { ...s.cycle, wallAt }
  // A wall met after a long time on the plateau, without probing: the limit changed. What was
  // learned before describes another server: start over from this wall.
  const changed = s.phase === "steady" && s.ceiling !== null && now - (s.lastDecreaseAt ?? now) > CHANGED_AFTER_MS
  // A wall right after the last one, with hardly anything accepted in between, tells nothing a fit
  // could use: the rate is still far too high.
  const short = s.cycle?.start === "empty" && s.successesSinceDecrease < MIN_CYCLE_SUCCESSES
  const cycles = changed ? [] : closed === undefined || short ? s.cycles : [...s.cycles, closed].slice(-CYCLES)
  const elapsed = s.lastDecreaseAt === null ? 0 : now - s.lastDecreaseAt
  // Since the last wall (an empty bucket) the server accepted at most its rate: a lower bound.
  const lower = s.cycle?.start === "empty" && elapsed >= 500 ? (s.successesSinceDecrease * 1000) / elapsed : 0
  const d = c.initialRate
  const priorValid = s.priorValid && wallPace > d && lower <= d * 1.02 && !refutesPrior(s, closed, d)
  const probeGapMs = s.phase === "probe" ? Math.min(MAX_PROBE_GAP_MS, s.probeGapMs * 2) : s.probeGapMs
  const base = { cycles, priorValid, probeGapMs }
  if (priorValid) return { ...base, rate: d * (1 - c.ceilingMargin / 2), phase: "steady", ceiling: d, ceilingHigh: null }
  const f = lower < wallPace && !short ? fit(s.paceLog, cycles, Math.max(c.minRate, lower), wallPace) : undefined
  if (f !== undefined && f.error <= FIT_ERROR) {
    // Resume at the cautious end of what the walls allow; if that is a wide range, probe it soon.
    const wide = f.high > f.rate * 1.05
    return {
      ...base,
      rate: f.rate * (1 - c.ceilingMargin / 2),
      phase: "steady",
      ceiling: f.rate,
      ceilingHigh: wide ? f.high : null,
      probeGapMs: wide ? c.recoveryMs : probeGapMs
    }
  }
  const below = wallPace * RESUME_BELOW_WALL
  const resume = s.phase === "probe" && s.ceiling !== null ? Math.min(s.ceiling, below) : below
  return { ...base, rate: Math.max(lower, resume), phase: "hold", ceiling: s.ceiling, ceilingHigh: null }
}
