/**
 * A cut that tells a limiter's bare 503s from noise by their answer to the pace (pure; plain data).
 *
 * After a bare-503 wall (`congestion.ts`) the pace may still sit a few % above a limiter that answers
 * 503 (nginx `limit_req`): its 503s go on at a share (8-12%) under the bar a wall needs, as random
 * failures would, and the frequency alone cannot tell them apart. Their answer to the pace can: a
 * limiter's share is about `1 − limit / pace`, and a pace under the limit ends it, while noise keeps its
 * share at any pace. So when 503s go on after a soft wall, the pace is cut to where the limiter, if
 * that is what answers, lets every request through (`cutTo`), and the 503s sent past the cut decide:
 * two of them before `needed` answers and the share was noise (the pace is restored, the share
 * learnt as the usual one); none or one and it was the limiter (the cut stays).
 *
 * A probe is the same test the other way: the pace rose, and a step whose 503s the usual share does
 * not explain (`probeMet`) met the limiter; the probe ends at the highest step it held clean, as a
 * 429 would end it, without the several 503s the bar needs.
 *
 * @since 0.2.0
 */
import * as Beats from "./beats.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Trial {
  /** When the cut was made: the answers to requests sent a round trip later judge it. */
  readonly at: number
  /** The pace before the cut, restored if the failures go on. */
  readonly pace: number
  /** The share that started the trial, and the usual one then. */
  readonly share: number
  readonly usual: number
  /** Answers and soft failures sent past the cut. */
  readonly n: number
  readonly k: number
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Watch {
  /**
   * What the counts follow, by its time: a decision or a probe's abort (`plateau`), or a probe's step
   * (`probe`); another one starts them afresh.
   */
  readonly since: number
  readonly mode?: "plateau" | "probe" | undefined
  /** A probe's: the highest pace it held without failures above the usual share, where an abort returns. */
  readonly floor?: number | undefined
  /** A probe's: the plateau it started from, the lowest an abort returns to. */
  readonly from?: number | undefined
  /** Answers and soft failures sent past that decision's cut. */
  readonly n: number
  readonly k: number
  /**
   * The usual share when the counts began: the baseline learns the failures counted since, and a
   * limiter's 4-6% over seconds raised it from 0.028 to 0.058 (nginx at 50/s paced at 53.3).
   */
  readonly usual?: number | undefined
  /** When the last soft failures counted were sent (`beats.ts`): a rhythm is a limiter's. */
  readonly beats?: ReadonlyArray<number> | undefined
  readonly trial: Trial | null
}

/**
 * Answers a share is judged over at least: 1 s at the docs' 50/s. Over fewer, 20% random failures
 * (5% 503s) read 10% or more one time in ten.
 */
const MIN_ANSWERS = 48
/** Soft failures needed to start a trial. */
const MIN_FAILURES = 3
/**
 * A share this far above the usual one starts a trial (nginx's 503s 4% above its limit: 4%), or
 * failures the usual share explains this rarely (a pace 6% above it: 6% 503s for 15 s against a
 * usual 2.8%). At 3 points and 5% the trials of a plateau under the limit cost 20% noise more
 * (8 seeds of every net: mean goodput 93.8 vs 94.3%), at 5 points and 1% nginx's 503s went on longer
 * (2.0 -> 2.3% on average, the blocked net understated 1.6 -> 3.3%).
 */
const ABOVE_USUAL = 0.04
const TRY_P = 0.02
/**
 * A rhythm starts a trial only against a usual share this low: above it noise makes its own failures
 * among the limiter's, and a trial the rhythm started at their low share cut too little, found them
 * going on, and restored the pace above the limit (20% noise, a drop to 20: 3.6 -> 4.1% 503s local,
 * 3.3 -> 4.3% 50-100 ms away, 3 seeds).
 */
const RHYTHM_USUAL = 0.05
/** The cut leaves this margin under the limit the share implies. */
const MARGIN = 0.025
/** …and cuts at most to this share of the pace (a share of 25% is a wall's business). */
const DEEPEST = 0.75
/** Failures past the cut that show they go on at any pace: noise… */
const NOISE_FAILURES = 2
/**
 * …at a share at most 1 / KEPT times the one that started it: risen, the limit fell under the cut
 * (a drop). A bound below (half the usual share) kept the cut of noise whose usual share the last
 * trial's had overstated (0.08 learnt for 5%: 2 failures in 58 answers, one run 20% noise 100-300 ms
 * away held 18% under the limit 7 s): without it, 90.4 -> 92.6% there (3 seeds). Taken for noise, they
 * restored the pace above the limit and the share learnt as usual raised the bar over it: 20% noise,
 * a drop to 20, the blocked net, 5.9 -> 10.9% 503s (8 seeds), one run 48% (2 failures of the 3 first
 * answers past the cut).
 */
const KEPT = 0.5
/**
 * …and, from a share this far over the usual one (twice the bar, `ABOVE_USUAL`), more than the usual
 * share makes over those answers. Such a share is the limiter's 503s well above its limit (nginx at
 * 24.3 after a drop to 20: 19% against a usual 7.5%); past the cut the noise left makes about the
 * usual share, and two failures in 41 answers (3.1 expected) restored the pace above the limit, its
 * 503s learnt as the usual share (20% noise, a drop to 20, 3 seeds: 503s 3.57 -> 2.63% local, 5.07 ->
 * 3.66% cold). Not from a share nearer the usual one, which noise picked for being high makes as well
 * (5% noise against a usual 4.2% read 8.3%, then 5 failures in 141 answers past the cut): held cut,
 * the pace lost 12 points there (at this bar for every share, 32 fibers 50-100 ms away, docs
 * understated: 92.1 -> 87.9%; at 0.065, 5% noise there 97.0 -> 94.8%).
 */
const FAR_ABOVE = 2 * ABOVE_USUAL
/** …over this many answers past the cut at least. */
const NOISE_ANSWERS = 16
/**
 * Failures noise would have made over the answers the trial waits for: 6 (one or none of them, 1.7% of
 * the time), at the usual share or the one that started it if lower (picked for being high, that one
 * overstates noise).
 */
const EXPECTED = 6
/** …not under this share: a trial waits at most 600 answers. */
const LEAST_SHARE = 0.01

/**
 * @since 0.2.0
 * @category constructors
 */
export const watch = (since: number, usual?: number): Watch => ({ since, n: 0, k: 0, trial: null, ...(usual === undefined ? {} : { usual }) })

const finite = (...xs: ReadonlyArray<number | undefined>): boolean => xs.every((x) => x === undefined || Number.isFinite(x))

/**
 * Whether a stored watch (data from outside: a shared store) is whole: every count, pace and instant
 * finite. A trial with a NaN count stayed pending for ever, the pace left cut; a NaN floor paced NaN.
 *
 * @since 0.2.0
 * @category guards
 */
export const sane = (w: Watch | null | undefined): w is Watch =>
  w != null && finite(w.since, w.n, w.k, w.floor, w.from, w.usual) && (w.beats === undefined || (Array.isArray(w.beats) && finite(...w.beats))) &&
  (w.trial === null || (w.trial != null && finite(w.trial.at, w.trial.pace, w.trial.share, w.trial.usual, w.trial.n, w.trial.k)))

/**
 * The chance of `k` or more events where `mean` are expected (Poisson).
 *
 * @since 0.2.0
 * @category math
 */
export const poissonTail = (k: number, mean: number): number => {
  if (!(k > 0)) return 1
  const m = Number.isFinite(mean) ? Math.max(0, mean) : 0
  let term = Math.exp(-m), below = 0
  for (let i = 0; i < k; i++) {
    below += term
    term *= m / (i + 1)
  }
  return Math.min(1, Math.max(0, 1 - below))
}

/**
 * A probe's step whose failures the usual share explains this rarely met the limiter: 1%. A probe
 * reached 4-5 bare 503s before the share passed the bar (nginx at 50/s, 8 fibers: 27 of the 58 503s
 * met in three runs, docs overstated), where a 429 ends it at the first. At 5%, two noise 503s close
 * together ended more probes (20% noise, 4 seeds of every net: seed 1's lowest ratio 0.90 -> 0.83).
 */
const ABORT_P = 0.01
/** …and at least this many failures: one is a stall's as well. */
const ABORT_FAILURES = 2
/** A step's failures this likely under the usual share: it held clean, a pace to return to. */
const CLEAN_P = 0.2

/**
 * Whether a probe's step, `w.n` answers and `w.k` failures sent at its pace, met the limiter: more
 * failures than the usual share (`baseline`) explains.
 *
 * @since 0.2.0
 * @category decisions
 */
export const probeMet = (w: Watch, baseline: number): boolean =>
  w.k >= ABORT_FAILURES && poissonTail(w.k, baseline * w.n) < ABORT_P

/**
 * Whether a probe's step held clean: its failures as the usual share explains them.
 *
 * @since 0.2.0
 * @category decisions
 */
export const heldClean = (w: Watch, baseline: number): boolean => poissonTail(w.k, baseline * w.n) >= CLEAN_P

/**
 * A probe's top step with failures the usual share explains this rarely met the limiter (`toppedOut`):
 * 10%. At 20% (not `heldClean`) noise ended more probes there (20% noise, docs understated, 8 seeds:
 * 94.8 -> 94.3%); at 5% the blocked loop's drop kept 1.68% 503s (1.55 at 10%), 20% noise 50-100 ms
 * away 4.27% (2.99).
 */
const TOP_P = 0.1

/**
 * Whether a probe's top step (the last below the wall that left its range open) met the limiter as it
 * ended: `ABORT_FAILURES` failures at least, more than the usual share explains (`TOP_P`). Its end
 * settles at the step below otherwise, held 1 s: nginx's burst hides a pace 13% over its limit of 20
 * that long (`observe.ts`).
 *
 * @since 0.2.0
 * @category decisions
 */
export const toppedOut = (w: Watch, baseline: number): boolean => w.k >= ABORT_FAILURES && poissonTail(w.k, baseline * w.n) < TOP_P

/**
 * Whether the failures counted since the decision call for a trial: enough of them, at a share
 * `ABOVE_USUAL` over the usual one (`baseline`), or beating at a period (`Beats.regular`).
 *
 * @since 0.2.0
 * @category decisions
 */
export const shouldTry = (w: Watch, baseline: number): boolean => {
  if (w.trial !== null || w.n < MIN_ANSWERS || w.k < MIN_FAILURES) return false
  const usual = Math.min(baseline, w.usual ?? baseline)
  return w.k / w.n >= usual + ABOVE_USUAL || poissonTail(w.k, usual * w.n) < TRY_P || (usual <= RHYTHM_USUAL && Beats.regular(w.beats))
}

/**
 * The trial's pace: where a limiter answering `share` of `pace` with 503s lets all through, `MARGIN`
 * under it, not under `DEEPEST` of the pace.
 *
 * @since 0.2.0
 * @category math
 */
export const cutTo = (pace: number, share: number): number => pace * Math.max(DEEPEST, 1 - Math.max(0, share) - MARGIN)

/**
 * The answers past the cut the trial waits for before it takes the failures for the limiter's.
 *
 * @since 0.2.0
 * @category math
 */
export const needed = (share: number, usual: number): number => Math.ceil(EXPECTED / Math.max(LEAST_SHARE, Math.min(share, usual)))

/**
 * The trial's verdict after `t.n` answers past its cut: `noise` as soon as `NOISE_FAILURES` went on
 * (not above their share, `KEPT`; above the usual share's after a share `FAR_ABOVE` it), `congestion` when they did not over `needed` answers, else `pending`.
 *
 * @since 0.2.0
 * @category decisions
 */
export const verdict = (t: Trial): "noise" | "congestion" | "pending" => {
  const same = t.k >= NOISE_FAILURES && t.n >= NOISE_ANSWERS && t.k <= (t.share * t.n) / KEPT && (t.share - t.usual < FAR_ABOVE || t.k > t.usual * t.n)
  return same ? "noise" : t.n >= needed(t.share, t.usual) ? "congestion" : "pending"
}

/**
 * The watch after one answer: counted when sent past the decision's cut (`counted`), into the trial
 * when one runs and the answer was sent a round trip past its cut (`afterTrialCut`).
 *
 * @since 0.2.0
 * @category transitions
 */
export const record = (w: Watch, soft: boolean, counted: boolean, afterTrialCut: boolean, sentAt?: number): Watch => {
  const x = soft ? 1 : 0
  if (w.trial !== null) {
    return afterTrialCut ? { ...w, trial: { ...w.trial, n: w.trial.n + 1, k: w.trial.k + x } } : w
  }
  if (!counted) return w
  const beats = soft && sentAt !== undefined ? Beats.beat(w.beats, sentAt) : w.beats
  return { ...w, n: w.n + 1, k: w.k + x, ...(beats === undefined ? {} : { beats }) }
}

/**
 * The share learnt as the usual one after a trial found noise: the failures before and during it
 * together (the share that started it alone was picked for being high), at most `ABOVE_USUAL` over
 * the usual one. A limit fallen under the cut as the trial ran (20% noise, a drop to 20, 32 fibers
 * 100-300 ms away) was learnt as a usual share of 10-15%, and the bar rose over the limiter's 503s:
 * 7.5 -> 9.1% of the requests (8 seeds), 8.3 with the bound.
 *
 * @since 0.2.0
 * @category math
 */
export const learntShare = (w: Watch, t: Trial): number =>
  Math.min((w.k + t.k) / Math.max(1, w.n + t.n), t.usual + ABOVE_USUAL)
