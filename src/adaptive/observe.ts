/**
 * One response applied to a key's controller state (pure): the step the `AdaptiveController` service
 * runs inside its store, and the simulation runs as is.
 *
 * @since 0.2.0
 */
import * as Aimd from "./aimd.js"
import * as Congestion from "./congestion.js"
import type { RateLimitInfo } from "./headers.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Response {
  readonly status: number
  /** A status of `backoffStatuses`. */
  readonly backoff: boolean
  readonly retryAfterMs?: number | undefined
  readonly sentAt?: number | undefined
  readonly info?: RateLimitInfo | undefined
}

/** The round trip's average over about this many responses. */
const RTT_SPAN = 16

const roundTrip = (rtt: number | null, sentAt: number | undefined, now: number): number | null => {
  if (sentAt === undefined || !(now >= sentAt)) return rtt
  const x = Math.min(now - sentAt, 60_000)
  return rtt === null ? x : rtt + (x - rtt) / RTT_SPAN
}

/**
 * A 429, or a backoff status with a Retry-After, is a wall; a bare backoff 5xx is a wall only when
 * `congestion.ts` finds such failures above their usual share.
 *
 * @since 0.2.0
 * @category transitions
 */
export const observe = (c: Aimd.AimdConfig, s0: Aimd.AimdState, r: Response, now: number): Aimd.AimdState => {
  const soft = r.backoff && r.status !== 429 && r.retryAfterMs === undefined
  const holding = s0.phase === "steady" || s0.phase === "hold" || s0.phase === "header"
  const verdict = Congestion.classify(s0.soft ?? Congestion.initial, soft, holding)
  const s: Aimd.AimdState = { ...s0, soft: verdict.state, rttMs: roundTrip(s0.rttMs ?? null, r.sentAt, now) }
  if (r.backoff && (!soft || verdict.wall)) return Aimd.onBackoff(c, s, now, { retryAfterMs: r.retryAfterMs, sentAt: r.sentAt, soft })
  // Noise was admitted by the server's limiter: it counts as accepted.
  const ok = Aimd.onSuccess(c, s, now, { sentAt: r.sentAt })
  return r.info !== undefined && !r.backoff ? Aimd.onHeaders(c, ok, r.info, now, r.sentAt) : ok
}
