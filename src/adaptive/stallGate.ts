/**
 * The server's stalls (pure). A server that stops deciding for a while (GC, a busy event loop)
 * decides what reached it meanwhile at once when it resumes: the requests the pace spread out take
 * its bucket's tokens together, and the next one, still at the pace, finds it empty. Against a
 * bucket of 0.1 s of the rate that is a wall, a whole Retry-After pause for every caller, after a
 * stall of a few requests. The answers the server held tell it: they come back together, later than
 * the usual round trip. One late answer alone is the network's tail (a retransmit, a slow path), no
 * stall: paused for, a heavy-tailed delay (5% of ways 3x) cost a 0.1 s bucket 50-100 ms away 9 points.
 * After two, on a plateau whose last wall paused, the pace waits a request's slot
 * (a limiter pause, not a wall): the bucket regains a token before the pace goes on, as a fixed
 * limiter ignoring answers would by losing the request. Half a slot did nothing (the next request
 * still found less than a token); against a bucket that absorbs the backlog the slot is lost
 * (about a stall's request: 0.5% of a 0.5 s bucket's cells).
 *
 * @since 0.2.0
 */

/**
 * An answer later than the usual round trip by more than this and than the round trip itself was
 * held (the network's own jitter stays within a round trip).
 */
const HELD_MS = 20

/**
 * By how much an answer that came back `rttMs` after it was sent was late, given the usual round trip
 * `usualMs`, when the server held it; `undefined` when it was not held (or no round trip is known).
 *
 * @since 0.2.0
 * @category math
 */
export const heldFor = (usualMs: number | null, rttMs: number): number | undefined =>
  usualMs !== null && rttMs - usualMs > Math.max(usualMs, HELD_MS) ? rttMs - usualMs : undefined

/**
 * Held answers coming back within this of each other came from one stall: the server decided them at
 * once. Two tail answers of a network meet so close seldom (5% of ways 3x at 50 per second: 2 held a
 * second, a pair every ~25 s).
 */
const TOGETHER_MS = 20

/**
 * Whether an answer held, back at `now`, came from a stall: the last one held (`lastHeldAt`) came
 * back within `TOGETHER_MS` before it. A stored instant not finite or later than `now` is none.
 *
 * @since 0.2.0
 * @category math
 */
export const together = (lastHeldAt: number | undefined, now: number): boolean =>
  typeof lastHeldAt === "number" && Number.isFinite(lastHeldAt) && lastHeldAt <= now && now - lastHeldAt <= TOGETHER_MS

/**
 * The pause after an answer held `lateMs`, observed at `now`, pacing at `rate`: until a slot after
 * it (or the pause already set, `gateUntil`, if later), never longer than the answer was late nor
 * than `boundMs`.
 *
 * @since 0.2.0
 * @category math
 */
export const pauseAfterHeld = (gateUntil: number, now: number, rate: number, lateMs: number, boundMs: number): number =>
  Math.max(gateUntil, Math.min(now + 1000 / rate, now + lateMs, now + boundMs))
