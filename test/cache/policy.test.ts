import { describe, expect, it } from "@effect/vitest"
import { Duration, Either, Schema } from "effect"
import fc from "fast-check"
import {
  CachePolicyOptions,
  conditionalHeaders,
  decideRequest,
  decideResponse,
  defaultPolicy,
  makePolicy,
  mergeNotModified,
  parseCacheControl
} from "../../src/cache/policy.js"

const now = Date.UTC(2025, 0, 1)
const respond = (headers: Record<string, string>, status = 200, policy = defaultPolicy, method = "GET") =>
  decideResponse({ method, status, headers, now }, policy)
const storable = (d: ReturnType<typeof respond>) => {
  if (d._tag !== "Storable") throw new Error(`expected Storable, got ${d.reason}`)
  return d
}

describe("cache policy: requests", () => {
  it("looks up GET/HEAD, bypasses unsafe methods, no-store and caller-managed validation", () => {
    expect(decideRequest("GET", {}, defaultPolicy)).toEqual({ _tag: "Lookup", revalidate: false })
    expect(decideRequest("head", {}, defaultPolicy)._tag).toBe("Lookup")
    for (const m of ["POST", "PUT", "PATCH", "DELETE"]) expect(decideRequest(m, {}, defaultPolicy)._tag).toBe("Bypass")
    expect(decideRequest("GET", { "cache-control": "no-store" }, defaultPolicy)._tag).toBe("Bypass")
    expect(decideRequest("GET", { "If-None-Match": "\"a\"" }, defaultPolicy)._tag).toBe("Bypass")
    expect(decideRequest("GET", { range: "bytes=0-1" }, defaultPolicy)._tag).toBe("Bypass")
    expect(decideRequest("GET", { "cache-control": "no-cache" }, defaultPolicy)).toEqual({ _tag: "Lookup", revalidate: true })
    expect(decideRequest("GET", { "cache-control": "max-age=0" }, defaultPolicy)).toEqual({ _tag: "Lookup", revalidate: true })
    expect(decideRequest("GET", { pragma: "no-cache" }, defaultPolicy)).toEqual({ _tag: "Lookup", revalidate: true })
  })
})

describe("cache policy: responses", () => {
  it("honours max-age, and s-maxage only in a shared cache", () => {
    expect(storable(respond({ "cache-control": "max-age=60" })).expiresAt).toBe(now + 60_000)
    const both = { "cache-control": "max-age=60, s-maxage=5" }
    expect(storable(respond(both)).expiresAt).toBe(now + 60_000)
    expect(storable(respond(both, 200, makePolicy({ shared: true }))).expiresAt).toBe(now + 5_000)
  })

  it("subtracts Age and caps by maxTtl", () => {
    expect(storable(respond({ "cache-control": "max-age=60", age: "20" })).expiresAt).toBe(now + 40_000)
    expect(storable(respond({ "cache-control": "max-age=600" }, 200, makePolicy({ maxTtl: Duration.seconds(30) }))).expiresAt)
      .toBe(now + 30_000)
  })

  it("reads dates strictly (RFC 9110 §5.6.7): an ISO or local-time Expires is invalid, so already expired", () => {
    for (const expires of ["2030-01-01", "2030-01-01T00:00:00Z", "Tue Jan 01 2030 00:00:00 GMT+0000", "1 Jan 2030"]) {
      expect(respond({ expires }), expires).toMatchObject({ _tag: "NotStorable" })
    }
    // The three forms a recipient must accept.
    for (const expires of ["Tue, 01 Jan 2030 00:00:00 GMT", "Tuesday, 01-Jan-30 00:00:00 GMT", "Tue Jan  1 00:00:00 2030"]) {
      expect(storable(respond({ expires })).expiresAt, expires).toBe(Date.UTC(2030, 0, 1))
    }
  })

  it("subtracts the response delay and the apparent age from Date (RFC 9111 §4.2.3)", () => {
    const cc = { "cache-control": "max-age=60" }
    const sent = (delayMs: number, headers: Record<string, string>) =>
      storable(decideResponse({ method: "GET", status: 200, headers, now, requestTime: now - delayMs }, defaultPolicy)).expiresAt
    expect(sent(2_000, cc)).toBe(now + 58_000)
    expect(sent(2_000, { ...cc, age: "10" })).toBe(now + 48_000)
    expect(sent(0, { ...cc, date: new Date(now - 7_000).toUTCString() })).toBe(now + 53_000)
    // The larger of the two corrections wins; a Date ahead of our clock adds nothing.
    expect(sent(1_000, { ...cc, age: "3", date: new Date(now - 7_000).toUTCString() })).toBe(now + 53_000)
    expect(sent(0, { ...cc, date: new Date(now + 30_000).toUTCString() })).toBe(now + 60_000)
  })

  it("in a shared cache stores a response to an authenticated request only when it says so (RFC 9111 §3.5)", () => {
    const shared = makePolicy({ shared: true })
    const authed = (cc: string, policy = shared) =>
      decideResponse({ method: "GET", status: 200, headers: { "cache-control": cc }, now, requestHeaders: { Authorization: "Bearer t" } }, policy)._tag
    expect(authed("max-age=60")).toBe("NotStorable")
    for (const cc of ["max-age=60, public", "max-age=60, must-revalidate", "s-maxage=60"]) expect(authed(cc), cc).toBe("Storable")
    expect(authed("max-age=60", defaultPolicy)).toBe("Storable")
  })

  it("uses Expires relative to Date, and treats an invalid Expires as already expired", () => {
    // Lifetime 30 s (Expires - Date); the Date 5 s behind our clock is 5 s of apparent age (§4.2.3).
    const date = new Date(now - 5_000).toUTCString()
    const expires = new Date(now + 25_000).toUTCString()
    expect(storable(respond({ date, expires })).expiresAt).toBe(now + 25_000)
    expect(respond({ expires: "0" })._tag).toBe("NotStorable")
    const withEtag = storable(respond({ expires: "0", etag: "\"x\"" }))
    expect(withEtag.expiresAt).toBe(now)
    expect(withEtag.revalidatable).toBe(true)
  })

  it("max-age wins over Expires", () => {
    expect(storable(respond({ "cache-control": "max-age=10", expires: new Date(now + 999_000).toUTCString() })).expiresAt)
      .toBe(now + 10_000)
  })

  it("does not store no-store, private in a shared cache, Set-Cookie (unless allowed), Vary: *", () => {
    expect(respond({ "cache-control": "no-store, max-age=60" })._tag).toBe("NotStorable")
    expect(respond({ "cache-control": "private, max-age=60" })._tag).toBe("Storable")
    expect(respond({ "cache-control": "private, max-age=60" }, 200, makePolicy({ shared: true }))._tag).toBe("NotStorable")
    expect(respond({ "cache-control": "max-age=60", "set-cookie": "a=1" })._tag).toBe("NotStorable")
    expect(respond({ "cache-control": "max-age=60", "set-cookie": "a=1" }, 200, makePolicy({ allowSetCookie: true }))._tag)
      .toBe("Storable")
    expect(respond({ "cache-control": "max-age=60", vary: "*" })._tag).toBe("NotStorable")
  })

  it("stores no-cache only with a validator, stale at once", () => {
    expect(respond({ "cache-control": "no-cache, max-age=60" })._tag).toBe("NotStorable")
    const d = storable(respond({ "cache-control": "no-cache", etag: "\"v\"" }))
    expect(d.expiresAt).toBe(now)
    expect(d.retainUntil).toBe(now + Duration.toMillis(defaultPolicy.staleRetention))
  })

  it("applies the default TTL when the response says nothing", () => {
    expect(respond({})._tag).toBe("NotStorable")
    expect(storable(respond({}, 200, makePolicy({ defaultTtl: Duration.seconds(30) }))).expiresAt).toBe(now + 30_000)
  })

  it("only stores cacheable statuses and methods", () => {
    expect(respond({ "cache-control": "max-age=60" }, 404)._tag).toBe("Storable")
    for (const s of [201, 206, 302, 429, 500, 503]) expect(respond({ "cache-control": "max-age=60" }, s)._tag).toBe("NotStorable")
    expect(respond({ "cache-control": "max-age=60" }, 200, defaultPolicy, "POST")._tag).toBe("NotStorable")
  })

  it("retains validator-less entries only while fresh, revalidatable ones longer", () => {
    const plain = storable(respond({ "cache-control": "max-age=60" }))
    expect(plain.retainUntil).toBe(plain.expiresAt)
    const lm = storable(respond({ "cache-control": "max-age=60", "last-modified": new Date(now - 1000).toUTCString() }))
    expect(lm.retainUntil).toBe(lm.expiresAt + Duration.toMillis(defaultPolicy.staleRetention))
    expect(lm.vary).toEqual([])
  })

  it("never yields a freshness beyond max-age (property)", () =>
    fc.assert(fc.property(fc.nat({ max: 10_000_000 }), fc.nat({ max: 100_000 }), (maxAge, age) => {
      const d = respond({ "cache-control": `max-age=${maxAge}`, age: String(age), etag: "\"e\"" })
      const s = storable(d)
      expect(s.expiresAt).toBe(now + maxAge * 1000 - age * 1000)
      expect(s.expiresAt <= now + maxAge * 1000).toBe(true)
    })))
})

describe("cache policy: parsing and revalidation helpers", () => {
  it("parses Cache-Control with quotes, case and repeats (first wins)", () => {
    const cc = parseCacheControl("Max-Age=5, no-cache=\"set-cookie, x\", max-age=9, PRIVATE")
    expect(cc.get("max-age")).toBe("5")
    expect(cc.get("no-cache")).toBe("set-cookie, x")
    expect(cc.get("private")).toBe(true)
  })

  it("builds conditional headers and merges a 304's headers", () => {
    expect(conditionalHeaders({ etag: "\"1\"", lastModified: "Wed, 01 Jan 2025 00:00:00 GMT" })).toEqual({
      "if-none-match": "\"1\"",
      "if-modified-since": "Wed, 01 Jan 2025 00:00:00 GMT"
    })
    expect(conditionalHeaders({})).toEqual({})
    expect(mergeNotModified({ "content-length": "5", etag: "\"1\"", "x-a": "a" }, { "Content-Length": "0", ETag: "\"2\"" }))
      .toEqual({ "content-length": "5", etag: "\"2\"", "x-a": "a" })
  })

  it("decodes options from configuration and names what is wrong", () => {
    const ok = Schema.decodeUnknownEither(CachePolicyOptions)({ defaultTtl: "5 minutes", shared: true })
    expect(Either.isRight(ok)).toBe(true)
    if (Either.isRight(ok)) expect(Duration.toMillis(makePolicy(ok.right).defaultTtl)).toBe(300_000)
    const bad = Schema.decodeUnknownEither(CachePolicyOptions)({ defaultTtl: "soon" })
    expect(Either.isLeft(bad) && bad.left.message.includes("defaultTtl")).toBe(true)
    expect(Either.isLeft(Schema.decodeUnknownEither(CachePolicyOptions)({ cacheableStatuses: [99] }))).toBe(true)
  })
})
