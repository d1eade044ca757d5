/**
 * Reads a window quota (a sliding log, a fixed window: `N` requests per window) from two walls
 * (pure). A bucket fit reads such walls as a far lower rate with a big bucket: after a pause as long
 * as the window, a sliding log accepts its whole quota at any pace above it, then nothing, which is
 * what a bucket holding the quota and refilling slowly does too (a 1 s log of 50 walled at 99 rps
 * was fitted at 34 rps and held there 30 s). A bucket accepts more the closer the pace is to its
 * rate; a window accepts the same count whatever the pace. So two cycles that each started with an
 * empty window (the start of traffic, or a pause at least as long as the later one) and accepted the
 * same count at paces well apart read as a quota of that count per pause at least: the rate is at
 * least `accepted / pause`. A bucket paced far above its rate accepts about its burst whatever the
 * pace, too: the reading stays below its rate when its burst is at most half what the pause refills
 * (a 0.5 s bucket answering whole seconds), at most 20% above when it holds all of it (a bucket of
 * 1 s); so the reading only raises a decision below it (`decideAtWall`), and the walls correct it.
 * The counts must agree within 2% (exactly below 50) at paces 20% apart or more: a bucket's differ
 * unless both paces are far above its rate.
 *
 * @since 0.2.0
 */
import type { Cycle } from "./bucketFit.js"

/** Fewer accepted: a request more or less is more than the tolerance. */
const MIN_ACCEPTED = 10
/**
 * The counts agree within this share (exactly below 50: a request more or less at a few tens moved a
 * bucket's reading up to 60% above its rate)…
 */
const SAME_COUNT = 0.02
/** …at paces at least this share apart. */
const PACES_APART = 0.2
/** Paces this share apart suffice when both cycles are read by their last window (see `windowRate`). */
const LAST_WINDOWS_APART = 0.1
/**
 * At most this many answers are taken for late: 100-300 ms away a round trip holds tens, and so
 * credited, a 1 s bucket 32 fibers away, docs overstated, was read as a window (91.5 -> 88.9%, 429s
 * 2.8 -> 4.1%).
 */
const LATE_MAX = 2
/**
 * …and only from counts of this many: below, 2 requests are more than a bucket's counts differ by
 * between paces 20% apart (a 1 s bucket of 4.8 per second walled at 1.6 and 2 times it: 12 and 10 accepted,
 * read as 12 per second).
 */
const LATE_MIN_COUNT = 50
/** Neither cycle lasted longer than this many pauses (a window is at most one). */
const WITHIN_PAUSES = 2
/**
 * A shorter pause (none, a fraction of a second) is no window's: without a Retry-After the cycle's
 * pause is only the round trip.
 */
const MIN_PAUSE_MS = 1000

/** Whether a cycle began with an empty window: the start of traffic, or after a pause nearly `pauseMs` long. */
const windowCycle = (cycle: Cycle, pauseMs: number): boolean =>
  cycle.start === "full" || cycle.resumeAt - cycle.from >= pauseMs * 0.9

/**
 * The rate a window quota that explains both cycles has at least, or `undefined` when they do not
 * read as one. `prevPace` and `lastPace`: the paces their walls were met at. `prevLastWindow`, when
 * given: what was sent in the last pause before `prev`'s wall, taken for its count when `prev` lasted
 * longer than two pauses (a slow start of seconds: a window at its wall held what the last window
 * sent). A reading from it is weaker: a bucket's last window before a wall holds its rate's share and
 * its burst, and its next cycle at `r + burst / pause` accepts as many (a 0.5 s bucket of 50 whose
 * slow start met the wall at 100, resumed at 75: read as 74), so the caller only keeps under it.
 * `lastWindow`, likewise for `last` when it lasted longer than two pauses too (a hold and its probe,
 * 32 fibers away: a 1 s log's walls at 53 and 49 read as a bucket, held at 44), read only with
 * `prevLastWindow`; paces `LAST_WINDOWS_APART` apart suffice: a log's last second before its walls
 * sent 49.0-50.6 at 52-62, a 0.2 s bucket of 50's 53.2-57.8 at 57-72, 3-7% apart.
 *
 * @since 0.2.0
 * @category math
 */
export const windowRate = (
  prev: Cycle,
  last: Cycle,
  prevPace: number,
  lastPace: number,
  prevLastWindow?: number,
  late = 0,
  lastWindow?: number
): number | undefined => {
  const pauseMs = last.resumeAt - last.from
  const long = prev.wallAt - prev.resumeAt > pauseMs * WITHIN_PAUSES
  const lastLong = last.wallAt - last.resumeAt > pauseMs * WITHIN_PAUSES && lastWindow !== undefined && long && prevLastWindow !== undefined
  const [a, b] = [long && prevLastWindow !== undefined ? Math.round(prevLastWindow) : prev.accepted, lastLong ? Math.round(lastWindow) : last.accepted]
  if (a === undefined || b === undefined || last.start !== "empty" || Math.min(a, b) < MIN_ACCEPTED) return undefined
  const emptied = windowCycle(prev, pauseMs)
  // A window holds what it accepted within it: a cycle much longer than the pause (a slow start of
  // seconds) accepted more than a window's quota, and its count matching is chance.
  const within = (!long || prevLastWindow !== undefined) && (lastLong || last.wallAt - last.resumeAt <= pauseMs * WITHIN_PAUSES)
  // The last count may lack answers still on their way at its wall (`late`), never hold more: a
  // round trip of 10-50 ms and a busy event loop left a 1 s log's 50 counted as 48, and the hold
  // below it met the log's wall at 97% of its quota and fitted it at 27-33 (`blocked` net).
  const short = a >= LATE_MIN_COUNT ? Math.max(0, Math.min(late, LATE_MAX, a - b)) : 0
  const same = Math.abs(a - b - short) <= SAME_COUNT * Math.max(a, b)
  const apart = Math.abs(prevPace - lastPace) >= (lastLong ? LAST_WINDOWS_APART : PACES_APART) * Math.max(prevPace, lastPace)
  return emptied && within && same && apart && pauseMs >= MIN_PAUSE_MS ? ((b + short) * 1000) / pauseMs : undefined
}

/**
 * The documented rate read as a window quota (pure): `documented` per second, so
 * `documented × secs` per window of `secs` seconds, when the cycle that met the wall began with an
 * empty window, lasted at most two pauses and accepted that count (up to `SAME_COUNT` fewer, exactly
 * below 50; never more), the next pause (`pauseMs`) lasting at least a second. A window accepts its quota whatever the
 * pace; a bucket's count depends on its burst and on how fast the pace ramped (a slow start from 50
 * against buckets of 50 holding 0.1 to 2 s: 28, 43, 77, 121, 197; 35 to 233 with 32 fibers far
 * away), so the docs and the count agreeing read as a window, which a pace just below its quota
 * overruns at every stall of the server (a 1 s log of 50, docs right: a wall every ~4 s, 81%): the
 * window gate keeps under it. `undefined` when they do not agree. `late`: answers that may still be on
 * their way, also missing from the count (a second reading: `wallDecision.ts`). `slid`: what the window
 * freed while the cycle outlasted it, counted on top of the quota (a second reading, `wallWindow.ts`).
 *
 * @since 0.2.0
 * @category math
 */
export const documentedWindow = (cycle: Cycle, documented: number, pauseMs: number, secs: number, late = 0, slid = 0): number | undefined => {
  const quota = Math.round(documented * secs)
  const a = cycle.accepted
  if (a === undefined || a < MIN_ACCEPTED || pauseMs < MIN_PAUSE_MS || !windowCycle(cycle, pauseMs)) return undefined
  const within = cycle.wallAt - cycle.resumeAt <= pauseMs * WITHIN_PAUSES
  // Never above it: answers still on their way at the wall only add to the count (a 0.2 s bucket's
  // slow start 32 fibers 50-100 ms away counted 51 of the docs' 50, a 1 s log's 49 or 50).
  return within && a <= quota + slid && quota - a <= SAME_COUNT * quota + late ? quota : undefined
}

/**
 * A window quota `quota` per `windowMs` already kept under, read again after the limit changed
 * (pure): the count a cycle accepted from an empty window (its pause at least nearly the window) up to
 * a wall within one window of resuming, when lower. A window accepts its quota whatever the pace, so
 * one such cycle is the new quota: re-learned as a bucket (from half the pace, then a probe), a 1 s
 * log dropped 50 -> 20 met two walls more. `undefined` when the cycle does not read so (a bucket
 * misread as a window accepts its burst and its rate's share: fewer than `MIN_ACCEPTED` at twice
 * its rate, or its wall comes later than a window), nor when the answers still on their way (`late`,
 * as `windowRate`'s) may make up the old quota: far away a 1 s log of 50 counted 44 at its wall.
 *
 * @since 0.2.0
 * @category math
 */
export const changedQuota = (cycle: Cycle, quota: number, windowMs: number, late = 0): number | undefined => {
  const a = cycle.accepted
  if (a === undefined || cycle.start !== "empty" || a < MIN_ACCEPTED || a + late >= quota) return undefined
  const emptied = cycle.resumeAt - cycle.from >= windowMs * 0.9
  const within = cycle.wallAt - cycle.resumeAt <= windowMs
  return emptied && within ? a : undefined
}

/**
 * The closed cycles with the success of a request sent at `sentAt` answered after the last one's
 * wall was decided counted in it when it was sent there (before that wall): answers come out of
 * order by a round trip's spread, and the count at the decision missed them (a 1 s log of 50 walled
 * by a slow start 100-300 ms away: 44 counted).
 *
 * @since 0.2.0
 * @category transitions
 */
export const lateSuccess = (cycles: ReadonlyArray<Cycle>, sentAt: number): ReadonlyArray<Cycle> => {
  const last = cycles[cycles.length - 1]
  if (last?.accepted === undefined || sentAt >= last.wallAt || (last.start === "empty" && sentAt < last.resumeAt)) return cycles
  return [...cycles.slice(0, -1), { ...last, accepted: last.accepted + 1 }]
}
