/**
 * What the controller does when a request meets the wall (pure): which rate to resume at, what it now
 * believes the server's rate is, and whether the documented rate still stands.
 *
 * @since 0.1.0
 */
import type { AimdConfig, AimdState, Phase } from "./aimdState.js"
import { type Cycle, type Fit, fit, predictWall } from "./bucketFit.js"
import { changedRead, JITTER_TOKENS, knownBurstS, storedBurstS } from "./changedRead.js"
import { creditsBurst, flatFirstRate, flatStart, PRIOR_MIN_BURST_S, probeOpenRangeSoon, slowStartCap, thinBurstRate } from "./fitResume.js"
import { paceAt } from "./paceLog.js"
import { rampHold } from "./pause.js"
import * as StallGate from "./stallGate.js"
import { windowRate } from "./windowQuota.js"

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
  /** A stray wall: noise on a plateau, not a bucket running dry (see `plateauWall`). */
  readonly stray: boolean
  /** Probe the range `[ceiling, ceilingHigh]` after `recoveryMs`, not after the probe interval. */
  readonly probeSoon: boolean
  /** The rate comes from a bucket fit. */
  readonly fitted?: boolean
  /**
   * The window quota the walls read (`windowQuota.ts`): `quota` requests per `windowMs`; `armed`
   * false: kept only once a second cycle reads it (see `decideAtWall`).
   */
  readonly window?: { readonly quota: number; readonly windowMs: number; readonly armed?: boolean }
  /** The top of a range a trusted first fit left to the probe interval (see `decideAtWall`). */
  readonly trustedHigh?: number
  /** A plateau cut (`PLATEAU_CUT`): a wall soon after resuming there shows the limit changed (`plateauWall`). */
  readonly cut?: boolean
  /** The range of the bucket's burst in seconds of its rate, read when the limit changed (`changedRead`). */
  readonly burstS?: readonly [number, number]
}

/**
 * A cycle with fewer successes is not fitted: a request more or less (arrivals bunched, a request
 * in flight at the wall) moves the rate it implies by more than the margin.
 */
const FIT_MIN_SUCCESSES = 10
/** A wall this soon after the pause: the rate is far too high. */
const SHORT_SUCCESSES = 5
/** Closed cycles kept for the fit. */
const CYCLES = 3
/** The largest bucket assumed when judging the documented rate: 2 s of it (the smallest: `PRIOR_MIN_BURST_S`). */
const PRIOR_BURST_S = 2
/** A fit is trusted when it predicts the other walls within this share of their cycles. */
const FIT_ERROR = 0.2
/** Where to resume below a wall nothing explains yet: close enough to meet the next wall soon. */
const RESUME_BELOW_WALL = 0.75
/**
 * A wall on a plateau (at or below the estimated rate) from `settledAt` on (a second after the pace
 * resumed at a rate a decision set, a few seconds after a probe reached it) is taken for a stray one:
 * a stall of the server or of the network bunched arrivals. It costs its pause, and the plateau moves
 * one `ceilingMargin` lower, at most `STRAY_STEPS` times; what was learned stands. Unless the next
 * wall comes within `STRAY_CONFIRM_MS` of resuming (the limit changed: what was learned describes
 * another server), or as long after resuming as the stray one (`STRAY_REPEAT`: a bucket running dry
 * at that pace, not noise), or the walls fit a bucket far below the documented rate the plateau
 * stands on (`OVERSTATED`). Sooner than `settledAt`, a wall is evidence about the bucket (the fit).
 */
export const STRAY_CONFIRM_MS = 1000
const STRAY_STEPS = 3
const STRAY_REPEAT = [0.75, 4 / 3] as const
/** A good fit below this share of the documented rate, with a bucket of at most `OVERSTATED_BURST_S`… */
const OVERSTATED = 0.6
/** …seconds of its rate, refutes the docs (many seconds of burst is no bucket: a fixed window, say). */
const OVERSTATED_BURST_S = 3
/**
 * …from a cycle lasting at least this many round trips. Arrivals sent within a round trip reach the
 * server reordered by up to its spread (100-300 ms each way: 400 ms), so a shorter cycle, against a
 * bucket of 0.1 s, reads jitter as a rate: a wall 0.4 s after resuming at the docs' 49.5 was fitted
 * as 21 and refuted them (0.1 s bucket 100-300 ms away, docs right: 65.1 -> 70.1%, 8 seeds). Such a
 * wall moves the plateau at most `PLATEAU_CUT` below its pace.
 */
const REFUTE_MIN_RTTS = 2
/**
 * A wall below an estimated rate (a fit's or the docs', not a probe's guess) that neither changed nor
 * refuted it, with a pause, moves the plateau at most this share below the wall's pace: a bucket fit
 * reads the walls of other shapes (a sliding log meeting jitter) as a far lower rate. Without a pause
 * a wall costs little, and the next one corrects a fit at once. After a whole pause, a wall soon after resuming
 * on the cut is a limit change (`plateauWall`; a 0.1 s bucket 100-300 ms away dropped to 20: 8.37 -> 5.72% 429s).
 */
const PLATEAU_CUT = 0.1
/**
 * A fit within `PINNED[0]` of the lower bound (what the server accepted since the last wall) and
 * below `PINNED[1]` of the pace of a wall met while holding is no measurement: the walls were a stall
 * meeting a small bucket, or a window the bucket model misreads, and every rate up to where the hold
 * resumed explains them as well. Taken as is, the pace sat there for the probe interval (32 fibers
 * 50-100 ms away, a 0.1 s bucket with the docs understated: 37% of the limit); the range up to
 * `RESUME_BELOW_WALL` of the wall's pace is probed soon instead. Within 1.25 of the bound, a 0.2 s
 * bucket answering HTTP-dates there got 77% with the docs overstated, 80% within 1.5; a fit above half
 * the wall's pace is a measurement (a 1 s bucket 100-300 ms away: probed, 95 -> 92%). When the fit's
 * other cycle is the slow start's (the first wall), the pinned fit is dropped, not probed from: the
 * client holds `RESUME_BELOW_WALL` below this wall, as with no fit, and fits the next wall with three
 * cycles (docs understated 5x, 8 fibers: a 0.2 s bucket 82.6 -> 85.9%, HTTP-date 0.5 s 75.7 -> 82.4%;
 * the probe's steps from the fit spent seconds far below the limit). After a limit change the fit
 * stands (re-learning a drop met one wall more: a 0.5 s bucket 32 fibers away 89.8 -> 86.6%). Not
 * when that slow start was flat (`flatMid` in `decideInner`): it resumes at its range's middle.
 */
const PINNED = [1.5, 0.5] as const
/**
 * …and below this share of the wall's pace when the slow start met its wall at the docs' pace, never
 * raising it: the load, not the pace, was ramping (the demo's pages one at a time, then its items),
 * and the pace log, corrected only where it says twice what was sent, overstated the sends before
 * that wall (26 said, 16 accepted). Against it a hold cycle of ~25 requests, 10% above the limit,
 * reads as a far smaller rate with a bigger bucket (the demo 5-100 or 20-150 ms away, seeds 1-16, with and
 * without event-loop lag: plateaus of 14.8-16.4 for 25 -> at least 19.7). Not after a ramp above the
 * docs: there such fits were measurements (a 2 s bucket, docs understated, 96.5 -> 93.6% at 0.7).
 */
const PINNED_AT_DOCS = 0.7
/**
 * A plateau cut (`PLATEAU_CUT`) below a wall paused shorter than this (a precise Retry-After) leaves
 * the range up to the wall open, probed soon: held for the probe interval, the cut sat up to 10% below
 * the limit (a 0.2 s bucket, docs overstated 92.8 -> 96.8%, understated 95.9 -> 97.9%). After
 * whole-second pauses each probe's wall costs more than the cut (a 0.1 s bucket's drop 80.3 -> 79.3%).
 */
const CHEAP_PAUSE_MS = 500
/**
 * A first fit (its other cycle the slow start's) of the wall that refuted the docs' hold, whose rates
 * fitting about as well span more than this ratio, is dropped as a pinned one is: the client holds
 * `RESUME_BELOW_WALL` below this wall and fits the next with three cycles. Both cycles began with a
 * full bucket (the hold resumed after a whole pause) at about the same pace and lasted about as long
 * (0.38 and 0.5 s against a 0.5 s bucket of 50, docs overstated 2x), so a request more or less moves
 * the rate by a fifth: fitted 47-56 with ranges from 38 to 54-68; the probe of the range held each
 * step 1 s, too short to drain a bucket of 25, and settled at 52-57, whose wall came in the measured
 * window (local, 8 seeds: 96.1 -> 98.1%). A 1 s bucket's two cycles (0.7 and 1 s) span 1.10-1.12 and
 * fit within a few %: dropped, 97.9 -> 94.5%. Only after a whole second's pause or less: the hold's
 * wall costs another, and HTTP-dates' 1.5-2 s pauses cost more than the misfit (0.5 s bucket, 92.5 -> 87.2%).
 * Not when the two cycles read as a window quota (`windowRate`: the same count): a 1 s sliding log's
 * walls are the window reading's (dropped there, docs overstated: 96.1 -> 94.5%, 8 seeds).
 */
const WIDE_FIRST = 1.3
const WIDE_FIRST_PAUSE_MS = 1000
/**
 * Where to resume after the slow start's wall when it came before the pace doubled the documented
 * rate (the docs overstate the limit, by how much nothing says yet), paused at least
 * `CHEAP_PAUSE_MS`, with a cycle the fit can use. `RESUME_BELOW_WALL` below it (1.5 × the limit
 * when the docs overstate it 2×), the next wall came within half a second: a cycle so short that a
 * request more or less on its way moved the fit by a fifth (64, 58 or 35 for a 0.2 s bucket of 50,
 * 32 fibers 50-100 ms away), and each misfit cost a wall or a plateau far below. From here the next
 * cycle lasts seconds and the fit reads it within a few %, or no wall comes and the range up to the
 * wall is probed. A slow start that ramped far above the docs overshoots a bucket of 0.1 s by
 * about a third (its rate is ~0.73 of the wall's pace): resuming this low there sat below it.
 */
const RESUME_BELOW_DOCS = 0.55
/**
 * Where to resume below a 429 that cost no pause (no Retry-After) met with fewer than
 * `CHEAP_IN_FLIGHT` requests in flight, unless holding below another wall already: another wall
 * costs a request, a quarter below cost 3 s far under the limit (nginx 429, 8 fibers, docs overstated
 * 2x: 93.9 -> 98.1%, 8 seeds). With more in flight, each wall costs them all (a limit drop 32 fibers
 * 50-100 ms away: 2.8 -> 5.1% 429s at 10% below). Not after a bare 503: several are needed to tell it
 * from noise, and 10% below the last one a pace above the limit went on unnoticed.
 */
const RESUME_BELOW_CHEAP_WALL = 0.9
const CHEAP_IN_FLIGHT = 2
/**
 * Where to resume when the limit changed and the next wall came at once (the rate is far too high),
 * or within `DROP_CYCLE_MS` of a whole pause with few requests in flight: then each wall costs every
 * sharer a second, more than time below the limit, and the short cycle (from the full bucket the
 * pause left) is kept for the fit, which the next, several times longer at half the pace, makes
 * well-posed. Stepping down by `RESUME_BELOW_WALL` met two more walls (a 0.2 s bucket dropped
 * 50 -> 20, 8 fibers: 89.0 -> 91.8%; HTTP-date 80.6 -> 87.1%, 8 seeds). Later than that, the plateau
 * was far above a limit that had not changed (docs overstated 2x, a 0.5 s bucket answering
 * HTTP-dates, 0.7 s in): half its pace sat below the limit until a probe's wall (90.6 -> 90.2%).
 */
const RESUME_BELOW_SHORT = 0.5
const DROP_CYCLE_MS = 500
/**
 * A wall met while holding, with answers the server held together (`stallGate.ts`), whose fit reads the
 * server's rate below this share of the hold's pace, is taken for a stall's: the hold goes on a margin
 * lower and the fit keeps its cycles. Near the limit a bucket of 0.1 s drains by a few tokens a second,
 * so a stall that bunched 2-3 requests cut the cycle short and the fit read a big bucket at a low rate
 * (the blocked loop, docs understated 5x: a hold at 45 below a limit of 50 fitted 26 and 33, 8 seeds
 * 77.8 -> 80.2%). Within this share the fit is a measurement: a hold at 56 fitted 48 (at 0.95, docs
 * overstated 81.6 -> 79.3%, understated 1-2 ms away 87.2 -> 86.4%). Once: the next wall is evidence.
 * Only after `STALL_HOLD_MS` of holding: a hold above the limit meets its wall sooner (a 1 s sliding log
 * of 50, the hold at 60 fitted 47.9 and, held on, met the next wall at once: docs overstated 89.4 -> 87.7%).
 */
const STALL_FIT = 0.8
const STALL_HOLD_MS = 1000
/** Longest interval between two probes above a plateau. */
export const MAX_PROBE_GAP_MS = 300_000

/**
 * The interval before the next probe after one that met the wall: twice the last.
 *
 * @since 0.2.0
 * @category decisions
 */
export const failedProbeGap = (s: AimdState): number => Math.min(MAX_PROBE_GAP_MS, s.probeGapMs * 2)

/** The plateau's lowest stray step: the lowest rate stray walls move a plateau at `ceiling` to. */
const strayFloor = (c: AimdConfig, ceiling: number): number => ceiling * (1 - c.ceilingMargin * (STRAY_STEPS + 0.5))

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
 * What a wall on the plateau (phase `steady`, at or below the estimated rate) says: `stray` (noise),
 * `changed` (right after a stray one: the limit changed) or `evidence` (about the bucket).
 * `undefined` for any other wall.
 *
 * @since 0.2.0
 * @category decisions
 */
export const plateauWall = (c: AimdConfig, s: AimdState, wallAt: number, wallPace: number): "stray" | "changed" | "evidence" | undefined => {
  if (s.phase !== "steady" || s.ceiling === null || wallPace > s.ceiling) return undefined
  const quiet = s.cycle === null ? 0 : wallAt - s.cycle.resumeAt
  const last = s.stray !== null && s.cycle?.from === s.stray.at ? s.stray : null
  if (last !== null && quiet < STRAY_CONFIRM_MS) return "changed"
  const repeated = last !== null && last.cut !== true && quiet >= last.quietMs * STRAY_REPEAT[0] && quiet <= last.quietMs * STRAY_REPEAT[1]
  // The plateau's lowest stray step: a wall there is no longer taken for noise.
  const floor = strayFloor(c, s.ceiling)
  return wallAt >= s.settledAt && !repeated && s.rate > floor * 1.001 ? "stray" : "evidence"
}

/**
 * A stray wall: a step below the plateau, kept with its range (the docs' too); to just under `refitHigh` (the highest rate fitting
 * the walls, this one's cycle with them) if lower, never below `strayFloor`: a fit 5-10% high met a stray wall every few seconds (0.2 s bucket, docs
 * understated, 8 fibers: 86.6 -> 88.1%; 0.5 s, drop: 93.8 -> 95.1). Not the best fit: 100-300 ms away a 0.1 s bucket's jitter read 47.
 */
const strayDecision = (c: AimdConfig, s: AimdState, cycles: ReadonlyArray<Cycle>, probeGapMs: number, refitHigh = Infinity): Decision => ({
  rate: Math.max(strayFloor(c, s.ceiling!), Math.min(s.rate * (1 - c.ceilingMargin), refitHigh * (1 - c.ceilingMargin / 2))),
  phase: "steady", ceiling: s.ceiling, ceilingHigh: s.ceilingHigh, priorValid: s.priorValid,
  // Kept for the fit, should the next wall show it was no noise.
  cycles, probeGapMs, stray: true, probeSoon: false
})

/**
 * Resume at the best fit; if the walls leave a wide range open, probe it soon. Any fit made while
 * holding (not only the first) below where the hold would go on without it leaves the range up to
 * there open: 100-300 ms away a first fit read a 0.5 s bucket of 50 as 43 and held it 30 s; on a
 * blocked loop two short hold cycles (0.19 and 0.38 s) read a 0.1 s bucket as 36 and held it (docs
 * overstated, 8 seeds: 81.6 -> 82.3%, 0.5 s HTTP-date 100-300 ms away with a drop 94.8 -> 96.9%).
 */
const fittedDecision = (
  c: AimdConfig,
  base: Omit<Decision, "rate" | "phase" | "ceiling" | "ceilingHigh">,
  good: Fit,
  at: { readonly least: number; readonly pauseMs: number; readonly pinned: boolean; readonly first: boolean; readonly lower: number; readonly wallPace: number; readonly flat: boolean; readonly hold: boolean }
): Decision => {
  const mid = at.first ? flatFirstRate(good, at.flat) : thinBurstRate(good)
  const rate = Math.max(at.least, (mid ?? good.rate) * (1 - c.ceilingMargin / 2))
  const cut = rate === at.least && at.pauseMs < CHEAP_PAUSE_MS
  const high = at.hold ? Math.max(good.high, at.wallPace * RESUME_BELOW_WALL) : cut ? Math.max(good.high, at.wallPace) : good.high
  const trusted = at.first && !at.pinned && creditsBurst(good.rate, at.lower)
  const wide = mid === undefined && probeOpenRangeSoon(cut ? rate : good.rate, high, trusted)
  const trustedHigh = !wide && mid === undefined && probeOpenRangeSoon(cut ? rate : good.rate, high, false) ? { trustedHigh: high } : {}
  return { ...base, rate, phase: "steady", ceiling: rate / (1 - c.ceilingMargin / 2), ceilingHigh: wide ? high : null, probeSoon: wide, fitted: true, ...trustedHigh }
}

/** The decision at a wall from the bucket fit, the docs and the plateau (`decideAtWall` adds the window reading). */
export const decideInner = (
  c: AimdConfig,
  s: AimdState,
  now: number,
  wallAt: number,
  wallPace: number,
  pauseMs: number,
  soft: boolean
): Decision => {
  const d = c.initialRate
  const closed = s.cycle === null ? undefined : { ...s.cycle, wallAt, accepted: s.cycleAccepted ?? s.successesSinceDecrease }
  // A ramp's hold (`rampHold`) that met a wall within a round trip, far away: its cycle met the ramp's
  // answers still arriving, not an empty bucket. Fitted, it read the hold's pace (74.7 for 50).
  const rtt = s.rttMs ?? 0
  const shadowed = closed?.start === "empty" && rampHold(s, d) && closed.wallAt - closed.resumeAt < rtt
  const few = s.successesSinceDecrease < FIT_MIN_SUCCESSES || shadowed
  const withClosed = closed === undefined || few ? s.cycles : [...s.cycles, closed].slice(-CYCLES)
  const elapsed = s.lastDecreaseAt === null ? 0 : now - s.lastDecreaseAt
  // Since the last wall (an empty bucket) the server accepted at most its rate: a lower bound.
  const lower = s.cycle?.start === "empty" && elapsed >= 500 ? (s.successesSinceDecrease * 1000) / elapsed : 0
  const probeGapMs = s.phase === "probe" ? failedProbeGap(s) : s.probeGapMs
  const fitted = lower < wallPace && !few ? fit(s.paceLog, withClosed, Math.max(c.minRate, lower), wallPace) : undefined
  const good = fitted !== undefined && fitted.error <= FIT_ERROR ? fitted : undefined
  const measured = closed !== undefined && closed.wallAt - closed.resumeAt >= REFUTE_MIN_RTTS * (s.rttMs ?? 0)
  const refuted = s.priorValid && measured && good !== undefined && good.rate < d * OVERSTATED && good.burst <= good.rate * OVERSTATED_BURST_S
  const verdict = plateauWall(c, s, wallAt, wallPace)
  // A wall while holding that came with a stall (see `STALL_FIT`).
  const stallHold = s.phase === "hold" && !few && closed !== undefined && closed.wallAt - closed.resumeAt >= STALL_HOLD_MS &&
    good !== undefined && good.rate < wallPace * STALL_FIT && StallGate.together(s.heldAt, now) &&
    !(s.stray !== null && s.cycle?.from === s.stray.at)
  if (stallHold) return { cycles: s.cycles, priorValid: s.priorValid, probeGapMs, stray: true, probeSoon: false, rate: wallPace * (1 - c.ceilingMargin), phase: "hold", ceiling: s.ceiling, ceilingHigh: s.ceilingHigh }
  if (verdict === "stray" && !refuted) return strayDecision(c, s, withClosed, probeGapMs, good?.high)
  // Right after a stray wall, another: the limit changed. Start over from the stray wall.
  const changed = verdict === "changed"
  // A wall right after the last one, with hardly anything accepted in between: the rate is far too high.
  const short = s.cycle?.start === "empty" && s.successesSinceDecrease < SHORT_SUCCESSES
  // A limit change met soon after a whole pause, few requests in flight (see `RESUME_BELOW_SHORT`).
  const soon = closed !== undefined && closed.wallAt - closed.resumeAt < DROP_CYCLE_MS
  const drop = changed && soon && pauseMs >= CHEAP_PAUSE_MS && ((s.rttMs ?? 0) * wallPace) / 1000 < CHEAP_IN_FLIGHT
  const cycles = changed ? (closed === undefined || (few && !drop) ? [] : [closed]) : withClosed
  const priorValid = s.priorValid && !changed && wallPace > d && lower <= d * 1.02 && !refutesPrior(s, closed, d)
  const burstS = changed ? knownBurstS(s, s.ceiling ?? d) : storedBurstS(s)
  const base = { cycles, priorValid, probeGapMs, stray: false, probeSoon: false, ...(burstS === undefined ? {} : { burstS }) }
  if (priorValid) return { ...base, rate: d * (1 - c.ceilingMargin / 2), phase: "steady", ceiling: d, ceilingHigh: null }
  const estimated = verdict === "evidence" && !refuted && pauseMs > 0 && s.rate < s.ceiling! * (1 - c.ceilingMargin / 4)
  const least = estimated ? wallPace * (1 - PLATEAU_CUT) : 0
  // Pinned to the lower bound far below a wall met while holding: no measurement (see `PINNED`).
  // Its other cycle the slow start's: the first fit, of two cycles, one of them short.
  const first = s.phase === "hold" && s.cycles[s.cycles.length - 1]?.start === "full"
  const atDocs = first && s.lastDecreaseRate !== null && s.lastDecreaseRate <= d * 1.01
  const pinned = good !== undefined && s.phase === "hold" && good.rate <= lower * PINNED[0] && good.rate < wallPace * (atDocs ? PINNED_AT_DOCS : PINNED[1])
  // Pinned against the slow start: no fit at all, the hold goes on below this wall (unless flat: `flatMid`).
  // The docs' hold refuted by a first fit whose range is no measurement: also dropped (see `WIDE_FIRST`).
  const prev = s.cycles[0]
  const docsFirst = refuted && s.cycles.length === 1 && prev!.start === "full" && closed !== undefined &&
    windowRate(prev!, closed, paceAt(s, prev!.wallAt), wallPace, undefined, ((now - wallAt) * wallPace) / 1000) === undefined
  const vague = good !== undefined && good.high > good.low * WIDE_FIRST && pauseMs <= WIDE_FIRST_PAUSE_MS
  // A flat slow start's first fit resumes at its range's middle (`flatFirstRate`), pinned or not: both
  // ends of that range are noise (a 0.5 s bucket, docs understated 5x, pinned at 35-37 of 50: held at
  // 56 and probed, a wall more; cold 92.9 -> 95.1%, local 93.5 -> 94.2%, 3 seeds).
  const flat = first && flatStart(c, s, s.cycles[s.cycles.length - 1])
  const flatMid = good !== undefined && flatFirstRate(good, flat) !== undefined
  const unfitted = (pinned && first && !flatMid) || (docsFirst && vague)
  // Only against whole pauses: without one a wall costs a request, and the walls' fit reads better.
  // Not over the walls' fit, when there is one (two cycles read better than one and a burst assumed).
  const reading = verdict === "stray" || pauseMs < CHEAP_PAUSE_MS || (good !== undefined && !changed && !unfitted) ? undefined : changedRead(c, s, closed, changed, burstS, lower, wallPace)
  const read = reading?.agreed
  if (read !== undefined) return { ...base, cycles: changed ? [closed!] : withClosed, rate: read * (1 - c.ceilingMargin / 2), phase: "steady", ceiling: read, ceilingHigh: null, fitted: true }
  if (good !== undefined && !changed && !unfitted) return fittedDecision(c, base, good, { least, pauseMs, pinned, first, lower, wallPace, hold: s.phase === "hold", flat })
  if (estimated) return { ...base, cut: pauseMs >= CHEAP_PAUSE_MS, rate: least, phase: "steady", ceiling: least / (1 - c.ceilingMargin / 2), ...(pauseMs < CHEAP_PAUSE_MS ? { ceilingHigh: wallPace, probeSoon: true } : { ceilingHigh: null }) }
  const overstated = s.phase === "slow-start" && wallPace < d * 2 && !few && pauseMs >= CHEAP_PAUSE_MS
  const cheap = pauseMs === 0 && !soft && s.phase !== "hold" && ((s.rttMs ?? 0) * wallPace) / 1000 < CHEAP_IN_FLIGHT
  const factor = (changed && short) || drop ? RESUME_BELOW_SHORT : overstated ? RESUME_BELOW_DOCS : cheap ? RESUME_BELOW_CHEAP_WALL : RESUME_BELOW_WALL
  // After a ramp past the docs, no higher than a bucket an API grants explains (see `HOLD_TOP_SLACK`).
  const ramped = s.phase === "slow-start" && factor === RESUME_BELOW_WALL && closed?.start === "full" && !few && wallPace >= d * 2 && pauseMs >= CHEAP_PAUSE_MS
  const capped = ramped ? slowStartCap(c, s, closed!, wallPace) : undefined
  const below = Math.min(wallPace * factor, capped?.[0] ?? Infinity)
  const resume = s.phase === "probe" && s.ceiling !== null ? Math.min(s.ceiling, below) : below
  const rate = Math.max(lower, reading?.atBurst === undefined ? resume : Math.min(resume, reading.atBurst))
  // A probe's bare 503 wall leaves no range to probe soon: that probe's step met the limiter 4-5 503s
  // in (not at the first, as a 429), and a range probed again a hold later met it as dear, every ~5 s
  // (nginx, 32 fibers 50-100 ms away, docs overstated, 8 seeds: 98.5 / 2.12 -> 96.7 / 1.22% 503s).
  const open = wallPace > rate && !(soft && s.phase === "probe")
  return { ...base, rate, phase: "hold", ceiling: changed ? null : s.ceiling, ceilingHigh: open ? Math.min(wallPace, capped?.[1] ?? wallPace) : null }
}
