/**
 * The base round trip (pure): the shortest recent one, without the server's stalls or a queue's
 * wait. Half of it bounds how soon a request reaches the server, or its answer comes back:
 * `quotaWindow.ts` dates a window's start by it, `headerPacing.ts` a fixed window's end, and
 * `windowGate.ts` the server's decisions and the jitter it paces under. One rule for all of them.
 *
 * @since 0.3.0
 */

/**
 * It rises towards a longer round trip over about this many answers (a route changed): the shortest
 * way `quotaWindow.ts` and `headerPacing.ts` date a fixed window by. The window gate's own base
 * (`windowGate.ts`) rises over `GATE_RISE`: measured (matrix all, 3 seeds), one base for both cost
 * either way: rising over 256, the gate dated its log's decisions late and paced under a wider jitter
 * (a 1 s IETF log 100-300 ms away: 81.2 -> 78.5%); over 64, fixed windows' ends were dated early (a
 * 1 s fixed window 50-100 ms away, docs overstated: 91.1 -> 87.6%).
 */
export const RISE = 256

/** The window gate's base rises over about this many answers (`RISE` says why not as slowly). */
export const GATE_RISE = 64

/** The longest round trip taken as a sample: an answer later than that is a stall, not a way. */
const MAX_SAMPLE_MS = 60_000

/**
 * The base round trip after one of `sentAt` answered at `now`. It falls at most by half an answer:
 * one far quicker than usual (a proxy's 502, a cache) would otherwise date a window's start, and the
 * gate's decisions, a whole way late for the ~`RISE` answers the rise takes back (a fixed window's
 * pause then ended a round trip late each window). A stored one not finite or negative (a shared
 * store's corrupted state) is none; so is a sample without a send time or dated after its answer.
 *
 * @since 0.3.0
 * @category math
 */
export const next = (
  base: number | null | undefined,
  sentAt: number | undefined,
  now: number,
  rise: number = RISE
): number | null => {
  const b = typeof base === "number" && Number.isFinite(base) && base >= 0 ? base : null
  if (sentAt === undefined || !Number.isFinite(sentAt) || !Number.isFinite(now) || !(now >= sentAt)) return b
  const x = Math.min(now - sentAt, MAX_SAMPLE_MS)
  return b === null ? x : x <= b ? Math.max(x, b / 2) : b + (x - b) / rise
}

/**
 * The spread of the round trip: the usual one less the base, 0 while either is unknown. A request
 * sent at an even pace reaches the server up to this much out of step (`headerPacing.ts`,
 * `wallDecision.ts`).
 *
 * @since 0.3.0
 * @category math
 */
export const spreadMs = (s: { readonly rttMs?: number | null | undefined; readonly rttMinMs?: number | null | undefined }): number =>
  Math.max(0, (s.rttMs ?? 0) - (s.rttMinMs ?? s.rttMs ?? 0))
