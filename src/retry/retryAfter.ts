/**
 * Parsing of the `Retry-After` response header (RFC 9110 §10.2.3).
 *
 * Pure: the current time is passed in, never read, so the function is property-tested and the
 * callers (the retry loop, the adaptive controller) decide which clock applies.
 *
 * @since 0.1.0
 */
import { Option } from "effect"

/**
 * Longest delay `parseRetryAfter` accepts by default: one day. Anything longer is treated as a
 * broken or hostile header (`None`), so callers fall back to their own schedule rather than
 * parking a fiber for weeks.
 *
 * @since 0.1.0
 */
export const MAX_RETRY_AFTER_MS = 86_400_000

const DAY_NAMES_SHORT = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const
const DAY_NAMES_LONG = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const

// delay-seconds is `1*DIGIT`; a fractional part is tolerated because some servers send it.
const SECONDS = /^(\d{1,12})(?:\.(\d{1,9}))?$/
// IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
const IMF_FIXDATE = /^([A-Z][a-z]{2}), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
// obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
const RFC_850 = /^([A-Z][a-z]{5,8}), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/
// obsolete asctime: Sun Nov  6 08:49:37 1994
const ASCTIME = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/

/**
 * Epoch milliseconds of a valid calendar date-time, or `undefined` (Feb 30, 25:00, …).
 */
const utc = (year: number, month: number, day: number, h: number, m: number, s: number): number | undefined => {
  if (month < 0 || month > 11 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0)
  date.setUTCFullYear(year, month, day)
  // Rolling Feb 30 into March is what Date does silently: reject dates that do not exist.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month || date.getUTCDate() !== day) {
    return undefined
  }
  // A leap second (60) is valid syntax; it reads as the first second of the next minute.
  date.setUTCHours(h, m, s, 0)
  return date.getTime()
}

const monthIndex = (name: string): number => (MONTHS as ReadonlyArray<string>).indexOf(name)

/**
 * Parses an HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms a recipient must
 * accept) to epoch milliseconds. `nowMs` resolves RFC 850's two-digit year: a year that would
 * lie more than 50 years in the future means the previous century (RFC 9110 §5.6.7).
 *
 * @since 0.1.0
 */
export const parseHttpDate = (value: string, nowMs: number): Option.Option<number> => {
  const text = value.trim()
  let m = IMF_FIXDATE.exec(text)
  if (m !== null) {
    const [, day, dd, mon, yyyy, hh, mi, ss] = m
    if (!(DAY_NAMES_SHORT as ReadonlyArray<string>).includes(day!)) return Option.none()
    return Option.fromNullable(utc(Number(yyyy), monthIndex(mon!), Number(dd), Number(hh), Number(mi), Number(ss)))
  }
  m = RFC_850.exec(text)
  if (m !== null) {
    const [, day, dd, mon, yy, hh, mi, ss] = m
    if (!(DAY_NAMES_LONG as ReadonlyArray<string>).includes(day!)) return Option.none()
    const nowYear = Number.isFinite(nowMs) ? new Date(nowMs).getUTCFullYear() : 1970
    let year = Math.floor(nowYear / 100) * 100 + Number(yy)
    if (year > nowYear + 50) year -= 100
    return Option.fromNullable(utc(year, monthIndex(mon!), Number(dd), Number(hh), Number(mi), Number(ss)))
  }
  m = ASCTIME.exec(text)
  if (m !== null) {
    const [, day, mon, dd, hh, mi, ss, yyyy] = m
    if (!(DAY_NAMES_SHORT as ReadonlyArray<string>).includes(day!)) return Option.none()
    return Option.fromNullable(
      utc(Number(yyyy), monthIndex(mon!), Number(dd!.trim()), Number(hh), Number(mi), Number(ss))
    )
  }
  return Option.none()
}

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
 * import { parseRetryAfter } from "effect-governor/retry"
 * parseRetryAfter("2", Date.now())                                  // Some(2000)
 * parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("2015-10-21T07:27:00Z")) // Some(60000)
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

/**
 * Formats epoch milliseconds as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form
 * servers must send. Exposed for tests and simulated servers.
 *
 * @since 0.1.0
 */
export const formatHttpDate = (epochMs: number): string => new Date(epochMs).toUTCString()
