/**
 * Pacing by rate-limit headers (pure): when the server states its quota, the controller stops
 * guessing.
 *
 * @since 0.1.0
 */
import { type AimdConfig, type AimdState, clamp } from "./aimd.js"
import { headerPace, type RateLimitInfo } from "./headers.js"
import { withPace } from "./paceLog.js"
import * as Partitions from "./partitions.js"
import * as QuotaWindow from "./quotaWindow.js"

/**
 * Rate-limit headers observed at `now`. When the quota's window is known (IETF `w`, or the longest
 * time-to-reset seen: a quota is restored at most a window after it is used), the pace is the
 * sustained `limit / window` less one request per window (at least half a `ceilingMargin`), whatever
 * `remaining` says until it is 0: spending a fixed window's quota evenly uses all of it, where `remaining / time-to-reset` slows
 * down as `remaining` falls (and a time-to-reset rounded up to whole seconds makes that worse).
 * Without a window, `remaining / time-to-reset`. Nothing remaining: a pause until the reset, or until
 * the end of the window seen starting (`quotaWindow.ts`) when that is sooner.
 * Whatever the headers say, that pause ends within `maxQuotaWaitMs` and the pace is at least one
 * request per `maxQuotaWaitMs` (the parser already drops a reset beyond that bound as malformed).
 *
 * @since 0.1.0
 * @category transitions
 */
export const onHeaders = (c: AimdConfig, s1: AimdState, info: RateLimitInfo, now: number, sentAt = now): AimdState => {
  const s0 = info.remaining === undefined
    ? s1
    : { ...s1, ...QuotaWindow.record(s1, { sentAt, at: now, remaining: info.remaining, limit: info.limit, partition: info.partition ?? null }) }
  const untilReset = info.resetAt === undefined ? undefined : Math.round((info.resetAt - now) / 1000) * 1000
  const windowMs = info.window ?? (untilReset !== undefined && untilReset > 0
    ? Math.max(untilReset, s0.headerWindowMs ?? 0)
    : s0.headerWindowMs ?? undefined)
  const s = windowMs === undefined ? s0 : { ...s0, headerWindowMs: windowMs }
  const rate = info.limit !== undefined && windowMs !== undefined && windowMs > 0
    ? info.limit / (windowMs / 1000)
    : undefined
  // A hostile window (say 5e-324 ms) makes 0 / 0: no sustained rate can be read from it.
  const sustained = rate !== undefined && Number.isFinite(rate) ? rate : undefined
  if (info.remaining !== undefined && info.remaining < 1 && info.resetAt !== undefined && info.resetAt > now) {
    const until = Math.min(QuotaWindow.restoredAt(s, info.resetAt, windowMs, now), now + c.maxQuotaWaitMs)
    return {
      ...s,
      cooldownUntil: Math.max(s.cooldownUntil, until),
      phase: "header",
      source: "header",
      ceiling: sustained ?? s.ceiling,
      headerUntil: Math.max(s.headerUntil, until + c.headerStaleMs),
      lastSuccessAt: null
    }
  }
  // One request below the quota per window: a request more, and the window's last one meets the wall.
  const target = sustained !== undefined && windowMs !== undefined
    ? Math.max(sustained / 2, Math.min(sustained * (1 - c.ceilingMargin / 2), sustained - 1000 / windowMs))
    : headerPace(info, now)
  if (target === undefined || !Number.isFinite(target)) return s
  const until = now + c.headerStaleMs
  const partitioned = info.partition === undefined
    ? { partitions: s.partitions, rate: target }
    : Partitions.record(s.partitions, info.partition, target, until, now)
  return {
    // A quota paced slower than one request per `maxQuotaWaitMs` would be a lockout in disguise.
    ...withPace(s, clamp(c, Math.max(partitioned.rate, 1000 / c.maxQuotaWaitMs)), now),
    partitions: partitioned.partitions,
    phase: "header",
    source: "header",
    ceiling: sustained ?? s.ceiling,
    headerUntil: until,
    lastSuccessAt: null
  }
}
