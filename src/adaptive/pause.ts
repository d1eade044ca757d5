/**
 * A wall's pause made longer by a later answer of the same burst (pure). With a round trip of 100 ms
 * or more, answers of requests sent before the wall keep arriving after it, and a whole-second
 * Retry-After counted from a later answer ends later: the limiter pauses until then, and the instants
 * counted from the resume (when the plateau counts as settled, the next probe) move with it, else a
 * wall met right after the real resume reads as one long after it (a stray one).
 *
 * The pace log and the open cycle keep the resume first decided, unless the answer came before it
 * and moves it by `MOVED_MS` or more (an HTTP-date a second later). Moved too, the fit read a slow
 * start and the pause after its wall as a far bigger bucket at a far lower rate (measured, 32 fibers 50-100
 * ms away: a 0.2 s bucket with the docs overstated 84 -> 80%, worst seed 74 -> 55%; a 1 s sliding
 * log 67 -> 56%): two cycles that both start with a full bucket hardly separate rate from burst, and
 * a few ms of delay jitter then move the rate a lot.
 *
 * @since 0.2.0
 */
import type { AimdState } from "./aimdState.js"
import * as BaseRtt from "./baseRtt.js"
import { withPace } from "./paceLog.js"

/**
 * A later answer that moves the pause by at least this much moves the open cycle's resume (and the
 * pace log's) with it. HTTP-dates have whole-second resolution: answers of one burst straddling a
 * second state resumes a second apart, and a fit replaying a pace that resumed a second early read
 * the rate ~7% high (32 fibers 100-300 ms away, a 0.2 s bucket of 50 fitted 53.6, moved 49.4; docs
 * understated 64.0 -> 67.4%). Shorter moves (a round trip's spread) stay as first decided (moved, the
 * same net's whole-second buckets lost up to 4.5 points), and so do moves after the slow start's wall
 * (above; a 0.5 s bucket answering HTTP-dates, docs overstated, 84.7 -> 80.2%). Not when no cycle is
 * kept yet (the slow start's had fewer than 10 successes): the next wall's fit pairs this cycle with a
 * later one from a whole pause, and resumed 160 ms early at 75 (answers of the slow start's burst
 * still coming, 32 fibers 50-100 ms away) its 0.1 s bucket of 50 read as 23-46 (docs overstated, 8
 * seeds: 77.4 -> 83.0%).
 */
const MOVED_MS = 500

/**
 * Whether the pace resumed within a round trip of the last decision (no pause, or a Retry-After
 * shorter than the round trip: an HTTP-date already near, a precise one): what it sent then met the
 * bucket the old pace's requests, still on their way, kept empty.
 *
 * @since 0.2.0
 * @category predicates
 */
export const resumedInFlight = (s: AimdState): boolean => {
  if (s.lastDecreaseAt === null) return false
  // The decision's own resume (its cycle's, unless a later answer moved it: see `extendPause`).
  const resumed = s.cycle?.start === "empty" ? s.cycle.resumeAt : s.cooldownUntil
  return resumed < s.lastDecreaseAt + (s.rttMs ?? 0)
}

/** A wall's pace this many times the docs or more: a slow start ramped past them (`rampHold`)… */
const RAMPED = 2
/**
 * …with this many requests in flight at it (100/s over a round trip of 250 ms). Nearer, the round trip's
 * spread is too short a share of it, and a 429 past the spread was often still the ramp's: from 10 in
 * flight, 32 fibers 50-100 ms away lost 0.8 points against a 0.2 s bucket (precise Retry-After or none,
 * docs understated, 8 seeds), and 8 fibers on a blocked loop 0.9 against nginx 429.
 */
const RAMP_IN_FLIGHT = 25

/**
 * Whether `s` holds below the slow start's wall (its cycle the last kept: not once a hold's cycle was
 * fitted), met at `RAMPED` times the `documented` rate or more: a guess a quarter
 * below a pace the ramp overshot the server by up to twice (a 1 s bucket of 50, docs understated 5x:
 * a ramp to 100, held at 75), its round trip's answers still coming. A 429 sent after the decision by
 * more than the round trip's spread (`BaseRtt.spreadMs`) met the held pace, not the ramp's burst: a new
 * wall (`inLastBurst`), and the cycle that short says nothing to a fit (`wallDecision.ts`). Waiting the
 * whole round trip, the hold at 75 went on another round trip and its next wall's cycle, read as clean,
 * fitted 74 (32 fibers 100-300 ms away, 8 seeds: 429s 6.90 -> 4.72%, goodput 104.6 -> 104.9%).
 *
 * @since 0.3.0
 * @category predicates
 */
export const rampHold = (s: AimdState, documented: number): boolean => {
  const wall = s.lastDecreaseRate ?? 0
  return s.phase === "hold" && wall >= RAMPED * documented && ((s.rttMs ?? 0) * wall) / 1000 >= RAMP_IN_FLIGHT &&
    s.cycles[s.cycles.length - 1]?.start === "full"
}

/**
 * Whether a wall met by a request sent at `sentAt` is part of the burst the last decision acted on,
 * not news about the pace since: sent before it, or within a round trip of it when the pace resumed
 * that soon (`resumedInFlight`: against nginx 503s 200-600 ms away, each such wall cut the pace by
 * another quarter, three times in a row; a 0.2 s bucket answering an HTTP-date 1 ms away, 32 fibers
 * 50-100 ms away, cut the docs' plateau 10% for the run: 98.4 -> 88.9%), or before the open cycle's
 * resume (a later answer moved it past what was sent in that round trip). Within the spread only
 * after a ramp's wall (`rampHold`), a bare 503 excepted (told from noise by its share).
 *
 * @since 0.2.0
 * @category predicates
 */
export const inLastBurst = (s: AimdState, sentAt: number, documented: number, soft: boolean): boolean => {
  if (s.lastDecreaseAt === null) return false
  const rtt = s.rttMs ?? 0
  const inFlightMs = resumedInFlight(s) ? (!soft && rampHold(s, documented) ? Math.min(rtt, BaseRtt.spreadMs(s)) : rtt) : 0
  return sentAt < s.lastDecreaseAt + inFlightMs || (s.cycle?.start === "empty" && sentAt < Math.min(s.cycle.resumeAt, s.cooldownUntil))
}

/**
 * `s` paused until `until` (later than its cooldown): settling and probing move by as much when they
 * were counted from the resume.
 *
 * @since 0.2.0
 * @category transitions
 */
export const extendPause = (s: AimdState, until: number, now: number): AimdState => {
  const from = s.cooldownUntil
  if (until <= from) return s
  const shift = (t: number) => (t >= from ? t + (until - from) : t)
  const r = s.cycle?.resumeAt
  const open = s.cycle !== null && r !== undefined && r >= s.cycle.from
  const far = open && until - r >= MOVED_MS
  // A pause `MOVED_MS` or more past the resume (an HTTP-date rounded to the next second), told before
  // it: the open cycle resumes there, as the pace did, unless its other cycle is the slow start's (see
  // `MOVED_MS`). Told after it, the pace resumed and sent: that stays in the log. A cycle with no
  // other kept (the slow start's, or a limit change's, had too few successes) resumes where the pace
  // did whatever the move (see `MOVED_MS`).
  const moved = open && now < r && (s.cycles.length === 0 || (far && s.cycles[s.cycles.length - 1]?.start === "empty"))
  // Told after a resume within a round trip of the wall: what was sent since met the same burst's
  // empty bucket; the cycle resumes at the new end, and the log pauses from now to it.
  const shadow = far && !moved && now >= r && resumedInFlight(s)
  const logged = shadow ? withPace(withPace(s, 0, now), s.rate, until) : s
  return {
    ...logged,
    ...(moved ? { cycle: { ...s.cycle!, resumeAt: until }, paceLog: s.paceLog.map(([t, p]) => [t === r ? until : t, p] as const) } : {}),
    ...(shadow ? { cycle: { ...s.cycle!, resumeAt: until } } : {}),
    settledAt: shift(s.settledAt),
    probeAt: shift(s.probeAt),
    cooldownUntil: until,
    holdUntil: Math.max(s.holdUntil, until)
  }
}

/** Round trips after resuming that a range a fit left open waits for before its probe (`openRangeDelay`). */
const OPEN_RANGE_RTTS = 15

/**
 * How long after resuming a range a decision left open is probed: `recoveryMs`, or after a fit
 * `OPEN_RANGE_RTTS` round trips if sooner. A fit too low sat there `recoveryMs` (a 0.5 s bucket, docs
 * understated 5x: fitted 37 for 50 from 5.4 to 9.4 s; 86.2 -> 90.2%). Far away the answers still on
 * their way after the pause met the probe's wall: probed at once 100-300 ms away, a 1 s bucket, docs
 * understated, 95.2 -> 91.7%; after 10 round trips 50-100 ms away, a 0.1 s bucket 73.6 -> 70.5%.
 * No round trip known (a client never passing `sentAt`): how far away is unknown, `recoveryMs`.
 *
 * @since 0.2.0
 * @category math
 */
export const openRangeDelay = (recoveryMs: number, rttMs: number | null, fitted: boolean): number =>
  fitted && rttMs !== null ? Math.min(recoveryMs, OPEN_RANGE_RTTS * Math.max(0, rttMs)) : recoveryMs
