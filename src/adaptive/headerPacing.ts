/**
 * Pacing by rate-limit headers (pure): when the server states its quota, the controller stops
 * guessing.
 *
 * @since 0.1.0
 */
import { type AimdConfig, type AimdState, clamp } from "./aimdState.js"
import * as BaseRtt from "./baseRtt.js"
import { headerPace, type RateLimitInfo } from "./headers.js"
import { withPace } from "./paceLog.js"
import * as Partitions from "./partitions.js"
import * as QuotaWindow from "./quotaWindow.js"
import * as RestoreRate from "./restoreRate.js"
import * as WindowGate from "./windowGate.js"

/**
 * A quota restored steadily is held about half full: the pace corrects a gap to that in this long,
 * or two round trips (a correction faster than the answers showing it overshoots, and oscillates).
 */
const LEVEL_MS = 250
/** The rate is read over this many round trips at least: send times misstate arrivals by up to one. */
const SPAN_RTTS = 2

/**
 * Rate-limit headers observed at `now`. When the quota's window is known (IETF `w`, or the longest
 * time-to-reset seen: a quota is restored at most a window after it is used), the pace is the
 * sustained `limit / window` less one request per window (at least half a `ceilingMargin`), whatever
 * `remaining` says until it is spent: spending a fixed window's quota evenly uses all of it, where
 * `remaining / time-to-reset` slows down as `remaining` falls (and a time-to-reset rounded up to
 * whole seconds makes that worse). Without a stated window, a quota seen full while spent (a token
 * bucket) is paced at the rate it is restored (`steadyPace`). Without a window, `remaining /
 * time-to-reset`. Nothing left for the next request (the requests on their way take what remains):
 * a pause until the units it needs are back (`restoredAt`), at the reset at the latest.
 * Whatever the headers say, that pause ends within `maxQuotaWaitMs` and the pace is at least one
 * request per `maxQuotaWaitMs` (the parser already drops a reset beyond that bound as malformed).
 *
 * @since 0.1.0
 * @category transitions
 */
export const onHeaders = (c: AimdConfig, s1: AimdState, info: RateLimitInfo, now: number, sentAt = now): AimdState => {
  const { s, windowMs } = read(s1, info, now, sentAt)
  const rate = info.limit !== undefined && windowMs !== undefined && windowMs > 0
    ? info.limit / (windowMs / 1000)
    : undefined
  // A hostile window (say 5e-324 ms) makes 0 / 0: no sustained rate can be read from it.
  const sustained = rate !== undefined && Number.isFinite(rate) ? rate : undefined
  const rtt = s.rttMs ?? 0
  // The restore rate is read from readings sent a round trip and its spread ago: every answer from
  // then has arrived (two round trips made the ramp from a first `limit / window` 3-8 s long far away).
  const restore = info.remaining === undefined || info.limit === undefined || s.restore?.steady !== true
    ? undefined
    : RestoreRate.estimate(s.restore.samples, info.limit, now - rtt - BaseRtt.spreadMs(s), Math.max(RestoreRate.SPAN_MS, SPAN_RTTS * rtt))
  // A stated window seen opening in rhythm (`FIXED_JUMPS`), with much of its quota on the way, is kept
  // as a fixed one: by the pause at its end (`fixedWindow`), not as a sliding log's.
  const fixedKept = (s.windowJumps ?? 0) >= FIXED_JUMPS && (rtt * (sustained ?? 0)) / 1000 >= FIXED_INFLIGHT * (info.limit ?? Infinity)
  const gate = fixedKept ? null : gateOf(s, info)
  // A quota the gate keeps is its own (a 1 s IETF log 100-300 ms away, docs overstated: 66 -> 62% also
  // paused as a fixed window), a quota restored steadily no window's.
  const fixed = gate !== null || restore !== undefined ? undefined : fixedWindow(s, info, windowMs, now, sentAt, c.maxQuotaWaitMs)
  const inflight = fixed === undefined && !WindowGate.active(gate, now) && restore === undefined
    ? onTheirWay(s, info, windowMs, sentAt)
    : 0
  const exhausted = fixed !== undefined ? fixed.exhausted : info.remaining !== undefined && info.remaining < 1 + inflight
  const header = { ...s, windowGate: gate, phase: "header", source: "header", ceiling: sustained ?? s.ceiling, lastSuccessAt: null } as const
  const first = firstWindowBack(s, info, now, sentAt)
  if (first !== undefined) {
    // Never past the server's stated reset: a window that opened before the one dated here ends there.
    const reset = info.resetAt !== undefined && info.resetAt > now ? info.resetAt : Infinity
    const until = Math.min(first, reset, now + c.maxQuotaWaitMs)
    return { ...header, cooldownUntil: Math.max(s.cooldownUntil, until), headerUntil: Math.max(s.headerUntil, until + c.headerStaleMs) }
  }
  if (
    exhausted && info.remaining !== undefined && info.resetAt !== undefined && info.resetAt > now && !QuotaWindow.sentBefore(s1, sentAt)
  ) {
    // A quota restored steadily (a bucket) has its next unit back in one step of that rate, not at
    // the reset (when all of it is back).
    const next = restore !== undefined && restore.rate > 0 ? now + 1000 / restore.rate : Infinity
    const back = fixed?.until ?? restoredAt(s, { ...info, remaining: info.remaining, resetAt: info.resetAt }, windowMs, now, sentAt, inflight)
    const until = Math.min(back, info.resetAt, next, now + c.maxQuotaWaitMs)
    return { ...header, cooldownUntil: Math.max(s.cooldownUntil, until), headerUntil: Math.max(s.headerUntil, until + c.headerStaleMs) }
  }
  const paced = paceOf(c, s, info, now, { sustained, windowMs, restore, kept: fixed !== undefined || gate !== null })
  const target = paced !== undefined && fixed?.pace !== undefined ? Math.min(paced, fixed.pace) : paced
  if (target === undefined || !Number.isFinite(target)) return s
  const until = now + c.headerStaleMs
  const partitioned = info.partition === undefined
    ? { partitions: s.partitions, rate: target }
    : Partitions.record(s.partitions, info.partition, target, until, now)
  // A quota paced slower than one request per `maxQuotaWaitMs` would be a lockout in disguise.
  const floored = Math.max(partitioned.rate, 1000 / c.maxQuotaWaitMs)
  // The window's last unit: one request at the pace's next slot, not a catch-up burst of two (a wall).
  const held = fixed?.hold === true ? Math.max(s.cooldownUntil, fixed.until) : s.cooldownUntil
  return { ...withPace(header, clamp(c, floored), now), partitions: partitioned.partitions, headerUntil: until, cooldownUntil: held }
}

/**
 * The reading recorded: the quota window's start (`quotaWindow.ts`), the window (stated, or the
 * longest time-to-reset seen), and the quota's return (`restoreRate.ts`).
 */
const read = (
  s1: AimdState,
  info: RateLimitInfo,
  now: number,
  sentAt: number
): { readonly s: AimdState; readonly windowMs: number | undefined } => {
  const s0 = info.remaining === undefined
    ? s1
    : { ...s1, ...QuotaWindow.record(s1, { sentAt, at: now, remaining: info.remaining, limit: info.limit, partition: info.partition ?? null, oneWayMs: oneWay(s1) }, info.window ?? s1.headerWindowMs ?? undefined) }
  const untilReset = info.resetAt === undefined ? undefined : QuotaWindow.windowOfReset(info.resetAt, now, info.resetEpochS === true)
  const windowMs = info.window ?? (untilReset !== undefined && untilReset > 0
    ? Math.max(untilReset, s0.headerWindowMs ?? 0)
    : s0.headerWindowMs ?? undefined)
  const s = {
    ...s0,
    headerWindowMs: windowMs ?? s0.headerWindowMs,
    // Another partition's readings tell nothing about this one's return.
    restore: info.remaining === undefined ? s0.restore : RestoreRate.record(
      s1.headerLast?.partition === (info.partition ?? null) ? s1.restore : undefined,
      [sentAt, info.remaining, now],
      info.limit,
      windowMs
    )
  }
  return { s, windowMs }
}

/**
 * The window gate (`windowGate.ts`) of a stated window's quota, which counts the requests on their
 * way itself. Not a window read from a time-to-reset: a fixed window's count resets on its boundary,
 * and kept under as a sliding one it lost its boundaries (1 s, 100-300 ms away: 76 -> 71%). Not a
 * quota restored steadily (a bucket: no window to overrun), nor a partition's (not the key's).
 */
const gateOf = (s: AimdState, info: RateLimitInfo): WindowGate.Gate | null =>
  info.partition === undefined && info.limit !== undefined && info.window !== undefined &&
    info.remaining !== undefined && s.restore?.steady !== true
    ? WindowGate.make(s.windowGate, info.limit, info.window, WindowGate.armedAfter(s.windowGate?.armed === true, info.remaining, info.limit))
    : null

/**
 * Windows seen opening in a row, each a window after the last, that tell a stated window for a fixed
 * one (`quotaWindow.ts`)… Kept by the gate as a sliding log, a 1 s IETF window was paced a jitter
 * below its quota (32 fibers 50-100 ms away: 89.6 -> 93.5%, 100-300 ms 79.6 -> 82.7, 8 seeds, docs
 * right). A log's quota comes back at once only after a burst: 2 read a 1 s log 100-300 ms away as
 * fixed now and then (81.2 -> 75.2%), 3 never did in the matrix.
 */
const FIXED_JUMPS = 3
/**
 * …and with at least this share of its quota on the way (the round trip times its rate): the gate's
 * jitter padding costs little closer (5-25 ms away, a loop blocked: 89.8 -> 88.2% as fixed, 8 seeds).
 */
const FIXED_INFLIGHT = 0.1

/** A quota larger than the readings kept is read as in use from this many of them, covering this long… */
const LARGE_MIN_READINGS = 8
const LARGE_COVER_MS = 1000
/** …each of them a unit less but this many (answers overtake each other). */
const LARGE_JITTER = 4

/**
 * The requests on their way, which take what remains first: a quota left at no more than those is
 * exhausted for the next one, once the readings kept cover half a window (the first burst tells a
 * bucket from a window no better than the docs) and show the quota in use.
 */
const onTheirWay = (s: AimdState, info: RateLimitInfo, windowMs: number | undefined, sentAt: number): number => {
  const samples = s.restore?.samples
  const since = samples?.[0]?.[0]
  const ahead = (s.rate * (s.rttMs ?? 0)) / 1000
  if (info.limit === undefined || info.remaining === undefined || windowMs === undefined || samples === undefined || since === undefined) return 0
  // A window longer than `2 * LARGE_COVER_MS` (the readings kept, 2 s and 128 at most, may never cover
  // half of it), its quota larger than them: in use, once they cover `LARGE_COVER_MS` (less than half
  // of it), when every reading kept took a unit of it (a few fewer: answers overtake each other).
  // Without this a 10 s window of 500 never counted those on their way: its first window (the docs
  // overstated) ended in walls and a whole-second Retry-After (50-100 ms away 95.7 -> 98.9%, 100-300
  // ms 92.5 -> 97.1; the docs right 100-300 ms away, the pause to the window's end dated late cost
  // 98.7 -> 98.2). Not a 1 s window's (100-300 ms away, docs right: 83.5 -> 82.2% and walls).
  const large = windowMs > 2 * LARGE_COVER_MS && samples.length > LARGE_MIN_READINGS && info.limit - info.remaining > samples.length &&
    samples[0]![1] - info.remaining >= samples.length - 1 - LARGE_JITTER
  if (large) return since <= sentAt - LARGE_COVER_MS ? Math.floor(ahead) : 0
  return since <= sentAt - windowMs / 2 && RestoreRate.usedAt(samples, sentAt, info.limit, info.remaining, ahead) !== undefined
    ? Math.floor(ahead)
    : 0
}

/**
 * The pace a quota with some left allows. One request below the quota per window: a request more,
 * and the window's last one meets the wall. A quota of a stated window seen full while spent is
 * restored steadily (a bucket): it holds what pacing a margin below its rate leaves, no window's last
 * request meets a wall, and a request less per window of a small quota cost 5% (20 per second stated
 * by IETF fields, 19 paced). A window read from a time-to-reset may be a rounded one: its `limit /
 * window` is no rate to pace that close to, but for a quota a pause keeps (`kept`:
 * `FULL_PACE_INFLIGHT`).
 */
const paceOf = (
  c: AimdConfig,
  s: AimdState,
  info: RateLimitInfo,
  now: number,
  q: {
    readonly sustained: number | undefined
    readonly windowMs: number | undefined
    readonly restore: { readonly rate: number; readonly low: number } | undefined
    readonly kept: boolean
  }
): number | undefined => {
  const ahead = ((s.rttMs ?? Infinity) * (q.sustained ?? 0)) / 1000
  if (q.kept && q.sustained !== undefined && info.limit !== undefined && ahead < Math.max(1, info.limit * FULL_PACE_INFLIGHT)) return q.sustained
  const spare = s.restore?.steady === true && info.window !== undefined ? 0 : 1000 / (q.windowMs ?? Infinity)
  const windowed = q.sustained !== undefined && q.windowMs !== undefined
    ? Math.max(q.sustained / 2, Math.min(q.sustained * (1 - c.ceilingMargin / 2), q.sustained - spare))
    : headerPace(info, now)
  return info.window === undefined ? steadyPace(windowed, q.restore, info, s.rttMs ?? 0) : windowed
}

/**
 * A pace this far above `limit / window` with nothing met is no fixed window's: a token bucket
 * reporting its burst as the quota jumps back too (a 0.2 s bucket read as one paused the key until the
 * rounded-up reset: 96 -> 94%, 50-100 ms away).
 */
const FIXED_PACE_SLACK = 1.1

/**
 * A quota kept by a pause (a fixed window seen opening: the pause at its end; a stated window: the
 * gate) is paced at its whole rate while the requests on their way, which its readings miss, are at
 * most this share of the quota (or one): one request less per window cost a 1 s window of 50 2%
 * (local: 96.6 -> 99.0%; a 1 s IETF log 95.6 -> 96.3, its limit dropped 93.0 -> 96.1), and 1% of a
 * 10 s or 60 s one; with more on their way (a 1 s window 50-100 ms away: 7 of 50) the pace sent past
 * the quota between readings (93.3 -> 91.2%, 83.5 -> 77.2 at 100-300 ms).
 */
const FULL_PACE_INFLIGHT = 0.05

/**
 * A fixed window's last request (fewer than this many left) is spread until the pause would end:
 * answers come apart, and the pace sent a request or two past the quota between them (a wall); sent
 * late, it reaches the server after the window's end as often, and opens the next one sooner. Spread
 * over more of the window, the pace lagged behind the window's start (100-300 ms away: 83 -> 81%).
 */
const SPREAD = 2

/**
 * The share of the round trip's spread (usual less shortest) by which a fixed window's pause ends
 * before its end as dated at the latest. A 1 s window, 8 seeds, docs right / overstated / understated
 * / dropped, 50-100 ms away: X-RateLimit 93.6 / 90.3 / 94.4 / 89.6 -> 93.7 / 90.8 / 94.6 / 89.3, IETF
 * 93.5 / 89.3 / 93.0 / 89.8 -> 93.9 / 90.4 / 94.3 / 89.7; 100-300 ms: X-RateLimit 85.5 / 75.9 / 86.3
 * / 80.4 -> 86.7 / 76.9 / 88.2 / 80.1, IETF 82.7 / 75.3 / 85.6 / 78.1 -> 83.9 / 76.8 / 86.8 / 80.1,
 * 429s as before. A quarter gained half a point more 50-100 ms away but met walls 100-300 ms away (docs
 * right 0 -> 0.04%, understated 0.02 -> 0.07%); half (dated on average) 84.9 -> 82.0% (3 seeds).
 *
 * @since 0.3.0
 * @category constants
 */
export const EARLY_SPREAD = 0.15

/** Half the shortest round trip (the average's when none): no request reaches the server sooner. */
const oneWay = (s: AimdState): number | undefined => {
  const m = s.rttMinMs ?? s.rttMs
  return m === null || m === undefined ? undefined : m / 2
}

/**
 * A fixed window seen opening (`quotaWindow.ts`: its start dated at the latest) and lasting
 * `windowMs`: the reading of the request sent at `sentAt` is stale by the requests sent since (the
 * pace's, at most), which reach the server after it, in this window or the next. With none of its
 * quota left for the next request, the key pauses until a request sent reaches the server after
 * the window's end (a shortest way before it, less `EARLY_SPREAD` of the round trip's spread far
 * away), and no longer: whatever is sent then opens the next window. Paused until the end instead, each window lost the way there (75 ms of 1 s, 50-100 ms
 * away), and dated by counting readings back (answers overtake each other) some pauses ended early:
 * a wall and a whole-second Retry-After. An answer back before the pace's next slot (`due` < 1) has
 * none sent since: its last unit is the next request's (read as taken by a fraction of a request, each
 * 1 s window of 50 held 49: 96.6%), sent alone at that slot (`hold`: a pause no catch-up burst follows,
 * as a burst of two once met the wall), not spread. `undefined`: no such window known.
 */
const fixedWindow = (
  s: AimdState,
  info: RateLimitInfo,
  windowMs: number | undefined,
  now: number,
  sentAt: number,
  maxWaitMs: number
): { readonly exhausted: boolean; readonly until: number; readonly hold: boolean; readonly pace: number | undefined } | undefined => {
  const start = s.windowStartAt
  if (
    s.windowJumped !== true || start === null || !Number.isFinite(start) || windowMs === undefined || info.remaining === undefined ||
    info.limit === undefined || s.rate * windowMs > FIXED_PACE_SLACK * info.limit * 1000
  ) return undefined
  const way = oneWay(s) ?? 0
  // Answers back within a slot: a tenth of the way more (a shortest round trip read from a few hundred
  // exceeds the two shortest ways by that much: a pause 0.1 ms short met the wall, 96.7 -> 98.8%).
  // The start is dated at the latest (`quotaWindow.ts`): late by the answer's way back less the
  // shortest, half the round trip's spread on average. The pause ends `EARLY_SPREAD` of that spread
  // sooner: a window's last units mostly go unused (its last sends may reach the next one), so a
  // request reaching it a little before its end is admitted there. Only with `FIXED_INFLIGHT` of its
  // quota on the way: closer, the spread is the server's stalls and the loop's blocks, not the ways,
  // and its last units are used (1 s window 1-2 ms away, docs right: 98.9 -> 92.3%, 0.15% 429s;
  // 5-25 ms on a blocked loop 92.6 -> 91.1).
  const far = ((s.rttMs ?? 0) * s.rate) / 1000 >= FIXED_INFLIGHT * info.limit
  const spread = far ? BaseRtt.spreadMs(s) : 0
  // Bounded: the usual round trip is an average of samples up to a minute long, which a slow or
  // long-tailed endpoint inflates (a spread of 2.8 s ended a 1 s window's pause 420 ms early).
  const early = Math.min(EARLY_SPREAD * spread, way / 2, windowMs / 20)
  const until = start + windowMs - way - early + ((s.rttMs ?? Infinity) * s.rate < 1000 ? way / 10 : 0)
  const due = (s.rate * Math.max(0, now - sentAt)) / 1000
  const left = info.remaining - (due < 1 ? 0 : due)
  const hold = due < 1 && left >= 1 && left < SPREAD && until > now
  // The window's last request (fewer than `SPREAD` left) spread until the pause would end. Held one
  // slot of a pace floored as `onHeaders` floors it, within `maxWaitMs` (a pace of 0.01/s held it
  // 100 s). Not cut at the window's end as read (an estimate): cut, a 1 s window with the event loop
  // blocked up to 40 ms lost 88.4 -> 86.4%, 429s 0.16 -> 0.22%. The pace after the held one slowed
  // until the pause would end (at most by half: the pace resumes slowed after it, until an answer):
  // a loop blocked past the slot let the held request and the next out together into the full window
  // (a wall; 1 s window 5-25 ms away, docs right 91.0 -> 93.4%, the limit dropped 90.4 -> 92.1).
  const slot = sentAt + 1000 / Math.max(s.rate, 1000 / maxWaitMs)
  return {
    exhausted: left < 1 && until > now,
    until: hold ? Math.min(now + maxWaitMs, Math.max(now, slot)) : until,
    hold,
    pace: hold && until > slot
      ? Math.max(s.rate / 2, 1000 / (until - Math.max(now, slot)))
      : !hold && left >= 1 && left < SPREAD && until > now ? (left * 1000) / (until - now) : undefined
  }
}

/**
 * Without a stated window, `limit / window` is only a floor: a token bucket reports its burst as the
 * quota, restored in less than the whole second its reset is rounded up to. Once the quota was seen
 * full while spent (`restoreRate.ts`: no fixed window is), it is paced at the rate it is restored,
 * corrected to hold it half full (spending the surplus above that level, slowing down below it);
 * while it stays full it is restored faster than spent: the pace doubles.
 */
const steadyPace = (
  windowed: number | undefined,
  restore: { readonly rate: number; readonly low: number } | undefined,
  info: RateLimitInfo,
  rttMs: number
): number | undefined => {
  if (windowed === undefined || restore === undefined || info.limit === undefined || info.remaining === undefined) {
    return windowed
  }
  // Full: within two of the quota (`remaining` is rounded down), and above three quarters of it.
  if (restore.low >= Math.max(info.limit - 2, 0.75 * info.limit)) return Math.max(windowed, 2 * restore.rate)
  const levelS = Math.max(LEVEL_MS, 2 * rttMs) / 1000
  // Half of what a reading can say: a request's own unit is taken (`limit - 1` at most) and the rest
  // rounded down. Held at `limit / 2` read, a small bucket sat half a unit fuller, where it overflows
  // now and then and the rate read (what was spent) falls short: 20 per second in a bucket of 4, 32
  // fibers 50-100 ms away, paced at ~18 (the drop to 20, 8 seeds: 91.6 -> 94.0% (3 seeds before), 100-300 ms 74.3 -> 78.3).
  return Math.max(windowed, restore.rate + (info.remaining - (info.limit - 1) / 2) / levelS)
}

/**
 * When a quota exhausted for the next request is back: a window after the units it needs were spent
 * (`restoreRate.ts`), all at once in a fixed window seen opening (`quotaWindow.ts`) with the quota
 * in use, one by one otherwise (a sliding log); never after the stated reset.
 */
const restoredAt = (
  s: AimdState,
  info: RateLimitInfo & { readonly resetAt: number; readonly remaining: number },
  windowMs: number | undefined,
  now: number,
  sentAt: number,
  inflight: number
): number => {
  const used = info.limit === undefined || windowMs === undefined
    ? undefined
    : RestoreRate.usedAt(s.restore?.samples, sentAt, info.limit, info.remaining, inflight)
  if (used === undefined || windowMs === undefined) return QuotaWindow.restoredAt(s, info.resetAt, windowMs, now)
  const rtt = s.rttMs ?? 0
  // Only a window seen restoring its quota at once is a fixed one: a first reading opens a sliding
  // log's too. Reached when `fixedWindow` declines: above all a stated window the gate keeps (an IETF
  // log whose `remaining` jumps). There, from the oldest unit and the average way, not as `fixedWindow`
  // (a 1 s IETF log 100-300 ms away: 81.2 -> 78.7% from a shortest way, 81.1 -> 78.9 from the
  // window's start too, 81.1 -> 79.4 without this branch).
  const fixed = s.windowJumped === true && s.windowStartAt !== null && Math.abs(used.oldest - s.windowStartAt) <= rtt + 5
  // Answered a return trip after the server spent it, a request sent half a round trip before its
  // window ends reaches the server after that: half the average, or that reading's own when under half
  // of it (no jitter: the average is inflated, a cold start's 300 ms answers for seconds, and the pause
  // ended before the unit was back, a wall and a whole-second Retry-After; a 1 s IETF log, cold, 90.1 ->
  // 96.4%, 8 seeds). Its own whenever shorter cost 50-100 ms away (the drop 88.7 -> 88.4%). A fixed
  // window's pause counts from its oldest reading, not this one: the average there.
  const back = !fixed && used.neededRttMs < rtt / 2 ? used.neededRttMs : rtt
  return Math.min(info.resetAt, Math.max(now, (fixed ? used.oldest : used.needed) + windowMs - back / 2))
}

/**
 * A stated window's first (no window seen opening since the first reading): none of its quota comes
 * back before it ends, so with what remains taken by the requests sent since this one (the pace's), a
 * pause until a request sent reaches the server after its end (a shortest way before it, the start
 * dated at the latest). Only when that is more than the round trip's spread away: the pace sent
 * well above the quota (a slow start from docs overstated 2x, 100-300 ms away: 30 sent in the first
 * 300 ms, the quota spent with ~20 on their way, their walls a whole-second Retry-After; 8 seeds, a 1 s
 * fixed window 76.5 -> 84.5%, 429s 0.98 -> 0.02%, a 1 s log 73.3 -> 77.2%, 1.22 -> 0.05%). Nearer its
 * end, the last sends reach a fixed window's next one as often (paused there too, docs right: 86.7 ->
 * 85.0%). Not a window read from a time-to-reset: a 0.2 s bucket read as a 1 s one lost 92.4 -> 84.0%.
 */
const firstWindowBack = (s: AimdState, info: RateLimitInfo, now: number, sentAt: number): number | undefined => {
  const start = s.windowStartAt
  const w = info.window
  // A start after now is no window's (a stored state's): it would pause until the bound.
  if (s.windowJumped === true || start === null || !Number.isFinite(start) || start > now || w === undefined || info.remaining === undefined) return undefined
  const back = start + w - (oneWay(s) ?? 0)
  const left = info.remaining - (s.rate * Math.max(0, now - sentAt)) / 1000
  return sentAt >= start - w && left < 1 && back - now > BaseRtt.spreadMs(s) ? back : undefined
}

/**
 * The pause a wall met in a window seen opening needs (ms from `now`): until a request sent reaches
 * the server after that window's end (dated at the latest, as `fixedWindow` dates it, without its
 * `early` allowance; none when that passed already), not the whole-second Retry-After, which states
 * that end rounded up (a second more: the next window's quota lost). `retryAfterMs` when the wall is
 * no such window's: no window dated, another partition's, a quota restored steadily (a bucket), or a
 * request sent to reach the server after the dated end (a window opened unseen). Never longer than
 * `retryAfterMs`. A window dated by a first reading or a time-to-reset counts too: requiring one seen
 * opening (`windowJumped`) cost the 1 s fixed windows 2-6 points (the busy loop, docs right 94.9 ->
 * 92.6%; 100-300 ms away, overstated 85.0 -> 78.7%), and no bucket row moved without it.
 *
 * @since 0.3.0
 * @category math
 */
export const wallPauseMs = (
  s: AimdState,
  retryAfterMs: number,
  now: number,
  sentAt: number | undefined,
  partition: string | null
): number => {
  const start = s.windowStartAt
  const w = s.headerWindowMs
  const last = s.headerLast
  // Headers read within the window: the first wall left the header phase, its burst's next walls too.
  if (
    last === null || last.at === undefined || last.partition !== partition ||
    s.restore?.steady === true || start === null || !Number.isFinite(start) || w === null || !(w > 0) ||
    sentAt === undefined || !(now - last.at < w)
  ) return retryAfterMs
  const way = oneWay(s) ?? 0
  return sentAt + way < start + w ? Math.min(retryAfterMs, Math.max(0, start + w - way - now)) : retryAfterMs
}
