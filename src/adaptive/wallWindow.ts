/**
 * The window quota a wall reads (pure): the decision of `wallDecision.ts` kept under what the last
 * walls (or the docs' quota per window) say a window holds, and never below it.
 *
 * @since 0.2.0
 */
import type { AimdConfig, AimdState } from "./aimdState.js"
import type { Cycle } from "./bucketFit.js"
import { paceAt, sentBetween } from "./paceLog.js"
import { type Decision, decideInner } from "./wallDecision.js"
import * as WindowGate from "./windowGate.js"
import { changedQuota, documentedWindow, windowRate } from "./windowQuota.js"

/**
 * The window a wall-read quota is kept under (`windowGate.ts`) is padded by this share: the decision
 * times the gate logs are estimates (a 1 s log of 50 gated at exactly 1 s met a wall on half the
 * seeds, 93.2 -> 88.8%; 2% padded, 90.2%).
 */
const WINDOW_PAD = 1.005
/** How far above a documented window quota the pace tests it (see `decideAtWall`). */
const WINDOW_TEST = 0.05

/** The window a quota read at `rate` over a pause `spanMs` long is kept under (see `decideAtWall`). */
const windowOf = (rate: number, spanMs: number) => ({
  // Rounded: the count is whole, and a float product (50 per 1.099 s) must not floor to 49.
  quota: Math.round((rate * spanMs) / 1000),
  windowMs: Math.max(1000, Math.floor(spanMs / 1000) * 1000) * WINDOW_PAD
})

const sameWindow = (g: WindowGate.Gate, w: { readonly quota: number; readonly windowMs: number }) =>
  g.quota === w.quota && g.windowMs === w.windowMs

/**
 * The docs' quota per window the cycle `last` met at this wall (`documentedWindow`), while the docs
 * stand or their quota is under test (`tested`): its wall may come after the test's step, a round
 * trip late, whatever it says of the docs. The window: the pause's whole seconds, from the wall's send.
 */
const documentedQuota = (c: AimdConfig, s: AimdState, d: Decision, last: Cycle, now: number, wallAt: number, wallPace: number, pauseMs: number) => {
  const testing = s.windowGate !== null && s.windowGate !== undefined && !s.windowGate.armed
  if (!(d.priorValid || testing) || d.stray) return undefined
  const secs = Math.max(1, Math.floor((now + pauseMs - wallAt) / 1000))
  // Under test, the answers to what was sent as late as this wall's answer came may still be on their
  // way (32 fibers 100-300 ms away: 46 of a log's 50 counted); the first reading, strict, chose it.
  const late = testing ? ((now - wallAt) * wallPace) / 1000 : 0
  // Under test, a cycle longer than the window (the test's step) also got what the window freed
  // meanwhile: a 1 s log of 50 probed at 52 walled 1.14 s in with 51 counted, read as no window, and
  // its plateau's walls were fitted as a bucket of 29 (32 fibers 100-300 ms away).
  const slid = testing ? Math.floor(((last.wallAt - last.resumeAt - secs * 1000) * c.initialRate) / 1000) : 0
  const quota = documentedWindow(last, c.initialRate, pauseMs, secs, late, Math.max(0, slid))
  return quota === undefined ? undefined : { quota, windowMs: secs * 1000 * WINDOW_PAD }
}

/**
 * The docs' quota per window the slow start's cycle (`prev`, the only one closed) read once its late
 * answers came in, at the first stray wall on the docs' plateau after it, no gate kept yet: its wall's
 * decision counted only the answers back then, and far away some are still on their way (32 fibers
 * 100-300 ms away, a 1 s log of 50: 44 counted, 50 later), so it missed the reading `documentedQuota`
 * makes when they are in, and the plateau's walls, ~1.4 s after each resume as a log's jitter meets
 * them, were fitted as a bucket of 28.
 */
const slowStartQuota = (c: AimdConfig, s: AimdState, d: Decision, prev: Cycle | undefined, prevPauseMs: number) => {
  if (!(d.stray && s.priorValid && s.cycles.length === 1 && prev?.start === "full") || s.windowGate != null) return undefined
  // The pause after the slow start's own wall (`spanMs`), as its wall's reading would have taken.
  const secs = Math.max(1, Math.floor(prevPauseMs / 1000))
  const quota = documentedWindow(prev, c.initialRate, prevPauseMs, secs)
  return quota === undefined ? undefined : { quota, windowMs: secs * 1000 * WINDOW_PAD }
}

/**
 * `d` made a plateau at `rate` kept under a window quota's pace `perWindow` (its ceiling), nothing
 * open above it to probe soon and the docs no longer the prior: what a quota read from the walls
 * decides (`aboveWindow`, `changedWindow`, `underGate`).
 */
const underQuota = (d: Decision, rate: number, perWindow: number, fitted: boolean): Decision =>
  ({ ...d, rate, phase: "steady", ceiling: perWindow, ceilingHigh: null, probeSoon: false, priorValid: false, fitted })

/**
 * The docs' quota read once, tested: one cycle cannot tell a window from a bucket holding about as
 * much (a 50/s bucket of 0.23-0.26 s also accepts ~50 by the slow start's wall; gated at once, it
 * paused ~600 times a run: 98.4 -> 95.8%). So the gate waits unarmed for a second cycle from an
 * empty window of the same count (`decideAtWall`): the pace resumes a step above the quota for a
 * window and a half (`aimd.ts`), which a window walls at that count again and a bucket holding a
 * quarter second or more of its rate absorbs; then the probe settles at the docs' plateau.
 */
const tested = (d: Decision, window: { readonly quota: number; readonly windowMs: number }): Decision => {
  const rate = WindowGate.perSecond(window) * (1 + WINDOW_TEST)
  return { ...d, rate, phase: "probe", ceiling: d.rate, ceilingHigh: rate, probeSoon: false, window: { ...window, armed: false } }
}

/**
 * A probe above the window quota the key keeps under (`windowGate.ts`) met the wall: what the quota
 * says, and no lower bound. The decision resumes at the quota, not below it: a bucket fit read the
 * probe's wall as a rate under the quota (a 1 s log dropped to 20, read as 20 per window, probed at
 * 23: fitted at 16 and held there 30 s). A limit that changed meanwhile meets the next wall there.
 * So does a hold above an armed quota (two cycles read it; a tested one is not armed): a cold 1 s
 * log of 50, docs overstated, held at 51.7 over a quota read as 50, was fitted at 25.5 with nothing
 * open above 38.8, and held 38.4 the rest of the run (3 seeds 86.3 -> 93.4%).
 *
 * @since 0.2.0
 * @category decisions
 */
export const aboveWindow = (c: AimdConfig, s: AimdState, wallPace: number, d: Decision): Decision => {
  const g = s.windowGate
  if (g === null || g === undefined || d.stray || !(s.phase === "probe" || (s.phase === "hold" && g.armed))) return d
  const perWindow = WindowGate.perSecond(g)
  const rate = perWindow * (1 - c.ceilingMargin / 2)
  return wallPace > perWindow && d.rate < rate
    ? underQuota(d, rate, perWindow, true)
    : d
}

/**
 * The decision for a wall met by a request sent at `wallAt`, paced at `wallPace`, observed at `now`,
 * pausing every caller `pauseMs` (its Retry-After, 0 without one).
 *
 * @since 0.1.0
 * @category transitions
 */
export const decideAtWall = (
  c: AimdConfig,
  s: AimdState,
  now: number,
  wallAt: number,
  wallPace: number,
  pauseMs: number,
  soft = false
): Decision => {
  const d = aboveWindow(c, s, wallPace, decideInner(c, s, now, wallAt, wallPace, pauseMs, soft))
  // A window quota the last two walls read as is a lower bound no other reading may undercut.
  const prev = s.cycles[s.cycles.length - 1]
  const last = s.cycle === null ? undefined : { ...s.cycle, wallAt, accepted: s.cycleAccepted ?? s.successesSinceDecrease }
  const late = ((now - wallAt) * wallPace) / 1000
  const quota = !d.stray && prev !== undefined && last !== undefined
    ? windowRate(prev, last, paceAt(s, prev.wallAt), wallPace, undefined, late)
    : undefined
  if (last === undefined) return d
  const reread = changedWindow(c, s, d, last, late) ?? underGate(c, s, d, wallPace, now)
  if (reread !== undefined) return reread
  const documented = documentedQuota(c, s, d, last, now, wallAt, wallPace, pauseMs)
  const g = s.windowGate
  // Read twice: a window of the docs' quota, kept under at the docs' plateau as if the slow start's
  // wall had been read so at once; before a reading of the walls' pause (a round trip longer than
  // the window: 50 per 1.13 s 32 fibers 50-100 ms away, held at 44).
  if (documented !== undefined && g !== null && g !== undefined && !g.armed && sameWindow(g, documented)) {
    const { cycles, probeGapMs } = d
    const rate = c.initialRate * (1 - c.ceilingMargin / 2)
    return { rate, phase: "steady", ceiling: c.initialRate, ceilingHigh: null, priorValid: true, cycles, probeGapMs, stray: false, probeSoon: false, window: documented }
  }
  // The window the gate keeps under (`windowGate.ts`): the pause counts from the wall's send, a round
  // trip before the Retry-After (whole seconds) began, so the window is its whole seconds at most. A
  // gate too loose only binds less; one too strict caps the pace below the quota (32 fibers 50-100 ms
  // away, 50 per 1.17 s: a 1 s log's drop 71.0 -> 69.3%).
  const spanMs = last.resumeAt - last.from
  // A slow start of seconds read by its last window: kept under, no floor (see `windowRate`). A 1 s
  // log, docs understated: 81.6 -> 87.2% (as a floor 90.6%, but a 0.5 s bucket's 87.7 -> 86.1%).
  // The last window is the pause's whole seconds (the gate's): over the pause itself, 32 fibers away,
  // a log of 50 per second read 57 per 1.17 s, a gate that never bound. A probe's long cycle too:
  // 8 seeds, 32 fibers away 77.1 -> 80.8%, a busy loop 80.6 -> 84.0%.
  const wholeMs = Math.max(1000, Math.floor(spanMs / 1000) * 1000)
  const weak = quota === undefined && !d.stray && prev !== undefined
    ? windowRate(prev, last, paceAt(s, prev.wallAt), wallPace, sentBetween(s.paceLog, prev.wallAt - wholeMs, prev.wallAt), 0, sentBetween(s.paceLog, wallAt - wholeMs, wallAt))
    : undefined
  // A window read there belies the burst a trusted first fit credited: its range is probed soon.
  const untrusted = d.trustedHigh === undefined ? d : { ...d, ceilingHigh: d.trustedHigh, probeSoon: true }
  if (weak !== undefined) return { ...untrusted, window: windowOf(weak, spanMs) }
  const slowStart = documented ?? slowStartQuota(c, s, d, prev, spanMs)
  if (quota === undefined) return slowStart === undefined ? d : tested(d, slowStart)
  return atLeast(c, d, quota, windowOf(quota, spanMs))
}

/**
 * When `d` holds below the wall with nothing learned (the limit changed: the change's wall, or the
 * hold's after it; or no fit yet), a window quota the key kept under is read again from the cycle
 * (`changedQuota`): a window accepted fewer than the quota kept under, whatever the reason:
 * the pace goes to the new quota, kept under, and the bucket learning is skipped (a 1 s log dropped
 * 50 -> 20, 8 seeds: 90.6 -> 93.9%, 32 fibers 50-100 ms away 79.3 -> 86.0%, a busy loop 85.3 -> 88.9%).
 */
const changedWindow = (c: AimdConfig, s: AimdState, d: Decision, last: Cycle, late: number): Decision | undefined => {
  const g = s.windowGate
  if (g === null || g === undefined || !g.armed || d.stray || d.phase !== "hold" || d.ceiling !== null) return undefined
  const quota = changedQuota(last, g.quota, g.windowMs, late)
  if (quota === undefined) return undefined
  const perWindow = WindowGate.perSecond({ quota, windowMs: g.windowMs })
  return { ...underQuota(d, perWindow * (1 - c.ceilingMargin / 2), perWindow, true), window: { quota, windowMs: g.windowMs } }
}

/** How many margins under an armed gate's quota walls met under it may move the plateau (`underGate`). */
const GATED_STEPS = 3.5

/**
 * A wall met while holding (after a wall, nothing probed yet) at a pace an armed gate in force kept
 * under its quota (`windowGate.ts`: two cycles read it) is a stall's or the jitter's, not the
 * quota's: the plateau moves one margin lower, not to a fit of the log's walls as a bucket (a 1 s log
 * of 50, docs overstated, a busy loop: a hold at 48.6 fitted at 33.7 and held at 39.2 the whole run),
 * at most `GATED_STEPS` margins below the quota. Only while holding: on the plateau or a probe a
 * bucket misread as a window met its own rate's walls under the quota, and the fit was right (0.2 s
 * and 0.5 s buckets of 50 read as 57 and 74 per window, docs understated: held at 54 and 69, one seed
 * of 8 84.5 -> 76.7%). Not a limit change's (a hold with nothing learned: `changedWindow` reads it).
 */
const underGate = (c: AimdConfig, s: AimdState, d: Decision, wallPace: number, now: number): Decision | undefined => {
  const g = WindowGate.sane(s.windowGate, now)
  if (g === null || !WindowGate.active(g, now) || s.phase !== "hold" || d.stray || (d.phase === "hold" && d.ceiling === null)) return undefined
  const perWindow = WindowGate.perSecond(g)
  const floor = perWindow * (1 - c.ceilingMargin * GATED_STEPS)
  const rate = Math.max(floor, Math.min(s.rate, perWindow) * (1 - c.ceilingMargin))
  if (wallPace > perWindow || d.rate >= rate || s.rate <= floor * 1.001) return undefined
  return underQuota(d, rate, perWindow, false)
}

/**
 * The decision kept under a window quota read from the walls (`quota` per second at least), and
 * never below it.
 */
const atLeast = (c: AimdConfig, d: Decision, quota: number, window: NonNullable<Decision["window"]>): Decision => {
  const rate = quota * (1 - c.ceilingMargin / 2)
  if (d.rate >= rate) return { ...d, window }
  // The range a probe was to explore above the decision's rate stays open above the quota's; the
  // docs' rate, below it, no longer stands.
  const open = d.probeSoon && d.ceilingHigh !== null && d.ceilingHigh > quota * 1.05
  return { ...d, rate, phase: "steady", ceiling: quota, ceilingHigh: open ? d.ceilingHigh : null, probeSoon: open, priorValid: false, fitted: true, window }
}
