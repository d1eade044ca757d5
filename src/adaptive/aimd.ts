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
import { type AimdConfig, type AimdState, clamp, PROBE_STEP } from "./aimdState.js"
import { deliveredCap, measureDelivered } from "./delivered.js"
import { paceAt, sentLog, startCounted, withPace } from "./paceLog.js"
import { extendPause, inLastBurst, openRangeDelay } from "./pause.js"
import { type Decision, STRAY_CONFIRM_MS } from "./wallDecision.js"
import { decideAtWall } from "./wallWindow.js"
import * as WindowGate from "./windowGate.js"
import { lateSuccess } from "./windowQuota.js"

export * from "./aimdState.js"
export { onHeaders } from "./headerPacing.js"

/**
 * A plateau a probe reached (1 s without a wall tells little against a big bucket) is not taken for
 * the server's rate this long: a wall meanwhile is evidence for the fit, not a stray one.
 */
const PROBED_SETTLE_MS = 5000

/** A probe step (`PROBE_STEP` of the plateau at first) is held this long before the next, twice as big. */
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
      if (now - Math.max(s.cooldownUntil, s.lastDecreaseAt ?? 0) < provenHoldMs(c, s)) return next
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
        // Within a window quota kept under (`windowGate.ts`), the step held stays, or rises to the top
        // (`gatedTop`) when the gate is armed: the gate keeps it off the wall.
        const gate = WindowGate.sane(s.windowGate, now)
        const gated = WindowGate.keptUnder(gate, s.rate)
        const rate = cheap ? clamp(c, Math.max(s.ceiling ?? 0, s.rate * (1 - c.ceilingMargin))) : gated ? (gate!.armed ? gatedTop(c, s, gate!) : s.rate) : Math.min(s.rate, s.ceiling ?? s.rate)
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
 * After a limit change, a hold proves its pace only once the bucket the pause refilled would have run
 * dry at a pace this far above the server's rate: the bucket holds the seconds of its rate it held
 * before (`burstS`), so a 1 s bucket dropped to 20 lasts 4.2 s at a hold of 24.8, past `recoveryMs`,
 * and the hold's probe toward the old rate met the wall (32 fibers 50-100 ms away).
 */
const HOLD_EXCESS = 0.2

/**
 * The longest a hold after a change lasts, in `recoveryMs`: the burst's range tops its reading by three
 * tokens of slack, so at a rate of 1/s a 1 s bucket would hold 20 s (0.2/s: 80 s) at half the wall.
 */
const HOLD_RECOVERIES = 4

/** How long a hold lasts without a wall before its pace is taken as sustainable (see `HOLD_EXCESS`). */
const provenHoldMs = (c: AimdConfig, s: AimdState): number => {
  const b = s.ceiling === null ? s.burstS?.[1] : undefined
  const most = Math.min(c.maxRetryAfterMs, c.recoveryMs * HOLD_RECOVERIES)
  return typeof b === "number" && Number.isFinite(b) && b > 0 ? Math.max(c.recoveryMs, Math.min(most, (b * 1000) / HOLD_EXCESS)) : c.recoveryMs
}

/**
 * A range this narrow (its top over the plateau) under a window quota kept under is probed in one step to just
 * under its top: the gate keeps a window's wall away (a 1 s log of 50 read as 44.7 by the bucket fit
 * probed 47.3 then 48.6, a second each).
 */
const GATED_RANGE = 1.2

/**
 * Where a probe kept under a window quota (`windowGate.ts`) settles once it reached the top of its
 * range: there, half a margin below the top or the quota's pace if lower, not the step held (~3% below
 * it: a 1 s log of 50 settled at 47.3-48.6 under a gate of 50 per 1.005 s); the gate keeps it off the wall.
 */
const gatedTop = (c: AimdConfig, s: AimdState, gate: WindowGate.Gate): number =>
  clamp(c, Math.max(s.rate, Math.min(s.ceilingHigh ?? s.rate, WindowGate.perSecond(gate)) * (1 - c.ceilingMargin / 2)))

/**
 * The range a probe steps into, kept within an armed window quota (`windowGate.ts`) the plateau keeps
 * under: two cycles read that count per window, so a step above it meets the wall, and a wall costs
 * every caller a window's pause (a 1 s log of 50, docs overstated 2x, 32 fibers 50-100 ms away: its
 * hold at 48.6 probed 56.1 towards the slow start's 64.8 and met it 0.6 s later). A quota that rose is
 * found by the next probe, `steady` later, from the plateau.
 */
const capAtQuota = (s: AimdState, gate: WindowGate.Gate | null): AimdState => {
  if (gate === null || !gate.armed || s.ceilingHigh === null || !WindowGate.keptUnder(gate, s.rate)) return s
  const top = WindowGate.perSecond(gate)
  return s.ceilingHigh > top ? { ...s, ceilingHigh: top } : s
}

/**
 * A step above the plateau: to the middle of the rates the walls cannot rule out, else by
 * `probeStep`. The open cycle goes on (from the last wall): the fit follows the server's bucket
 * through the plateau and the step.
 */
const probeStep = (c: AimdConfig, s0: AimdState, now: number): AimdState => {
  const gate = WindowGate.sane(s0.windowGate, now)
  const s = capAtQuota(s0, gate)
  const high = s.ceilingHigh !== null && s.ceilingHigh > s.rate * (1 + PROBE_STEP) ? s.ceilingHigh : undefined
  const gated = (high !== undefined && high <= s.rate * GATED_RANGE || s !== s0) && gate !== null && gate.armed
  // Capped at the quota, its pace is the top even within a step of the plateau (the guard below ends
  // the probe when it leaves no room).
  const target = gated ? gatedTop(c, s !== s0 ? s : { ...s, ceilingHigh: high ?? null }, gate) : high !== undefined ? Math.sqrt(s.rate * high) : s.rate * (1 + s.probeStep)
  // A gate whose pace leaves no step above the plateau ends the probe there: it stepped in place
  // each second, its step doubling for ever and no wall ever taken for a stray one.
  if (gated && target <= s.rate * (1 + PROBE_STEP / 2)) {
    return withPace({ ...s, phase: "steady", ceiling: s.rate, ceilingHigh: null, probeAt: now + s.probeGapMs, settledAt: now + PROBED_SETTLE_MS }, s.rate, now)
  }
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
  /**
   * The pause kept when shorter than the Retry-After (the end of a window the headers dated,
   * `wallPauseMs`); the Retry-After stays what the wall's decision reads.
   */
  readonly pauseMs?: number | undefined
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
 * A backoff status (429, 503 with Retry-After, …) observed at `now`. Returns the state after the
 * (possibly ignored) decision; `cooldownUntil` is extended by the Retry-After (at most
 * `maxRetryAfterMs`) either way.
 *
 * @since 0.1.0
 * @category transitions
 */
export const onBackoff = (c: AimdConfig, s0: AimdState, now: number, info: BackoffInfo = {}): AimdState => {
  let s = startCounted(s0, info.sentAt ?? now, c.initialRate)
  const pausedFor = (ms: number | undefined) =>
    info.retryAfterMs !== undefined && info.retryAfterMs > 0 && ms !== undefined
      ? Math.max(s.cooldownUntil, now + Math.min(ms, info.retryAfterMs, c.maxRetryAfterMs))
      : s.cooldownUntil
  const cooldownUntil = pausedFor(info.pauseMs ?? info.retryAfterMs)
  const sameBurst = info.sentAt !== undefined
    ? inLastBurst(s, info.sentAt, c.initialRate, info.soft === true)
    : now < s.holdUntil
  // After a wall taken for a stray one, more of its burst rejected: everything in flight meets the
  // wall, the limit changed (a stall's burst rejects one or two). Decided now; not after a cut (its own evidence).
  const changedBurst = sameBurst && s.stray !== null && s.stray.cut !== true && info.sentAt !== undefined && (s.burstBackoffs ?? 0) + 1 >= Math.max(STRAY_BURST, (STRAY_BURST_SHARE * s.rate * (s.rttMs ?? 0)) / 1000)
  if (sameBurst && !changedBurst) return { ...extendPause(s, cooldownUntil, now), burstBackoffs: (s.burstBackoffs ?? 0) + 1, lastSuccessAt: null }
  const wallAt = info.sentAt ?? now
  s = { ...s, paceLog: sentLog(s, wallAt) }
  const wallPace = paceAt(s, wallAt)
  const resumeAt = Math.max(now, cooldownUntil)
  const stated = Math.max(now, pausedFor(info.retryAfterMs)) - now
  const d: Decision = decideAtWall(c, s, now, wallAt, wallPace, stated, info.soft === true)
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
    burstBackoffs: 0,
    burstS: d.burstS ?? s.burstS
  }
}
