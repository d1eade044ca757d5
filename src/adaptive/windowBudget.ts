/**
 * A fixed window's committed budget (pure): how many requests the key may still send into the window
 * seen opening at `start` (`quotaWindow.ts`). Each answer reads `remaining` less the requests sent
 * since its own was; answers overtake each other and the count of those sent since is an estimate,
 * so a later answer of the same window may read more left than an earlier one did. Taken as read, one
 * left slowed the pace, the next answer (counting the slow pace back over its whole age) read ~8 left
 * and restored the full pace: the pause flapped (49 -> 16 -> 49) and, 100-300 ms away, sent past the
 * quota. Committed, a budget only goes down within its window: a later answer may lower it, never
 * raise it; the requests sent since it was committed are spent from it.
 *
 * @since 0.3.0
 */

/**
 * @since 0.3.0
 * @category models
 */
export interface Budget {
  /** The start of the window it belongs to (its identity). */
  readonly start: number
  /** Requests left for the window as of `at`. */
  readonly left: number
  readonly at: number
}

/** A stored budget is data from outside (a shared store): a malformed one is none. */
const sane = (b: Budget | null | undefined): b is Budget =>
  b !== null && b !== undefined && Number.isFinite(b.start) && Number.isFinite(b.at) && Number.isFinite(b.left) && b.left >= 0

/**
 * The budget after an answer read at `now`: `fresh` left by that answer (its `remaining` less the
 * requests sent since its own), `spent` sent since the previous budget was committed (its `at`). The
 * window opened at `start`; a budget of another window (or a later-dated one) is not carried.
 *
 * @since 0.3.0
 * @category math
 */
export const commit = (prev: Budget | null | undefined, start: number, fresh: number, now: number, spent: number): Budget => {
  const carried = sane(prev) && prev.start === start && prev.at <= now ? prev.left - Math.max(0, spent) : Infinity
  const left = Math.min(Number.isNaN(fresh) ? 0 : fresh, carried)
  return { start, left: Math.max(0, left), at: now }
}

/**
 * The pace that spends `left` requests evenly by `end` (ms), within `[floor, cap]` (per second):
 * spread until the window's end, the window fills to its quota where a pace one below it left its
 * last units unsent. `end` passed: the cap (what is left goes at the fastest allowed pace).
 *
 * @since 0.3.0
 * @category math
 */
export const paceFor = (left: number, now: number, end: number, floor: number, cap: number): number => {
  const lo = Math.min(floor, cap)
  if (!(end > now)) return cap
  const p = (Math.max(0, left) * 1000) / (end - now)
  return Number.isFinite(p) ? Math.min(cap, Math.max(lo, p)) : cap
}
