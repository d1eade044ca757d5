import { describe, expect, it } from "@effect/vitest"
import { prop } from "./support.js"
import { Option } from "effect"
import fc from "fast-check"
import { formatHttpDate, MAX_RETRY_AFTER_MS, parseHttpDate, parseRetryAfter } from "../../src/retry/retryAfter.js"

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0)

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("120", NOW)).toEqual(Option.some(120_000))
    expect(parseRetryAfter("0", NOW)).toEqual(Option.some(0))
    expect(parseRetryAfter("  7 ", NOW)).toEqual(Option.some(7_000))
    expect(parseRetryAfter("1.5", NOW)).toEqual(Option.some(1_500))
  })

  it("reads the three HTTP-date forms", () => {
    const now = Date.UTC(1994, 10, 6, 8, 49, 0)
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now)).toEqual(Option.some(37_000))
    expect(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now)).toEqual(Option.some(37_000))
    expect(parseRetryAfter("Sun Nov  6 08:49:37 1994", now)).toEqual(Option.some(37_000))
  })

  it("treats a date in the past as retry now", () => {
    expect(parseRetryAfter(formatHttpDate(NOW - 60_000), NOW)).toEqual(Option.some(0))
  })

  it("rejects negatives, garbage and absurd values", () => {
    for (
      const bad of [
        "-1",
        "+5",
        "",
        "   ",
        "soon",
        "1e3",
        "0x10",
        "Infinity",
        "NaN",
        "12abc",
        "1,000",
        "Sun, 31 Feb 2024 10:00:00 GMT", // no such date
        "Sun, 06 Nov 1994 25:49:37 GMT", // no such hour
        "Xyz, 06 Nov 1994 08:49:37 GMT", // no such weekday
        "Sun, 06 Foo 1994 08:49:37 GMT", // no such month
        "Sun, 06 Nov 1994 08:49:37 PST", // not GMT
        "2024-06-15T12:00:00Z", // ISO 8601 is not an HTTP-date
        String(MAX_RETRY_AFTER_MS / 1000 + 1), // more than a day
        "99999999999999999999"
      ]
    ) {
      expect(parseRetryAfter(bad, NOW), bad).toEqual(Option.none())
    }
    expect(parseRetryAfter(formatHttpDate(NOW + MAX_RETRY_AFTER_MS + 1000), NOW)).toEqual(Option.none())
  })

  it("honours a custom maximum", () => {
    expect(parseRetryAfter("61", NOW, 60_000)).toEqual(Option.none())
    expect(parseRetryAfter("60", NOW, 60_000)).toEqual(Option.some(60_000))
  })

  it("resolves RFC 850 two-digit years within 50 years of now", () => {
    const now = Date.UTC(2030, 0, 1)
    // 79 -> 2079 would be 49 years ahead: kept in this century.
    expect(parseHttpDate("Sunday, 01-Jan-79 00:00:00 GMT", now)).toEqual(Option.some(Date.UTC(2079, 0, 1)))
    // 99 -> 2099 is 69 years ahead: the previous century.
    expect(parseHttpDate("Friday, 01-Jan-99 00:00:00 GMT", now)).toEqual(Option.some(Date.UTC(1999, 0, 1)))
  })

  prop("round-trips integer seconds", [fc.integer({ min: 0, max: 86_400 }), fc.integer({ min: 0, max: 4e12 })], ([s, now]) => {
    expect(parseRetryAfter(String(s), now)).toEqual(Option.some(s * 1000))
  })

  prop(
    "round-trips IMF-fixdates (whole seconds) within a day",
    [fc.integer({ min: 0, max: 253_000_000_000_000 }), fc.integer({ min: -86_400, max: 86_400 })],
    ([now, offsetSeconds]) => {
      const at = Math.floor(now / 1000) * 1000 + offsetSeconds * 1000
      const parsed = parseRetryAfter(formatHttpDate(at), now)
      expect(parsed).toEqual(Option.some(Math.max(0, at - now)))
    }
  )

  prop("parses any IMF-fixdate back to its instant", [fc.date({ min: new Date(0), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true })], ([d]) => {
    const ms = Math.floor(d.getTime() / 1000) * 1000
    expect(parseHttpDate(formatHttpDate(ms), 0)).toEqual(Option.some(ms))
  })

  prop("never throws, and only yields delays in [0, max]", [fc.string(), fc.double()], ([s, now]) => {
    const result = parseRetryAfter(s, now)
    if (Option.isSome(result)) {
      expect(result.value).toBeGreaterThanOrEqual(0)
      expect(result.value).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS)
    }
  })

  prop("rejects every negative number", [fc.integer({ min: -1e9, max: -1 })], ([n]) => {
    expect(parseRetryAfter(String(n), NOW)).toEqual(Option.none())
  })
})
