/**
 * A bare backoff 5xx that `congestion.ts` did not take for a wall, from a server whose last wall was
 * such a failure (pure).
 *
 * The classifier needs several failures above their usual share before it calls one a wall, so a
 * pace a few % above a limit that answers bare 503s (nginx `limit_req`) went on unnoticed: a probe
 * step "held" with a 503 or two (the next step, twice as big, met the wall with ~5 more), and a
 * plateau 2-8% above the limit leaked one every second or so (2-4.5% of requests). Such a server has
 * shown its 503s are congestion, so one on a probe step ends the probe, back on the plateau that
 * held, and a leak on the plateau (failures in a chain, each within `LEAK_MS` of the last, apart by
 * more than one stall's bunch) moves it one margin lower, as a stray wall does. Both stay bounded
 * whatever the failures are: the plateau goes at most `STRAY_STEPS` margins below what was learned
 * (the plateau the last probe began from, when its steps took it higher), and a probe only stops, so
 * random 5xx on top of congestion cost probes, never a collapse.
 *
 * Not with more than `MAX_IN_FLIGHT` requests in flight: 32 fibers 100-300 ms away, the jitter alone
 * bunches arrivals into a chain of failures a few % lower does not stop (docs accurate 96.6 -> 94.5%,
 * and the probes stopped short sat below a dropped limit's wall: 4.5 -> 7.3% 503s).
 *
 * @since 0.2.0
 */
import type { AimdConfig, AimdState } from "./aimd.js"
import { withPace } from "./paceLog.js"
import { failedProbeGap, strayFloor } from "./wallDecision.js"

/**
 * The chain of soft failures on a plateau: the send time of its last link, and its links after the first.
 *
 * @since 0.2.0
 * @category models
 */
export interface Leak {
  readonly at: number
  readonly run: number
}

/** Failures sent closer than this are one bunch (a stall of the server, a wall's burst): one link… */
const BUNCH_MS = 250
/** …and a failure sent later than this after the last starts a new chain. */
const LEAK_MS = 2000
/** Links after the first that make a leak: two stalls within 2 s are common, three are not. */
const LEAK_RUN = 2
const MAX_IN_FLIGHT = 12
/** A probe step this far above the plateau leaves a range worth probing again soon. */
const WIDE_STEP = 1.1

/**
 * The chain after a failure of a request sent at `sentAt`.
 *
 * @since 0.2.0
 * @category transitions
 */
export const link = (leak: Leak | null, sentAt: number): Leak => {
  const gap = leak === null ? Infinity : sentAt - leak.at
  if (leak !== null && gap < BUNCH_MS) return leak
  return { at: sentAt, run: gap <= LEAK_MS ? leak!.run + 1 : 0 }
}

/**
 * @since 0.2.0
 * @category utils
 */
export const leaking = (leak: Leak): boolean => leak.run >= LEAK_RUN

/**
 * The state after a soft failure that was no wall, of a request sent at `sentAt`, seen at `now`.
 *
 * @since 0.2.0
 * @category transitions
 */
export const onSoftFailure = (c: AimdConfig, s: AimdState, sentAt: number, now: number): AimdState => {
  if (s.softWall !== true || s.ceiling === null || now < s.cooldownUntil) return s
  if ((s.rate * (s.rttMs ?? 0)) / 1000 > MAX_IN_FLIGHT) return s
  if (s.phase === "probe" && sentAt >= (s.probeStartedAt ?? Infinity)) {
    const wide = s.rate > s.ceiling * WIDE_STEP
    const gap = wide ? s.probeGapMs : failedProbeGap(s)
    return withPace(
      {
        ...s,
        phase: "steady",
        ceilingHigh: s.rate,
        probeAt: now + (wide ? c.recoveryMs : gap),
        probeGapMs: gap,
        probeStartedAt: null,
        settledAt: Math.max(s.settledAt, now)
      },
      Math.min(s.rate, s.ceiling),
      now
    )
  }
  if (s.phase !== "steady" || sentAt < s.settledAt) return s
  // A stored state is data from outside (a shared store): a malformed chain starts afresh.
  const prev = s.softLeak != null && Number.isFinite(s.softLeak.at) && Number.isFinite(s.softLeak.run) ? s.softLeak : null
  const leak = link(prev, sentAt)
  // A plateau a probe's steps reached held a second per step (a small burst hides a few % above the
  // limit that long: a dropped limit of 20 read as 22.6): a leak may take it back to where the probe began.
  const from = Number.isFinite(s.probeFrom) ? Math.min(s.ceiling, s.probeFrom!) : s.ceiling
  const rate = Math.max(strayFloor(c, from), s.rate * (1 - c.ceilingMargin))
  return leaking(leak) && rate < s.rate ? withPace({ ...s, softLeak: leak }, rate, now) : { ...s, softLeak: leak }
}
