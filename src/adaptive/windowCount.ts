/**
 * Keeping under a fixed window's quota by counting (pure). A fixed window (the count reset on its
 * boundary, as common Node middleware runs it) states in its Retry-After where the window ends, and
 * one that opens after a pause accepts its whole quota whatever the pace: so what a cycle admitted,
 * from the end of a long pause (a Retry-After of at least `MIN_PAUSE_MS`: a bucket states the time to
 * its next token) or the start of traffic to the next wall, is the quota. Once read, the counter
 * stops the key when what the cycle admitted and what is in flight reach the quota, until the window
 * ends (the wall's stated end, as long after the cycle's start): the pause the wall would have made,
 * without the requests in flight meeting it (32 fibers 50-100 ms away met it with ~27 requests every
 * window). A wall met anyway ends the cycle and is read afresh (a quota that dropped). The sliding
 * log's gate (`windowGate.ts`) cannot do this: a quota above its cap, and a log of it as state.
 *
 * @since 0.2.0
 */

/**
 * @since 0.2.0
 * @category models
 */
export interface Counter {
  /** Send time the cycle counts from (the end of the last pause), or `null` before an answer. */
  readonly from: number | null
  /** Requests sent since `from` admitted, and answered. */
  readonly admitted: number
  readonly answered: number
  /** When the cycle's first answer came, or `null`. */
  readonly firstAt: number | null
  /** The cycle's pause: until `endsAt`, from a wall at `wallAt` (`null`: the counter's own). */
  readonly endsAt: number | null
  readonly wallAt: number | null
  /** The send time of the request that met the cycle's wall, or `null`. */
  readonly wallSent: number | null
  /** Requests sent after it and admitted: the next window's (answered before the pause ended). */
  readonly carried: number
  /** Whether a pause ended a cycle yet (the first one counts from the earliest send answered). */
  readonly paused: boolean
  /** The quota read and the window (cycle start to stated end), or `null`. */
  readonly quota: number | null
  readonly windowMs: number | null
  /** Cycles the counter ended since the quota was read. */
  readonly kept: number
}

/**
 * A shorter pause is no fixed window's end: a bucket states the time to its next token, up to 2 s as an
 * HTTP-date (a second past the instant rounded up; 2 s read a 0.5 s bucket as 74 per 3 s: 82 -> 62%).
 */
export const MIN_PAUSE_MS = 3000
/** Fewer admitted: a request more or less is too much of it. */
export const MIN_QUOTA = 10
/** A whole-second Retry-After is up to this much longer than the time it states. */
const SECOND_MS = 1000
/**
 * Every this many windows the counter lets one meet its wall: a quota read wrong (or one that rose)
 * is never met otherwise.
 */
export const REREAD = 16

/**
 * @since 0.2.0
 * @category constructors
 */
export const initial: Counter = {
  from: null, admitted: 0, answered: 0, firstAt: null, endsAt: null, wallAt: null, wallSent: null, carried: 0, paused: false, quota: null, windowMs: null, kept: 0
}

/** The cycle ended by `c`'s pause closed: the quota read from it, and a new cycle from its end. */
const closed = (c: Counter, endsAt: number): Counter => {
  if (c.wallAt === null) return { ...initial, paused: true, from: endsAt, quota: c.quota, windowMs: c.windowMs, kept: c.kept + 1 }
  // A wall after a short pause may be a bucket's: nothing is kept.
  const read = endsAt - c.wallAt >= MIN_PAUSE_MS && c.from !== null && c.admitted >= MIN_QUOTA
  const next = { ...initial, paused: true, from: endsAt, admitted: c.carried }
  return read ? { ...next, quota: c.admitted, windowMs: endsAt - c.from! } : next
}

/**
 * The counter after an answer to a request sent at `sentAt`: `admitted` by the server's limiter, or
 * a wall stating its end `retryAfterMs` from `now`.
 *
 * @since 0.2.0
 * @category transitions
 */
export const record = (
  c0: Counter,
  r: { readonly sentAt: number; readonly admitted: boolean; readonly retryAfterMs?: number | undefined },
  now: number
): Counter => {
  const c = c0.endsAt !== null && r.sentAt >= c0.endsAt ? closed(c0, c0.endsAt) : c0
  const from = c.paused ? c.from ?? r.sentAt : Math.min(c.from ?? r.sentAt, r.sentAt)
  // Answers to requests sent before the cycle belong to the last one (closed after its pause).
  if (r.sentAt < from) return c
  // Admitted after the wall was decided: the window had ended (those in flight when a window ends
  // with a short pause open the next one).
  if (c.wallSent !== null && r.sentAt > c.wallSent) return r.admitted ? { ...c, carried: c.carried + 1 } : c
  const counted = { ...c, from, answered: c.answered + 1, firstAt: c.firstAt ?? now, admitted: c.admitted + (r.admitted ? 1 : 0) }
  if (r.admitted || r.retryAfterMs === undefined || c.wallAt !== null) return counted
  return { ...counted, wallAt: now, wallSent: r.sentAt, endsAt: now + r.retryAfterMs }
}

/**
 * Until when the counter pauses the key (`null`: it does not; at or before `now`: the window ended
 * and the next cycle counts from then) paced at `rate` with round trip `rttMs`:
 * what is in flight is the send rate times it, the answers' rate over the cycle once it spans a
 * round trip (what was sent, whatever limited it: 32 fibers 100-300 ms away sent ~80/s at a pace of
 * 150), the pace before.
 *
 * @since 0.2.0
 * @category math
 */
export const pauseUntil = (c: Counter, now: number, rate: number, rttMs: number): number | null => {
  if (c.quota === null || c.windowMs === null || c.from === null || c.endsAt !== null || c.firstAt === null) return null
  const span = now - c.firstAt
  const sending = span >= rttMs && span > 0 ? Math.min(rate, ((c.answered - 1) * 1000) / span) : rate
  const inflight = (sending * rttMs) / 1000
  const end = c.from + c.windowMs
  // A window ended before its quota was spent (the pace below it, or a cycle left to its wall).
  if (now >= end) return end
  if (c.kept >= REREAD) return null
  // The window read may be up to a whole second and a round trip longer than the server's (its
  // Retry-After rounded up, then answered): a quota reached later may be a log's entries leaving at
  // the pace they came (a 5 s sliding log paced at its quota, 32 fibers 50-100 ms away, paused every
  // window: 86 -> 80%), and a wall there costs little.
  return c.admitted + inflight >= c.quota && now < end - SECOND_MS - rttMs ? end : null
}

/**
 * The counter with its own pause until `until` (the window's end).
 *
 * @since 0.2.0
 * @category transitions
 */
export const pause = (c: Counter, until: number): Counter => ({ ...c, endsAt: until, wallAt: null, wallSent: null })
