/**
 * HTTP-date (RFC 9110 §5.6.7): a strict parser of the three forms a recipient must accept, and the
 * formatter of the one form a sender must use. Shared by `Retry-After` parsing and the response
 * cache (`Date`, `Expires`, `Last-Modified`): `Date.parse` accepts far more than HTTP-dates
 * (`"2025-01-01"`, `"0"`, local-time forms), which would read garbage as a time.
 *
 * @since 0.1.0
 * @internal
 */
import { Option } from "effect"

const DAY_NAMES_SHORT = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const
const DAY_NAMES_LONG = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const

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
 * Formats epoch milliseconds as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form
 * servers must send. Exposed for tests and simulated servers.
 *
 * @since 0.1.0
 */
export const formatHttpDate = (epochMs: number): string => new Date(epochMs).toUTCString()
