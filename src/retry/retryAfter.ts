/**
 * Parsing of the `Retry-After` response header (RFC 9110 §10.2.3).
 *
 * Pure: the current time is passed in, never read, so the function is property-tested and the
 * callers (the retry loop, the adaptive controller) decide which clock applies.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import { parseHttpDate } from "../internal/httpDate.js"

/** The HTTP-date parser and formatter live in `internal/httpDate.ts` (the response cache uses them too). */
export { formatHttpDate, parseHttpDate } from "../internal/httpDate.js"

/**
 * Longest delay `parseRetryAfter` accepts by default: one day. Anything longer is treated as a
 * broken or hostile header (`None`), so callers fall back to their own schedule rather than
 * parking a fiber for weeks.
 *
 * @since 0.1.0
 */
export const MAX_RETRY_AFTER_MS = 86_400_000

// delay-seconds is `1*DIGIT`; a fractional part is tolerated because some servers send it.
const SECONDS = /^(\d{1,12})(?:\.(\d{1,9}))?$/

/**
 * What `parseRetryAfter` reads the server's clock from: the response's `Date` header, and how long
 * the request took (send to answer, ms), which the answer spent at most on its way back.
 *
 * @since 0.2.0
 * @category models
 */
export interface ServerClock {
  readonly date?: string | undefined
  readonly roundTripMs?: number | undefined
}

/**
 * The wait until `at` read on the client's clock (`nowMs`), kept within what the server's `Date`
 * (`date`, whole seconds) leaves open: `[at − date − slack, at − date]`.
 */
const onServerClock = (at: number, date: number, nowMs: number, slack: number): number => {
  const stated = at - date
  return Math.min(stated, Math.max(stated - slack, at - nowMs))
}

/**
 * Parses a `Retry-After` value into a delay in milliseconds from `nowMs`.
 *
 * - `"120"` (delay-seconds; a fractional part such as `"1.5"` is tolerated) → `Some(120000)`
 * - an HTTP-date → the time until that instant; a date already past → `Some(0)` (retry now)
 * - negative numbers, garbage, empty values and delays over `maxMs` (default one day) → `None`
 *
 * With the response's `Date` header (`server.date`), an HTTP-date is read on the server's clock too:
 * the server stated `date − Date` (both whole seconds) and stamped `Date` within the second it names,
 * the answer then taking at most `server.roundTripMs` (the request's, send to answer) to arrive: the
 * wait left is in `[stated − 1 s − roundTrip, stated]`. The client's own reading (`date − nowMs`) is
 * kept inside: with agreeing clocks it is unchanged whenever the answer came within `1 s + roundTrip`
 * of its `Date`'s second, which holds when `roundTripMs` is the request's own. Without `roundTripMs`
 * the allowance is 1 s: an answer later than that after its `Date`'s second began waits up to that
 * lateness longer than the client's reading (never longer than stated). A client clock ahead of the
 * server's (which read the date as already past: a retry at once, another 429) or behind it (a pause
 * as much longer) is off by at most what the dates leave open. A `Date` that does not parse is ignored.
 *
 * Never throws, whatever the input.
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "effect-governor"
 * RetryPolicy.parseRetryAfter("2", Date.now())                                  // Some(2000)
 * RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("2015-10-21T07:27:00Z")) // Some(60000)
 * // The client's clock 5 minutes ahead: the server's Date bounds the wait to its second.
 * RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("2015-10-21T07:32:00Z"), undefined, { date: "Wed, 21 Oct 2015 07:27:00 GMT" }) // Some(59000)
 * ```
 *
 * @since 0.1.0
 */
export const parseRetryAfter = (
  value: string,
  nowMs: number,
  maxMs: number = MAX_RETRY_AFTER_MS,
  server?: ServerClock
): Option.Option<number> => {
  if (typeof value !== "string") return Option.none()
  const text = value.trim()
  if (text.length === 0 || text.length > 64) return Option.none()
  const seconds = SECONDS.exec(text)
  if (seconds !== null) {
    const whole = Number(seconds[1])
    const frac = seconds[2] === undefined ? 0 : Number(`0.${seconds[2]}`)
    const ms = Math.ceil((whole + frac) * 1000)
    return Number.isSafeInteger(ms) && ms <= maxMs ? Option.some(ms) : Option.none()
  }
  if (!Number.isFinite(nowMs)) return Option.none()
  return Option.flatMap(parseHttpDate(text, nowMs), (at) => {
    const stamp = server?.date
    const date = typeof stamp === "string" && stamp.length <= 64 ? parseHttpDate(stamp, nowMs) : Option.none()
    const rtt = server?.roundTripMs
    const slack = 1000 + (typeof rtt === "number" && rtt > 0 && rtt < Infinity ? rtt : 0)
    const ms = Math.max(0, Math.ceil(Option.match(date, { onNone: () => at - nowMs, onSome: (d) => onServerClock(at, d, nowMs, slack) })))
    return ms <= maxMs ? Option.some(ms) : Option.none()
  })
}
