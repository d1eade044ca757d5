/**
 * The requests a key has in flight (pure). A server that stalls (GC, a busy event loop) decides what
 * reached it meanwhile at once when it resumes: against a bucket of 0.1 s of its rate, a stall that
 * held more requests than the bucket's burst (6 of 5, a stall of 120 ms at 50 per second) met the
 * wall, a whole-second Retry-After for every caller, though each was sent at the pace. Close to the
 * server the answers stop as soon as it stalls, so a key on its plateau sends no more while the
 * requests its usual round trip and its base one (`baseRtt.ts`) hold at its pace, plus 2, are
 * unanswered (or its limiter's burst): a stall holds at most that many (a 0.1 s bucket, 8 fibers 1-2
 * ms away, docs right: 90.4 -> 97.9%). The base, not the usual round trip twice: a client's busy
 * event loop (`blocked`, 5-25 ms away) stretches the usual one (~45 ms for a base ~12), and twice it
 * let 6-7 through where the bucket holds 5: a server stall met the wall, a whole second's pause,
 * every ~5 s (a 0.1 s bucket there, docs right: 82.8 -> 89.0%, 3 seeds; 87.6 -> 92.4, 8).
 * Farther away the cap never binds: a stall's backlog is on its way before any answer could be
 * missing. Not during a slow start, a hold or a probe, whose walls the fit reads as sent (capped
 * there too, a 0.5 s bucket with the docs understated: 86.3 -> 84.2%).
 *
 * @since 0.2.0
 */
import type { AimdState } from "./aimdState.js"
import * as StallGate from "./stallGate.js"

/** The cap's spare requests: at a short round trip the pace's own jitter (a late timer's catch-up) needs them. */
const SPARE = 2

/**
 * How many requests of a key may be unanswered before the next waits, or `null` (no cap: off the
 * plateau, or no usable round trip or rate, as from a malformed stored state). Never below the
 * limiter's `burst`: a late timer's catch-up goes out whole (cut, it moved the walls of a slow start
 * against a 0.5 s bucket, docs overstated, and the fit with them: one seed 92.8 -> 88.0%).
 *
 * @since 0.2.0
 * @category math
 */
export const cap = (s: Pick<AimdState, "phase" | "rate" | "rttMs" | "rttMinMs">, burst: number): number | null => {
  const rtt = s.rttMs
  if (s.phase !== "steady" || !usable(rtt)) return null
  if (!Number.isFinite(s.rate) || s.rate <= 0) return null
  // Without a usable base (an older stored state): the usual round trip twice.
  const base = usable(s.rttMinMs) ? Math.min(s.rttMinMs, rtt) : rtt
  return Math.max(Math.ceil((s.rate * (rtt + base)) / 1000) + SPARE, floor(burst))
}

const usable = (ms: number | null | undefined): ms is number => typeof ms === "number" && Number.isFinite(ms) && ms >= 0

/**
 * The smallest cap a limiter's burst of at least `burst` allows: below it a request goes without
 * reading the key's state (a Redis round trip the send would wait for).
 *
 * @since 0.2.0
 * @category math
 */
export const floor = (burst: number): number => Math.max(SPARE, Number.isFinite(burst) ? Math.ceil(burst) : 0)

/**
 * How long a request that found the cap full waits before it looks again, pausing the pace meanwhile:
 * a request's slot, never longer than `boundMs` (the longest pause the controller may set).
 *
 * @since 0.2.0
 * @category math
 */
export const slotMs = (rate: number, boundMs: number): number =>
  Number.isFinite(rate) && rate > 0 ? Math.min(1000 / rate, boundMs) : boundMs

/**
 * Whether a request that found the cap full at `now` pauses the pace until its next look: when the
 * oldest request unanswered (sent at `oldestSentAt`) is late by the stall gate's measure
 * (`stallGate.ts`), the server holds it, and the pace would pile requests up behind the cap to go out
 * together when the answers come. Answers not late yet are those of a late timer's catch-up, due in a
 * round trip: pausing the pace there dropped the catch-up it keeps (a 1 s bucket, docs overstated,
 * 8 fibers 1-2 ms away, with a cap below the burst: 97.9 -> 93.4%).
 *
 * @since 0.2.0
 * @category math
 */
export const stalled = (oldestSentAt: number, now: number, usualRttMs: number | null | undefined): boolean =>
  StallGate.heldFor(typeof usualRttMs === "number" && Number.isFinite(usualRttMs) && usualRttMs >= 0 ? usualRttMs : null, now - oldestSentAt) !== undefined
