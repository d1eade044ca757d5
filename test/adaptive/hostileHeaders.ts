/**
 * Arbitraries for a hostile server's rate-limit headers: huge, negative, fractional and non-numeric
 * values, dates far in the future and the past, garbage, in every family the controller reads.
 * Shared by the pure property (parse + decision) and the one through the composed client.
 */
import fc from "fast-check"

/** A number as text, from harmless to absurd, or text that only looks like one. */
export const hostileNumber: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 0, max: 3600 }).map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.double().map(String),
  fc.integer().map(String),
  // 999999999 is a delta of 31 years; 1e12+ reads as epoch ms, 1e9+ as epoch seconds.
  fc.constantFrom("999999999", "1000000000000", "99999999999999", "9999999999", "1e12", "NaN", "Infinity", "-1", "-0", "0x10", "", " ", "1.5", "0.000001")
)

/** An HTTP-date (or what tries to be one), anywhere from year -271821 to 275760. */
export const hostileDate: fc.Arbitrary<string> = fc
  .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
  .map((d) => d.toUTCString())

const DAY = 86_400_000

/** Where the tests' clocks sit, so that the near dates are near them (`hostile.test.ts` starts there). */
export const NEAR_ANCHOR = 1_700_000_000_000

/**
 * An HTTP-date within two days of `anchorMs`, half of them within two minutes: a `Date` and a
 * Retry-After both drawn here lie close enough together for the server's clock to be read
 * (`parseRetryAfter`), which dates across ±270k years almost never are.
 */
export const nearHttpDate = (anchorMs: number): fc.Arbitrary<string> =>
  fc.oneof(fc.integer({ min: -120_000, max: 120_000 }), fc.integer({ min: -2 * DAY, max: 2 * DAY }))
    .map((off) => new Date(anchorMs + off).toUTCString())

const garbage: fc.Arbitrary<string> = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme-ascii", maxLength: 300 }))

const value = (weight: number, anchorMs: number) =>
  fc.oneof(
    { weight, arbitrary: hostileNumber },
    { weight: 1, arbitrary: hostileDate },
    { weight: 1, arbitrary: nearHttpDate(anchorMs) },
    { weight: 1, arbitrary: garbage }
  )

const name = fc.constantFrom('"default"', '"day"', "burst", '"x"')

/** `RateLimit` in the current IETF list form, the draft-07 dictionary, or garbage. */
const ratelimit: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.tuple(name, hostileNumber, hostileNumber), { minLength: 1, maxLength: 3 }).map((items) =>
    items.map(([n, r, t]) => `${n};r=${r};t=${t}`).join(", ")
  ),
  fc.tuple(hostileNumber, hostileNumber, hostileNumber).map(([l, r, t]) => `limit=${l}, remaining=${r}, reset=${t}`),
  garbage
)

const policy: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.tuple(name, hostileNumber, hostileNumber), { minLength: 1, maxLength: 3 }).map((items) =>
    items.map(([n, q, w]) => `${n};q=${q};w=${w}`).join(", ")
  ),
  fc.tuple(hostileNumber, hostileNumber).map(([q, w]) => `${q};w=${w}`),
  garbage
)

/** A response's headers as a hostile server sends them (any subset), its dates often near `anchorMs`. */
export const hostileHeadersNear = (anchorMs: number): fc.Arbitrary<Record<string, string>> =>
  fc.record(
    {
      "retry-after": value(3, anchorMs),
      "x-ratelimit-limit": value(3, anchorMs),
      "x-ratelimit-remaining": fc.oneof(fc.constantFrom("0", "1"), value(3, anchorMs)),
      "x-ratelimit-reset": value(3, anchorMs),
      "x-ratelimit-used": value(3, anchorMs),
      "ratelimit-limit": value(3, anchorMs),
      "ratelimit-remaining": fc.oneof(fc.constantFrom("0", "1"), value(3, anchorMs)),
      "ratelimit-reset": value(3, anchorMs),
      ratelimit,
      "ratelimit-policy": policy,
      // The server's clock, which bounds how an HTTP-date Retry-After is read (`parseRetryAfter`),
      // and a cache's Age, which moves it.
      date: fc.oneof(hostileDate, nearHttpDate(anchorMs), nearHttpDate(anchorMs), garbage),
      age: fc.oneof(fc.integer({ min: 0, max: 200_000 }).map(String), hostileNumber, garbage)
    },
    { requiredKeys: [] }
  )

/** As `hostileHeadersNear`, near `NEAR_ANCHOR`. */
export const hostileHeaders: fc.Arbitrary<Record<string, string>> = hostileHeadersNear(NEAR_ANCHOR)

/** Statuses a hostile server pairs with them: the walls, and the others. */
export const hostileStatus: fc.Arbitrary<number> = fc.constantFrom(200, 204, 429, 503, 500)
