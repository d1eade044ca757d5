/**
 * The adaptive-rate state machine's parameters and state (the transitions are in `aimd.ts`).
 *
 * @since 0.1.0
 */
import type { Cycle, PacePoint } from "./bucketFit.js"
import * as Congestion from "./congestion.js"
import type * as SoftTrial from "./softTrial.js"
import { MAX_QUOTA_WAIT_MS } from "./headers.js"
import type { SendCount } from "./paceLog.js"
import type { Partitions as PartitionMap } from "./partitions.js"
import type * as QuotaWindow from "./quotaWindow.js"
import type * as RestoreRate from "./restoreRate.js"
import type * as WindowCount from "./windowCount.js"
import type * as WindowGate from "./windowGate.js"

/** First probe step above the plateau, as a share of it (`aimd.ts` doubles it). */
export const PROBE_STEP = 0.04

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
  /** Windows seen opening in a row (`quotaWindow.ts`); absent in an older stored state. */
  readonly windowJumps?: number | undefined
  /** How fast the header quota is restored (`restoreRate.ts`); absent in an older stored state. */
  readonly restore?: RestoreRate.RestoreState | undefined
  /** Whether bare 5xx answers track the rate (`congestion.ts`). */
  readonly soft: Congestion.SoftState
  /** Bare 5xx failures since a soft wall, and the cut that judges them (`softTrial.ts`); absent in an older stored state. */
  readonly softTrial?: SoftTrial.Watch | null | undefined
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
  /**
   * How many seconds of its rate the server's bucket held (a range), read when the limit changed
   * (`changedRead.ts`); absent before, or in an older stored state.
   */
  readonly burstS?: readonly [number, number] | undefined
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
