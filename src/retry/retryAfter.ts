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
 * Parses a `Retry-After` value into a delay in milliseconds from `nowMs`.
 *
 * - `"120"` (delay-seconds; a fractional part such as `"1.5"` is tolerated) → `Some(120000)`
 * - an HTTP-date → the time until that instant; a date already past → `Some(0)` (retry now)
 * - negative numbers, garbage, empty values and delays over `maxMs` (default one day) → `None`
 *
 * Never throws, whatever the input.
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "effect-governor"
 * RetryPolicy.parseRetryAfter("2", Date.now())                                  // Some(2000)
 * RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("2015-10-21T07:27:00Z")) // Some(60000)
 * ```
 *
 * @since 0.1.0
 */
export const parseRetryAfter = (
  value: string,
  nowMs: number,
  maxMs: number = MAX_RETRY_AFTER_MS
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
    const ms = Math.max(0, Math.ceil(at - nowMs))
    return ms <= maxMs ? Option.some(ms) : Option.none()
  })
}
