/**
 * When did the server's quota window start? (pure) Rate-limit headers state the time to reset in
 * whole seconds (rounded up, as express-rate-limit and @fastify/rate-limit do; epoch-second resets
 * likewise), so a quota exhausted a few milliseconds before its 1 s window ends reads "reset in 1 s":
 * pausing that long loses up to a whole window. `remaining` going up between two requests (in send
 * order) marks a new window, opened when that request reached the server (about halfway through its
 * round trip): the quota is restored no later than a window after it.
 *
 * @since 0.2.0
 */

/** Requests by which `remaining` may go up without a new window (out-of-order arrivals). */
const JITTER = 4

/**
 * One header reading: when its request was sent, what remained, in which partition.
 *
 * @since 0.2.0
 * @category models
 */
export interface Reading {
  readonly sentAt: number
  /** When its answer came: the request reached the server about halfway. */
  readonly at: number
  readonly remaining: number
  /** The quota per window, when stated: it tells a small quota from a sliding log's slow rise. */
  readonly limit?: number | undefined
  readonly partition: string | null
  /**
   * The shortest one way (half the shortest round trip), when known: its answer left the server at
   * least this long before `at`. Without it, the request is taken to have reached the server halfway.
   */
  readonly oneWayMs?: number | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export interface WindowState {
  readonly headerLast: Reading | null
  /** When the current window opened at the server (estimated), or `null`. */
  readonly windowStartAt: number | null
  /**
   * That start was seen as `remaining` jumping up (a quota restored at once: a fixed window), not only
   * as the first reading (a sliding log's first reading looks the same).
   */
  readonly windowJumped?: boolean | undefined
  /**
   * Windows seen opening in a row, each about a window after the one before (absent: none): a stated
   * window doing so is a fixed one (a sliding log's quota comes back at once only after a burst).
   */
  readonly windowJumps?: number | undefined
}

/**
 * Record a reading of a quota of window `windowMs` (when known). A reading sent before the last one
 * (answers overtake each other) is ignored; one of another partition restarts the tracking.
 *
 * @since 0.2.0
 * @category transitions
 */
export const record = (s: WindowState, r: Reading, windowMs?: number): WindowState => {
  const last = s.headerLast
  // A stated quota that changed, read near full, is a window opening under it (a limit dropped 50 -> 20
  // read 18 of 20 after 21 of 50: never a rise, the window unseen and its end met as walls).
  // Near full: the upper half at least (under a small quota `limit - 1 - JITTER` is none).
  const renewed = last !== null && r.limit !== undefined && last.limit !== undefined && r.limit !== last.limit &&
    r.remaining >= Math.max(r.limit / 2, r.limit - 1 - JITTER)
  const same = last !== null && last.partition === r.partition && !renewed
  // Answers reach the server out of send order: `remaining` jitters by a few. A new window restores
  // the quota at once, a jump far above that; under a small quota (<= JITTER left after the jump)
  // no rise beats the jitter, so there only a rise from an exhausted reading counts (a quota of 1
  // reads 0 every time: its windows never show). The cap follows the stated quota, not the reading:
  // a sliding log restores a large quota one request at a time, and a rise from 0 to 2 there is no
  // new window (capped by that reading, the pause ended a window after it: 54% of a 1 s log of 50).
  const jitter = Math.min(JITTER, r.limit === undefined ? r.remaining - 1 : r.limit - 2)
  // A stated quota's new window reads its upper half: a rise below it is jitter (5 then 12 of 50, 100-300
  // ms away, read as a window opening, paused the key until its end: a window of 15, and a wall after).
  // A rise by a quarter of a stated quota is no jitter either, whatever was left: a 1 s window 100-300
  // ms away left 20-28 unspent before the next opened at 49, unseen (a rise by half of it was asked),
  // and every other window went unseen for seconds, paused as a log's: windows of 30 (8 seeds, docs
  // right 83.9 -> 86.7%, 429s 0.09 -> 0).
  const jump = same && r.remaining > last.remaining + Math.max(jitter, Math.min(r.remaining / 2, r.limit === undefined ? Infinity : r.limit / 4)) && (r.limit === undefined || r.remaining >= r.limit / 2)
  // A reading sent before the last one is ignored, but for a jump: it reached the server after the
  // last one did, in a newer window (a 1 s window 100-300 ms away: its first requests' answers, sent
  // before the old window's last ones, were ignored, and the window dated from a later one, ~250 ms late).
  // A rise by half the quota: within a window, answers out of send order rise by what was sent between.
  if (last !== null && r.sentAt < last.sentAt && !(jump && r.limit !== undefined && r.remaining > last.remaining + r.limit / 2)) return s
  if (same && straggler(s, r, last, jitter)) return s
  // The first reading of a stated quota's first half dates its window's start at the latest (the
  // first request of all opens GitHub's and express-rate-limit's): unseen, an exhausted first window
  // waited for its reset, a second late when stated as an epoch second. Not only the first unit's:
  // answers overtake each other (at 100 rps 50-100 ms away the first answered took the 2nd to 5th).
  // Dated late (a window opened before, by another client), its end is capped by the stated reset.
  const opened = !same && r.limit !== undefined && r.remaining >= r.limit / 2
  // A start more than two windows before this request tells nothing of the window it reached (a
  // bucket's first reading is never followed by a jump); one only seen as the first reading, more than
  // one window before: the window it opened has ended, the next one opened unseen (kept, an exhausted
  // reading a window on read as restored already: a 10 s log of 1000 spent at once 12 s after its
  // first request paused 0 ms, not 9 s). By send time: a request sent within that window and reaching
  // the server after it is read as within it (restored already: a log spending its quota evenly has
  // its next unit back soon; paused until the whole-second reset, a 1 s IETF log lagged lost 3 points).
  // A start after this answer, or none (NaN, ±Infinity: a corrupted stored state), is no window's
  // (kept, no reading sent before it paused).
  const start0 = s.windowStartAt
  const kept = same && start0 !== null && Number.isFinite(start0) && start0 <= r.at &&
    r.sentAt <= start0 + (s.windowJumped === true ? 2 : 1) * (windowMs ?? Infinity)
  // A jump within half a window of the window seen opening is that window's (read again after a straggler).
  const again = jump && s.windowJumped === true && start0 !== null && Number.isFinite(start0) && windowMs !== undefined &&
    reachedBy(r) - start0 < windowMs / 2
  const start = again ? start0 : jump || opened ? reachedBy(r) : kept ? start0 : null
  const jumped = jump || (kept && !opened && s.windowJumped === true)
  return { headerLast: r, windowStartAt: start, windowJumped: jumped, windowJumps: jumped ? jumpsAfter(s, jump && !again, start, windowMs) : 0 }
}

/**
 * Windows seen opening in a row after one opening at `start` (`opens`): one more when the window before
 * was seen opening a window before it (within a quarter of a window), otherwise the first.
 */
const jumpsAfter = (s: WindowState, opens: boolean, start: number | null, windowMs: number | undefined): number => {
  const n = typeof s.windowJumps === "number" && Number.isFinite(s.windowJumps) ? s.windowJumps : 0
  if (!opens) return n
  const since = start === null || s.windowStartAt === null ? NaN : start - s.windowStartAt
  const rhythm = s.windowJumped === true && windowMs !== undefined && Math.abs(since - windowMs) <= windowMs / 4
  return rhythm ? n + 1 : 1
}

/**
 * A reading of the window before the one seen opening: sent after that window's first reading, it
 * reached the server before it (a way 100-300 ms long varies by more than the requests' spacing), and
 * reads far less left. Taken as the last reading, the next one of the open window read as a jump: its
 * start dated a few hundred ms late, and the pause at its end (late as much) left the next window's
 * first sends unsent (a 1 s window, 100-300 ms away: windows of 37-42 of 50).
 */
const straggler = (s: WindowState, r: Reading, last: Reading, jitter: number): boolean => {
  const start = s.windowStartAt
  return s.windowJumped === true && start !== null && Number.isFinite(start) && r.sentAt + (r.oneWayMs ?? 0) <= start &&
    r.remaining + Math.max(jitter, last.remaining / 2) < last.remaining
}

/**
 * The latest instant the request of `r` reached the server: its answer left at least a shortest one
 * way before it came. Dated halfway instead, a window's start was as often early as late, and a pause
 * until the end of a window dated early met the wall there (a whole-second Retry-After: 5% of 20 s).
 */
const reachedBy = (r: Reading): number => {
  const oneWay = r.oneWayMs
  return oneWay !== undefined && Number.isFinite(oneWay) && oneWay >= 0 && oneWay <= (r.at - r.sentAt) / 2
    ? r.at - oneWay
    : (r.sentAt + r.at) / 2
}

/**
 * A reading sent before the window seen opening (a jump) may have reached the server in the window
 * before it (a way 100-300 ms long varies by more than the requests' spacing): what it left says
 * nothing of the open window (read as exhausted, it paused until a reset a whole window away).
 *
 * @since 0.3.0
 * @category predicates
 */
export const sentBefore = (s: WindowState, sentAt: number): boolean =>
  s.windowJumped === true && s.windowStartAt !== null && sentAt < s.windowStartAt &&
  // A start after the last answer, or none (NaN, ±Infinity): a corrupted stored state, no window's.
  Number.isFinite(s.windowStartAt) && s.windowStartAt <= (s.headerLast?.at ?? -Infinity)

/**
 * When an exhausted quota is restored: the stated reset, or sooner when the window seen opening at
 * `windowStartAt` (and lasting `windowMs`) ends before it; `now` when that window has ended already
 * (its last request took the last unit of the quota).
 *
 * @since 0.2.0
 * @category math
 */
export const restoredAt = (s: WindowState, resetAt: number, windowMs: number | undefined, now: number): number => {
  const end = s.windowStartAt === null || windowMs === undefined ? NaN : s.windowStartAt + windowMs
  // No window's end (a corrupted stored start or window: NaN, ±Infinity): the stated reset.
  return Number.isFinite(end) ? Math.min(resetAt, Math.max(now, end)) : resetAt
}

/**
 * The whole-second window a time-to-reset read at `now` allows (ms): a reset stated as an epoch second
 * (`epochS`: GitHub, express-rate-limit's legacy `X-RateLimit-Reset`) was rounded up to it, so the
 * window's true end lies within the second before it, and the reading of a window's first request
 * reads up to a second more than the window: the shortest window it allows is the reading rounded down
 * (rounded to the nearest, every other 10 s window read 11 s, paced 9% below its quota). A reset stated
 * relative to `now` is whole seconds already (or precise, as epoch milliseconds): rounded to the
 * nearest. The parser knows which (guessed from a reset landing on a whole second, one of 1000 stated
 * from now, or in epoch ms, was rounded down: a 9.6 s reset read as 9 s).
 *
 * @since 0.2.0
 * @category math
 */
export const windowOfReset = (resetAt: number, now: number, epochS: boolean): number => {
  const s = (resetAt - now) / 1000
  return (epochS ? Math.floor(s) : Math.round(s)) * 1000
}
