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
 * What `parseRetryAfter` reads the server's clock from: the response's `Date` header, a cache's `Age`,
 * and how long the request took (send to answer, ms), which the answer spent at most on its way back.
 *
 * @since 0.2.0
 * @category models
 */
export interface ServerClock {
  /** The response's `Date` header. */
  readonly date?: string | undefined
  /** The request's round trip, send to answer (ms), when known: the longest the answer took since its `Date`. */
  readonly roundTripMs?: number | undefined
  /** The response's `Age` header (seconds a cache held it): its `Date` is the origin's, that much older. */
  readonly age?: string | undefined
}

/**
 * A response's `ServerClock`: its `Date` and `Age` read by `header` (each caller's own header access),
 * and the request's round trip when known.
 *
 * @since 0.2.0
 * @category constructors
 */
export const serverClockOf = (header: (name: "date" | "age") => string | undefined, roundTripMs?: number): ServerClock => ({
  date: header("date"),
  age: header("age"),
  roundTripMs
})

// Age is delta-seconds (`1*DIGIT`); past a day it counts a day, as no wait read here is longer.
const AGE = /^\d+$/
const MAX_AGE_S = MAX_RETRY_AFTER_MS / 1000

/**
 * The server's clock at the answer, as its `Date` (plus `Age`) leaves it open: `[date, date + slack]`.
 * None when there is none to trust: a `Date` after the Retry-After date `at` (an inconsistent pair: it
 * read as no wait at all), or further from the client's clock than any wait accepted (`bound`, at most
 * a day: it made a valid Retry-After absurd, dropped).
 */
const serverNow = (server: ServerClock | undefined, at: number, nowMs: number, bound: number) => {
  const stamp = server?.date
  if (typeof stamp !== "string" || stamp.length > 64) return undefined
  const origin = Option.getOrUndefined(parseHttpDate(stamp, nowMs))
  if (origin === undefined || origin > at) return undefined
  const ageText = typeof server?.age === "string" ? server.age.trim() : ""
  // Whole seconds too: one more second open.
  const aged = AGE.test(ageText)
  const date = origin + (aged ? Math.min(Number(ageText), MAX_AGE_S) * 1000 : 0)
  if (!(Math.abs(date - nowMs) <= bound)) return undefined
  const rtt = server?.roundTripMs
  return { date, slack: (aged ? 2000 : 1000) + (typeof rtt === "number" && rtt > 0 && rtt < Infinity ? rtt : 0) }
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
 * as much longer) is off by at most what the dates leave open. A cached answer's `Age` (`server.age`,
 * digits only, at most a day) moves its `Date` that much later (one second more open). The `Date` is
 * ignored, the date read on the client's clock alone, when it does not parse, when it is later than
 * the Retry-After date (an inconsistent pair, which read as no wait at all; the same second is "now"),
 * or when it (with its `Age`) is further than `maxMs` (at most a day) from `nowMs`: no clock is that far
 * off, and it made a valid header read as absurd. Within that, a wait read longer than `maxMs` is
 * `None`, as such a delay-seconds is.
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
    const clock = serverNow(server, at, nowMs, Math.min(maxMs, MAX_RETRY_AFTER_MS))
    // The client's reading, kept within what the server's clock leaves open: `[stated − slack, stated]`.
    const wait = clock === undefined ? at - nowMs : Math.min(at - clock.date, Math.max(at - clock.date - clock.slack, at - nowMs))
    const ms = Math.max(0, Math.ceil(wait))
    return ms <= maxMs ? Option.some(ms) : Option.none()
  })
}
