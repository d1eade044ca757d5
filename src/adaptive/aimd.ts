/**
 * The adaptive-rate state machine: pure functions of (config, state, event, now). The algorithm is
 * described in the README ("Adaptive rate"); in short:
 *
 * 1. **Slow start** from the documented rate, doubling per second until the first wall, never more
 *    than twice what was actually delivered (latency or concurrency may cap the sending rate).
 * 2. **Walls are fitted, not halved.** The pace history and the send times of the requests that met
 *    a wall are fitted by a token bucket (`bucketFit.ts`); the rate goes to just below the fitted
 *    rate. Until two walls allow a fit, the documented rate is kept if nothing contradicts it (the
 *    prior), else the client resumes a quarter below the wall and probes the range up to it.
 * 3. **Stay off the wall.** On the plateau the rate holds; probing above it starts after `steadyMs`
 *    and the interval doubles every time a probe meets the wall. A wall on a settled plateau is a
 *    stray one (a stall bunched arrivals): its pause and one margin, what was learned stands; the
 *    next wall within a second of resuming means the limit changed (`wallDecision.ts`).
 * 4. **Retry-After** pauses every caller of the key (`cooldownUntil`), at most `maxRetryAfterMs`
 *    whatever the server says.
 * 5. **Headers** replace guessing (`headerPacing.ts`). A server cannot lock the key out: a pause
 *    until a quota reset lasts at most `maxQuotaWaitMs`, and a header pace is never slower than one
 *    request per `maxQuotaWaitMs`.
 * 6. **A known window quota** is kept under (`windowGate.ts`, applied by `observe.ts`).
 *
 * @since 0.1.0
 */
import type { Cycle, PacePoint } from "./bucketFit.js"
import * as Congestion from "./congestion.js"
import { MAX_QUOTA_WAIT_MS } from "./headers.js"
import type { Partitions as PartitionMap } from "./partitions.js"
import { deliveredCap, measureDelivered } from "./delivered.js"
import { paceAt, type SendCount, sentLog, startCounted, withPace } from "./paceLog.js"
import { extendPause, openRangeDelay } from "./pause.js"
import type * as QuotaWindow from "./quotaWindow.js"
import type * as RestoreRate from "./restoreRate.js"
import { type Decision, decideAtWall, STRAY_CONFIRM_MS } from "./wallDecision.js"
import type * as WindowCount from "./windowCount.js"
import * as WindowGate from "./windowGate.js"
import { lateSuccess } from "./windowQuota.js"

export { onHeaders } from "./headerPacing.js"

/**
 * Validated controller parameters (see `AdaptiveController.Options` for the user-facing form).
 *
 * @since 0.1.0
 * @category models
 */
export interface AimdConfig {
  /** Starting rate (rps): the documented limit, kept until the server contradicts it. */
  readonly initialRate: number
  readonly minRate: number
  /** Hard upper bound: never pace above it, whatever the API accepts. */
  readonly maxRate: number
  /** Probe slope right after leaving the plateau, in rps per second. */
  readonly increaseStep: number
  /** Multiplier in (0, 1): where to resume after a wall nothing else explains. */
  readonly decreaseFactor: number
  /** Double the rate every `slowStartDoublingMs` until the first backoff. `false` disables it. */
  readonly slowStart: boolean
  readonly slowStartDoublingMs: number
  /** Without a wall this long after resuming below one, the resumed rate is taken as sustainable. */
  readonly recoveryMs: number
  /** The plateau sits this fraction below the estimated server rate (half of it below a fit). */
  readonly ceilingMargin: number
  /** Time on the plateau before the first probe above it (doubles after each probe that meets the wall). */
  readonly steadyMs: number
  /** The probe slope doubles every `probeAccelMs` of probing without a backoff. */
  readonly probeAccelMs: number
  /** Backoffs within this window after a decrease belong to the same burst (without `sentAt`). */
  readonly holdMs: number
  /** Header pacing expires this long after the last response that carried headers. */
  readonly headerStaleMs: number
  /** Longest Retry-After pause honoured; a longer one is cut to it. */
  readonly maxRetryAfterMs: number
  /**
   * Longest pause until a quota reset stated by rate-limit headers; a header pace is never slower
   * than one request per this long.
   */
  readonly maxQuotaWaitMs: number
}

/**
 * @since 0.1.0
 * @category models
 */
export type RateSource = "configured" | "learned" | "header"

/**
 * `hold`: resumed below a wall nothing explained yet, waiting for the wall that allows a fit.
 *
 * @since 0.1.0
 * @category models
 */
export type Phase = "slow-start" | "hold" | "steady" | "probe" | "header"

/**
 * The controller state of one key. Plain data: serializable, so a shared store (Redis) can hold it.
 *
 * @since 0.1.0
 * @category models
 */
export interface AimdState {
  readonly rate: number
  readonly phase: Phase
  readonly source: RateSource
  /** The estimated server rate (fit, documented prior, or a rate sustained without a wall). */
  readonly ceiling: number | null
  /** The highest rate the walls met so far cannot rule out (the next probe steps towards it). */
  readonly ceilingHigh: number | null
  /** Size of the next probe step, as a share of the rate (doubles after each step held). */
  readonly probeStep: number
  /** The pace in force when the last wall was met, or `null`. */
  readonly lastDecreaseRate: number | null
  readonly lastDecreaseAt: number | null
  readonly decreases: number
  /** Successes since the last decision wall (`N`; `N / T` is a lower bound of the server's rate). */
  readonly successesSinceDecrease: number
  /**
   * Successes of requests sent in the open cycle after its pause (absent in an older stored state):
   * what the server accepted in it, without the answers of requests sent before its wall.
   */
  readonly cycleAccepted?: number | undefined
  /** What was sent (send time) since the oldest cycle kept: the pace, corrected by `sends`. */
  readonly paceLog: ReadonlyArray<PacePoint>
  /** Sends counted in the windows not yet applied to `paceLog` (absent in an older stored state). */
  readonly sends?: SendCount | undefined
  /** Closed cycles (at most `CYCLES`) the bucket fit uses. */
  readonly cycles: ReadonlyArray<Cycle>
  /** The open cycle (its wall not met yet). */
  readonly cycle: Omit<Cycle, "wallAt"> | null
  /** The documented rate is still consistent with every wall met. */
  readonly priorValid: boolean
  /**
   * The last wall taken for a stray one (`wallDecision.ts`), or that cut the plateau after a whole pause
   * (`cut`): its send time, and how long after the pace resumed it came. `null` after any other one.
   */
  readonly stray: { readonly at: number; readonly quietMs: number; readonly cut?: boolean | undefined } | null
  /** A wall on the plateau from this instant on may be a stray one (`wallDecision.ts`). */
  readonly settledAt: number
  /** Next probe above the plateau (phase `steady`). */
  readonly probeAt: number
  readonly probeGapMs: number
  readonly probeStartedAt: number | null
  readonly lastSuccessAt: number | null
  /** Successes per second in the last completed measuring window (`null` before one). */
  readonly delivered: number | null
  readonly tpCount: number
  readonly tpFrom: number | null
  /** Epoch ms until which every caller is paused (Retry-After, exhausted header quota). */
  readonly cooldownUntil: number
  /** Backoffs before this instant are ignored (same burst), when `sentAt` is unknown. */
  readonly holdUntil: number
  /** Header pacing is in force until this instant. */
  readonly headerUntil: number
  /** Header paces per IETF partition key still in force (see `partitions.ts`). */
  readonly partitions: PartitionMap
  /** The header quota's window: stated, or the longest time-to-reset seen. */
  readonly headerWindowMs: number | null
  /** The last header reading, by send time (`quotaWindow.ts`). */
  readonly headerLast: QuotaWindow.Reading | null
  /** Send time of the first request seen in the current quota window (`remaining` went up), or `null`. */
  readonly windowStartAt: number | null
  /** That start was seen as a jump of `remaining` (`quotaWindow.ts`); absent in an older stored state. */
  readonly windowJumped?: boolean | undefined
  /** How fast the header quota is restored (`restoreRate.ts`); absent in an older stored state. */
  readonly restore?: RestoreRate.RestoreState | undefined
  /** Whether bare 5xx answers track the rate (`congestion.ts`). */
  readonly soft: Congestion.SoftState
  /** The last wall was a bare 5xx `congestion.ts` took for one (absent in an older stored state). */
  readonly softWall?: boolean | undefined
  /** Backoffs of the burst already acted upon since the last decision (absent in an older stored state). */
  readonly burstBackoffs?: number | undefined
  /** Round trip (average of response time − send time), or `null` before one (or in an older stored state). */
  readonly rttMs?: number | null | undefined
  /** The shortest recent round trip (`observe.ts`), or `null` (absent in an older stored state). */
  readonly rttMinMs?: number | null | undefined
  /** The window quota the key keeps under, with its log (`windowGate.ts`), or `null`. */
  readonly windowGate?: WindowGate.Gate | null | undefined
  /** The fixed window's counter (`windowCount.ts`); absent in an older stored state. */
  readonly windowCount?: WindowCount.Counter | null | undefined
  /** Epoch ms until which the gate pauses every caller (not a wall: learning ignores it). */
  readonly gateUntil?: number | undefined
  /** When the last answer the server held came back (`stallGate.ts`); absent before one or in an older stored state. */
  readonly heldAt?: number | undefined
  /** How late the answers held since then came back, at most (`stallGate.ts`); absent as `heldAt`. */
  readonly heldLateMs?: number | undefined
}

/**
 * Default parameters, given the documented (initial) rate.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultConfig = (initialRate: number): AimdConfig => ({
  initialRate,
  minRate: Math.min(initialRate, Math.max(initialRate / 100, 0.01)),
  maxRate: initialRate * 10,
  increaseStep: Math.max(initialRate / 100, 0.01),
  decreaseFactor: 0.5,
  slowStart: true,
  slowStartDoublingMs: 1000,
  recoveryMs: 3000,
  ceilingMargin: 0.02,
  steadyMs: 30_000,
  probeAccelMs: 2000,
  holdMs: 250,
  headerStaleMs: 2000,
  // The defaults of `retry.maxRetryAfter` and `adaptive.maxQuotaWait` in a config.
  maxRetryAfterMs: 120_000,
  maxQuotaWaitMs: MAX_QUOTA_WAIT_MS
})

/**
 * @since 0.1.0
 * @category utils
 */
export const clamp = (c: AimdConfig, rate: number): number => Math.min(c.maxRate, Math.max(c.minRate, rate))

/**
 * The state of a key that has seen nothing yet.
 *
 * @since 0.1.0
 * @category constructors
 */
export const initial = (c: AimdConfig): AimdState => ({
  rate: clamp(c, c.initialRate),
  phase: c.slowStart ? "slow-start" : "steady",
  source: "configured",
  ceiling: null,
  ceilingHigh: null,
  probeStep: PROBE_STEP,
  lastDecreaseRate: null,
  lastDecreaseAt: null,
  decreases: 0,
  successesSinceDecrease: 0,
  paceLog: [],
  cycles: [],
  cycle: null,
  priorValid: true,
  stray: null,
  settledAt: 0,
  probeAt: Infinity,
  probeGapMs: c.steadyMs,
  probeStartedAt: null,
  lastSuccessAt: null,
  delivered: null,
  tpCount: 0,
  tpFrom: null,
  cooldownUntil: 0,
  holdUntil: 0,
  headerUntil: 0,
  partitions: {},
  headerWindowMs: null,
  headerLast: null,
  windowStartAt: null,
  soft: Congestion.initial,
  rttMs: null
})

/**
 * A plateau a probe reached (1 s without a wall tells little against a big bucket) is not taken for
 * the server's rate this long: a wall meanwhile is evidence for the fit, not a stray one.
 */
const PROBED_SETTLE_MS = 5000

/** First probe step above the plateau, as a share of it… */
const PROBE_STEP = 0.04
/** …held this long before the next, twice as big. */
const PROBE_HOLD_MS = 1000

/**
 * What the caller knows about a response besides its time.
 *
 * @since 0.1.0
 * @category models
 */
export interface SuccessInfo {
  /** When the request was sent (epoch ms). */
  readonly sentAt?: number | undefined
}

/**
 * A successful (non-backoff) response observed at `now`.
 *
 * @since 0.1.0
 * @category transitions
 */
export const onSuccess = (c: AimdConfig, s0: AimdState, now: number, info: SuccessInfo = {}): AimdState => {
  const sent = info.sentAt ?? now
  let s = measureDelivered({ ...s0, successesSinceDecrease: s0.successesSinceDecrease + 1 }, now)
  if (s.cycle === null) s = withPace({ ...s, cycle: { start: "full", from: sent, resumeAt: sent } }, s.rate, sent)
  // The start of traffic's cycle opens at the first answer's send time; the requests sent before it,
  // answered later (jitter), were accepted in it too (uncounted, the window quota missed a sliding log
  // 32 fibers away whose first count came out 47 of 50).
  if (sent >= s.cycle!.resumeAt || s.cycle!.start === "full") s = { ...s, cycleAccepted: (s.cycleAccepted ?? 0) + 1 }
  else s = { ...s, cycles: lateSuccess(s.cycles, sent) }
  if (now < s.cooldownUntil) return { ...s, lastSuccessAt: null }
  if (s.phase === "header") {
    if (now <= s.headerUntil) return s
    // Headers stopped: hold the last header rate, then probe from it.
    return { ...s, phase: "steady", source: "learned", ceiling: s.rate, probeAt: now + s.probeGapMs, settledAt: now + PROBED_SETTLE_MS, lastSuccessAt: now }
  }
  const dt = s.lastSuccessAt === null || now <= s.lastSuccessAt || now - s.lastSuccessAt > 2000 / s.rate
    ? 0
    : Math.min(now - s.lastSuccessAt, 1000)
  const next: AimdState = { ...s, lastSuccessAt: now }
  switch (s.phase) {
    case "slow-start":
      return withPace(next, clamp(c, Math.min(s.rate * Math.pow(2, dt / c.slowStartDoublingMs), deliveredCap(c, s))), now)
    case "hold":
      // No wall since resuming: the resumed rate is sustainable. The server's rate lies between it
      // and the wall's pace (`ceilingHigh`): probe into that range soon.
      if (now - Math.max(s.cooldownUntil, s.lastDecreaseAt ?? 0) < c.recoveryMs) return next
      return { ...next, phase: "steady", ceiling: s.rate, probeAt: s.ceilingHigh !== null ? now : now + s.probeGapMs }
    case "steady":
      return now < s.probeAt ? next : probeStep(c, { ...next, probeStep: PROBE_STEP }, now)
    case "probe":
      if (now - (s.probeStartedAt ?? now) < PROBE_HOLD_MS) return next
      // The top of the range the walls left open is reached, that is the wall met before: the step
      // below it is the new plateau, until the next probe. After a 429 that cost no pause, the step
      // held is (another wall costs a request, settling a step lower sat 5-13% under an nginx limit
      // 30 s), and a step held at or above its pace shows it was no limit (a stall bunched
      // arrivals, or answers in flight): the probe goes on. Not after a bare 503: several are
      // needed to tell it from noise, and a pace just above the limit went on unnoticed (8% 503s).
      const cheap = s.lastDecreaseAt !== null && s.cooldownUntil <= s.lastDecreaseAt && s.softWall !== true
      const passed = cheap && s.ceilingHigh !== null && s.rate >= s.ceilingHigh
      if (s.ceilingHigh !== null && s.ceilingHigh <= s.rate * (1 + PROBE_STEP) && !passed) {
        // Within a window quota kept under (`windowGate.ts`), the step held stays: the gate keeps it off the wall.
        const gated = WindowGate.keptUnder(WindowGate.sane(s.windowGate, now), s.rate)
        const rate = cheap ? clamp(c, Math.max(s.ceiling ?? 0, s.rate * (1 - c.ceilingMargin))) : gated ? s.rate : Math.min(s.rate, s.ceiling ?? s.rate)
        return withPace(
          { ...next, phase: "steady", ceiling: rate, ceilingHigh: null, probeAt: now + s.probeGapMs, settledAt: now + PROBED_SETTLE_MS },
          rate,
          now
        )
      }
      // The step held without a wall: the new plateau; the next step is twice as big.
      return probeStep(c, { ...next, ceiling: s.rate, probeStep: s.probeStep * 2, ...(passed ? { ceilingHigh: null } : {}) }, now)
  }
}

/**
 * A step above the plateau: to the middle of the rates the walls cannot rule out, else by
 * `probeStep`. The open cycle goes on (from the last wall): the fit follows the server's bucket
 * through the plateau and the step.
 */
const probeStep = (c: AimdConfig, s: AimdState, now: number): AimdState => {
  const high = s.ceilingHigh !== null && s.ceilingHigh > s.rate * (1 + PROBE_STEP) ? s.ceilingHigh : undefined
  const target = high !== undefined ? Math.sqrt(s.rate * high) : s.rate * (1 + s.probeStep)
  const rate = clamp(c, Math.min(target, deliveredCap(c, s)))
  return withPace({ ...s, phase: "probe", probeStartedAt: now }, rate, now)
}

/**
 * What the caller knows about a backoff response besides its time.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackoffInfo {
  /** Retry-After in ms, when the response had one. */
  readonly retryAfterMs?: number | undefined
  /** A bare 5xx taken for congestion (`congestion.ts`), not a 429 or a backoff with Retry-After. */
  readonly soft?: boolean | undefined
  /**
   * When the request was sent (epoch ms). A request sent before the last decrease was paced by the
   * old rate: its 429 is part of the burst already acted upon and is ignored. Without it, `holdMs`
   * after a decrease is used instead.
   */
  readonly sentAt?: number | undefined
}

/**
 * A plateau a fit set is taken for the server's rate (a wall there may be a stray one) this long
 * after the fit, not a second after resuming: after a precise or HTTP-date Retry-After (or none) the
 * next wall still tells the fit more than noise. Longer helped the delayed cells (2.5 s: a 1 s
 * sliding log with 32 fibers, 74 -> 80% docs overstated) but cost a 0.5 s bucket's worst seed 88 -> 81%.
 */
const FIT_SETTLE_MS = 2000

/** Backoffs of one burst after a stray wall that show the limit changed (`onBackoff`): 3, or this share in flight. */
const STRAY_BURST = 3, STRAY_BURST_SHARE = 0.3

/**
 * After a decision without a pause (a bare 503, a 429 without Retry-After) the requests sent at the
 * old pace keep reaching the server for about a round trip and keep its bucket empty: a wall met by
 * a request sent meanwhile is part of the burst already acted on, not news about the new pace
 * (which it cut by another quarter, three times in a row against nginx 503s 200-600 ms away).
 */
const inFlightMs = (s: AimdState): number =>
  s.lastDecreaseAt !== null && s.cooldownUntil <= s.lastDecreaseAt ? s.rttMs ?? 0 : 0

/**
 * A backoff status (429, 503 with Retry-After, …) observed at `now`. Returns the state after the
 * (possibly ignored) decision; `cooldownUntil` is extended by the Retry-After (at most
 * `maxRetryAfterMs`) either way.
 *
 * @since 0.1.0
 * @category transitions
 */
export const onBackoff = (c: AimdConfig, s0: AimdState, now: number, info: BackoffInfo = {}): AimdState => {
  let s = startCounted(s0, info.sentAt ?? now, c.initialRate)
  const cooldownUntil = info.retryAfterMs !== undefined && info.retryAfterMs > 0
    ? Math.max(s.cooldownUntil, now + Math.min(info.retryAfterMs, c.maxRetryAfterMs))
    : s.cooldownUntil
  const sameBurst = info.sentAt !== undefined
    ? s.lastDecreaseAt !== null && info.sentAt < s.lastDecreaseAt + inFlightMs(s)
    : now < s.holdUntil
  // After a wall taken for a stray one, more of its burst rejected: everything in flight meets the
  // wall, the limit changed (a stall's burst rejects one or two). Decided now; not after a cut (its own evidence).
  const changedBurst = sameBurst && s.stray !== null && s.stray.cut !== true && info.sentAt !== undefined && (s.burstBackoffs ?? 0) + 1 >= Math.max(STRAY_BURST, (STRAY_BURST_SHARE * s.rate * (s.rttMs ?? 0)) / 1000)
  if (sameBurst && !changedBurst) return { ...extendPause(s, cooldownUntil, now), burstBackoffs: (s.burstBackoffs ?? 0) + 1, lastSuccessAt: null }
  const wallAt = info.sentAt ?? now
  s = { ...s, paceLog: sentLog(s, wallAt) }
  const wallPace = paceAt(s, wallAt)
  const resumeAt = Math.max(now, cooldownUntil)
  const d: Decision = decideAtWall(c, s, now, wallAt, wallPace, resumeAt - now, info.soft === true)
  const paused = withPace({ ...s, cycles: d.cycles, cycle: null }, 0, now)
  const resumed = withPace({ ...paused, cycle: { start: "empty", from: wallAt, resumeAt } }, clamp(c, d.rate), resumeAt)
  return {
    ...resumed,
    phase: d.phase,
    source: "learned",
    ceiling: d.ceiling,
    ceilingHigh: d.ceilingHigh,
    priorValid: d.priorValid,
    stray: d.stray || d.cut === true ? { at: wallAt, quietMs: wallAt - (s.cycle?.resumeAt ?? wallAt), ...(d.cut === true ? { cut: true } : {}) } : null,
    settledAt: d.stray ? s.settledAt : d.fitted === true ? now + FIT_SETTLE_MS : resumeAt + STRAY_CONFIRM_MS,
    lastDecreaseRate: wallPace,
    lastDecreaseAt: now,
    softWall: info.soft === true,
    successesSinceDecrease: 0,
    cycleAccepted: 0,
    // A decision that probes tests a window quota (`wallDecision.ts`): its step held a window and a
    // half from the resume (a window's wall comes after its quota, sent a window in).
    probeStartedAt: d.phase === "probe" ? resumeAt + (d.window?.windowMs ?? 0) * 1.5 - PROBE_HOLD_MS : null,
    // A stray wall is no failed probe: the probes keep their schedule.
    probeAt: d.stray ? Math.max(s.probeAt, resumeAt) : resumeAt + (d.probeSoon ? openRangeDelay(c.recoveryMs, s.rttMs ?? null, d.fitted === true) : d.probeGapMs),
    probeGapMs: d.probeGapMs,
    lastSuccessAt: null,
    cooldownUntil,
    holdUntil: Math.max(now + c.holdMs, cooldownUntil),
    headerUntil: 0,
    decreases: s.decreases + 1,
    // A quota read from the walls is kept under (one the docs alone state once a second cycle reads it);
    // another decision keeps the gate of the quota last read.
    windowGate: d.window === undefined ? s.windowGate : WindowGate.make(s.windowGate, d.window.quota, d.window.windowMs, d.window.armed ?? true),
    burstBackoffs: 0
  }
}
