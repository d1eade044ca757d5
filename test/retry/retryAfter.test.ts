import { describe, expect, it } from "@effect/vitest"
import { prop } from "./support.js"
import { Option } from "effect"
import fc from "fast-check"
import { formatHttpDate, MAX_RETRY_AFTER_MS, parseHttpDate, parseRetryAfter } from "../../src/retry/retryAfter.js"

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0)
const DAY = 86_400_000

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

  it("reads an HTTP-date on the server's clock when its Date comes along: a skewed client is off by at most a second", () => {
    const at = "Sat, 15 Jun 2024 12:01:00 GMT"
    const date = "Sat, 15 Jun 2024 12:00:00 GMT"
    // Clocks agreeing (the answer read 300 ms into the Date's second): the client's own reading.
    expect(parseRetryAfter(at, NOW + 300, undefined, { date })).toEqual(Option.some(59_700))
    // The client 5 minutes ahead read the date as past (retry at once), 5 minutes behind as 6 minutes away.
    expect(parseRetryAfter(at, NOW + 300_000)).toEqual(Option.some(0))
    expect(parseRetryAfter(at, NOW + 300_000, undefined, { date })).toEqual(Option.some(59_000))
    expect(parseRetryAfter(at, NOW - 300_000, undefined, { date })).toEqual(Option.some(60_000))
    // A Date that is no HTTP-date is ignored; the bound on the wait stands.
    expect(parseRetryAfter(at, NOW + 300_000, undefined, { date: "yesterday" })).toEqual(Option.some(0))
    expect(parseRetryAfter("Sun, 16 Jun 2024 12:00:01 GMT", NOW - 300_000, undefined, { date })).toEqual(Option.none())
    // delay-seconds are the server's own count: its Date changes nothing.
    expect(parseRetryAfter("2", NOW + 300_000, undefined, { date })).toEqual(Option.some(2_000))
  })

  it("adds a bounded Age to the Date: a 503 a cache serves later is read on the serving clock", () => {
    const at = formatHttpDate(NOW + 60_000)
    const date = formatHttpDate(NOW)
    // Stored at NOW, served 10 minutes later: the Retry-After date is past (the origin's Date alone said 59 s).
    expect(parseRetryAfter(at, NOW + 600_000, undefined, { date, age: "600" })).toEqual(Option.some(0))
    // Served 30 s later, the client's clock agreeing: its own reading stands.
    expect(parseRetryAfter(at, NOW + 30_300, undefined, { date, age: "30" })).toEqual(Option.some(29_700))
    expect(parseRetryAfter(at, NOW + 30_300, undefined, { date })).toEqual(Option.some(59_000))
    // Not digits: no Age. An Age past a day counts a day (a date a minute after Date long past).
    for (const age of ["-30", "3e1", "30.5", "0x1e", "", "thirty", "30 s"]) {
      expect(parseRetryAfter(at, NOW + 30_300, undefined, { date, age }), age).toEqual(Option.some(59_000))
    }
    expect(parseRetryAfter(at, NOW + 30_300, undefined, { date, age: "9".repeat(40) })).toEqual(Option.some(0))
  })

  it("ignores a Date further off than a day, or later than the Retry-After date: the client's clock alone", () => {
    const at = formatHttpDate(NOW + 60_000)
    // A Date two days off made the stated wait absurd: the valid header was dropped.
    expect(parseRetryAfter(at, NOW, undefined, { date: formatHttpDate(NOW - 2 * 86_400_000) })).toEqual(Option.some(60_000))
    expect(parseRetryAfter(at, NOW, undefined, { date: formatHttpDate(NOW + 2 * 86_400_000) })).toEqual(Option.some(60_000))
    // Past the caller's cap too (maxMs 2 minutes, a Date 5 minutes off).
    expect(parseRetryAfter(at, NOW, 120_000, { date: formatHttpDate(NOW - 300_000) })).toEqual(Option.some(60_000))
    // A Date after the date it says to retry at: an inconsistent pair (it read as no wait at all).
    expect(parseRetryAfter(at, NOW, undefined, { date: formatHttpDate(NOW + 3_600_000) })).toEqual(Option.some(60_000))
    // The same second: retry now, as stated.
    expect(parseRetryAfter(at, NOW + 60_500, undefined, { date: at })).toEqual(Option.some(0))
  })

  prop(
    "with the server's Date, an HTTP-date reads as on the client's clock when the clocks agree, and within a second and a round trip below the stated wait whatever the skew",
    [
      fc.integer({ min: 0, max: 4e12 }),
      fc.integer({ min: -90_000, max: 90_000 }),
      fc.integer({ min: 0, max: 999 }),
      fc.integer({ min: 0, max: 5000 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: -1e9, max: 1e9 })
    ],
    ([serverNow, offsetSeconds, within, roundTripMs, way, skew]) => {
      const date = Math.floor(serverNow / 1000) * 1000
      const at = date + offsetSeconds * 1000
      const stated = at - date
      // Stamped `within` ms into its second, the answer arrives at most a round trip later.
      const arrived = date + within + Math.floor(way * roundTripMs)
      const agreeing = parseRetryAfter(formatHttpDate(at), arrived, undefined, { date: formatHttpDate(date), roundTripMs })
      expect(agreeing).toEqual(parseRetryAfter(formatHttpDate(at), arrived))
      const skewed = parseRetryAfter(formatHttpDate(at), arrived + skew, undefined, { date: formatHttpDate(date), roundTripMs })
      // A Date after the Retry-After date, or further than a day (`maxMs`) off: the client's clock alone.
      if (stated < 0 || Math.abs(date - arrived - skew) > MAX_RETRY_AFTER_MS) {
        expect(skewed).toEqual(parseRetryAfter(formatHttpDate(at), arrived + skew))
      } else if (Option.isNone(skewed)) expect(stated).toBeGreaterThan(MAX_RETRY_AFTER_MS)
      else {
        expect(skewed.value).toBeGreaterThanOrEqual(Math.max(0, stated - 1000 - roundTripMs))
        expect(skewed.value).toBeLessThanOrEqual(Math.max(0, stated))
      }
    }
  )

  prop("with any Date header, never throws, and only yields delays in [0, max]", [fc.string(), fc.double(), fc.string()], ([s, now, date]) => {
    const result = parseRetryAfter(s, now, undefined, { date })
    if (Option.isSome(result)) {
      expect(result.value).toBeGreaterThanOrEqual(0)
      expect(result.value).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS)
    }
  })

  prop(
    "with HTTP-dates near now (a Date within two days, a Retry-After near it), a wait within [0, maxMs], as the client's clock reads it when the clocks agree and when the Date is not trusted",
    [
      fc.integer({ min: 0, max: 4e12 }),
      fc.oneof(fc.integer({ min: -3000, max: 1000 }), fc.integer({ min: -2 * DAY, max: 2 * DAY })),
      fc.oneof(fc.integer({ min: -5, max: 120 }), fc.integer({ min: -2 * DAY / 1000, max: 2 * DAY / 1000 })),
      fc.option(fc.integer({ min: 0, max: 5000 })),
      fc.option(fc.oneof(fc.integer({ min: 0, max: 200_000 }).map(String), fc.string())),
      fc.oneof(fc.constant(MAX_RETRY_AFTER_MS), fc.integer({ min: 0, max: 2 * DAY }))
    ],
    ([now, dateOff, afterS, rtt, age, maxMs]) => {
      const date = Math.floor((now + dateOff) / 1000) * 1000
      const at = date + afterS * 1000
      const server = { date: formatHttpDate(date), roundTripMs: rtt ?? undefined, age: age ?? undefined }
      const r = parseRetryAfter(formatHttpDate(at), now, maxMs, server)
      const client = parseRetryAfter(formatHttpDate(at), now, maxMs)
      if (Option.isSome(r)) {
        expect(r.value).toBeGreaterThanOrEqual(0)
        expect(r.value).toBeLessThanOrEqual(maxMs)
        // Never longer than both readings state.
        expect(r.value).toBeLessThanOrEqual(Math.max(0, at - now, at - date))
      }
      const ageMs = age !== null && /^\d+$/.test(age.trim()) ? Math.min(Number(age.trim()), DAY / 1000) * 1000 : 0
      const untrusted = at < date || Math.abs(date + ageMs - now) > Math.min(maxMs, DAY)
      // Clocks agreeing (the answer within 1 s and its round trip of its Date's second), or a Date not trusted.
      const agreeing = ageMs === 0 && now >= date && now - date <= 1000 + (rtt ?? 0)
      if (untrusted || agreeing) expect(r).toEqual(client)
      // With agreeing clocks, never above the stated wait.
      if (agreeing && Option.isSome(r)) expect(r.value).toBeLessThanOrEqual(Math.max(0, at - date))
    },
    { numRuns: 2000 }
  )

  prop("rejects every negative number", [fc.integer({ min: -1e9, max: -1 })], ([n]) => {
    expect(parseRetryAfter(String(n), NOW)).toEqual(Option.none())
  })
})
