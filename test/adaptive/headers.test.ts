import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import { prop } from "./prop.js"
import { headerPace, parseRateLimitHeaders, resolveReset } from "../../src/adaptive/headers.js"

const NOW = 1_700_000_000_000
const info = (h: Record<string, string>, now = NOW) => Option.getOrThrow(parseRateLimitHeaders(h, now).info)

describe("parseRateLimitHeaders", () => {
  it("reads the current IETF draft (policy + RateLimit list)", () => {
    expect(info({ "RateLimit-Policy": '"default";q=100;w=60', RateLimit: '"default";r=50;t=30' })).toEqual({
      limit: 100,
      window: 60_000,
      remaining: 50,
      resetAt: NOW + 30_000,
      policyName: "default",
      source: "ietf"
    })
  })

  it("picks the tightest of several IETF policies", () => {
    const i = info({
      "ratelimit-policy": '"burst";q=100;w=1, "day";q=1000;w=86400',
      ratelimit: '"burst";r=90;t=1, "day";r=5;t=3600'
    })
    expect(i.policyName).toBe("day")
    expect(i.limit).toBe(1000)
    expect(i.remaining).toBe(5)
  })

  it("reads a partition key (byte sequence) as a fingerprint, never the raw bytes", () => {
    const raw = Buffer.from("tenant-secret-1234").toString("base64")
    const headers = { "ratelimit-policy": '"p";q=10;w=1', ratelimit: `"p";r=3;t=1;pk=:${raw}:` }
    const i = info(headers)
    expect(i).toMatchObject({ limit: 10, window: 1000, remaining: 3, resetAt: NOW + 1000, policyName: "p", source: "ietf" })
    expect(i.partition).toMatch(/^[0-9a-f]{8}$/)
    expect(JSON.stringify(i)).not.toContain("tenant")
    expect(JSON.stringify(i)).not.toContain(raw)
    const other = info({ ...headers, ratelimit: `"p";r=3;t=1;pk=:${Buffer.from("tenant-2").toString("base64")}:` })
    expect(other.partition).not.toBe(i.partition)
    expect(parseRateLimitHeaders(headers, NOW).issues).toEqual([])
  })

  it("skips a policy whose quota unit is not requests, reported as unsupported", () => {
    const r = parseRateLimitHeaders({
      "ratelimit-policy": '"bytes";q=65536;w=1;qu="content-bytes", "req";q=20;w=1',
      ratelimit: '"bytes";r=10;t=1, "req";r=15;t=1'
    }, NOW)
    expect(Option.getOrThrow(r.info)).toMatchObject({ policyName: "req", limit: 20, remaining: 15 })
    expect(r.issues).toEqual([expect.objectContaining({ header: "ratelimit-policy", unsupported: true })])
    // Only a byte quota: nothing to pace requests by.
    const only = parseRateLimitHeaders({ "ratelimit-policy": '"b";q=9;w=1;qu="content-bytes"', ratelimit: '"b";r=0;t=5' }, NOW)
    expect(Option.isNone(only.info)).toBe(true)
    expect(parseRateLimitHeaders({ "ratelimit-policy": '"r";q=9;w=1;qu="requests"' }, NOW).issues).toEqual([])
  })

  it("reads RFC 9651 fields (dates, display strings) without discarding the pair", () => {
    const i = info({ "ratelimit-policy": '"d";q=5;w=2;note=%"caf%c3%a9";since=@1700000000', ratelimit: '"d";r=4;t=2' })
    expect(i).toMatchObject({ limit: 5, window: 2000, remaining: 4 })
  })

  it("reads the draft-07 dictionary form and its numeric policy", () => {
    expect(info({ ratelimit: "limit=100, remaining=50, reset=30", "ratelimit-policy": "100;w=60" })).toEqual({
      limit: 100,
      window: 60_000,
      remaining: 50,
      resetAt: NOW + 30_000,
      source: "ietf-draft7"
    })
  })

  it("reads separate RateLimit-Limit/Remaining/Reset", () => {
    expect(info({ "RateLimit-Limit": "10", "RateLimit-Remaining": "3", "RateLimit-Reset": "5" })).toEqual({
      limit: 10,
      remaining: 3,
      resetAt: NOW + 5000,
      source: "ratelimit-separate"
    })
  })

  it("reads draft-6 (a RateLimit-Policy beside the separate fields, or beside X-RateLimit-* only): the policy's window, the fields' remaining and reset", () => {
    // express-rate-limit v6 sends both families; read alone, the policy dropped what is left.
    const reset = NOW / 1000 + 7
    expect(info({
      "ratelimit-policy": "500;w=10",
      "ratelimit-limit": "500",
      "ratelimit-remaining": "300",
      "ratelimit-reset": "7",
      "x-ratelimit-limit": "500",
      "x-ratelimit-remaining": "1",
      "x-ratelimit-reset": String(reset)
    })).toEqual({ limit: 500, window: 10_000, remaining: 300, resetAt: NOW + 7000, source: "ratelimit-separate" })
    expect(info({ "ratelimit-policy": "500;w=10", "x-ratelimit-remaining": "4", "x-ratelimit-reset": String(reset) }))
      .toEqual({ limit: 500, window: 10_000, remaining: 4, resetAt: NOW + 7000, resetEpochS: true, source: "x-ratelimit" })
    // A policy alone still tells the quota and window.
    expect(info({ "ratelimit-policy": "500;w=10" })).toEqual({ limit: 500, window: 10_000, source: "ietf" })
  })

  it("reads GitHub-style X-RateLimit with epoch reset, Used and Resource", () => {
    const reset = NOW / 1000 + 1200
    expect(info({
      "x-ratelimit-limit": "5000",
      "x-ratelimit-used": "4990",
      "x-ratelimit-reset": String(reset),
      "x-ratelimit-resource": "core"
    })).toEqual({ limit: 5000, remaining: 10, used: 4990, resetAt: NOW + 1_200_000, resetEpochS: true, policyName: "core", source: "x-ratelimit" })
  })

  it("prefers IETF over X-RateLimit when both are present", () => {
    const i = info({ "x-ratelimit-remaining": "1", "ratelimit-policy": '"p";q=9;w=1', ratelimit: '"p";r=8;t=1' })
    expect(i.source).toBe("ietf")
    expect(i.remaining).toBe(8)
  })

  it("reports malformed values and ignores them", () => {
    const r = parseRateLimitHeaders({ "x-ratelimit-limit": "lots", "x-ratelimit-remaining": "4" }, NOW)
    expect(Option.getOrThrow(r.info)).toEqual({ remaining: 4, source: "x-ratelimit" })
    expect(r.issues).toEqual([{ header: "x-ratelimit-limit", value: "lots", reason: "not a non-negative number" }])
    const bad = parseRateLimitHeaders({ ratelimit: '"x";r=' }, NOW)
    expect(Option.isNone(bad.info)).toBe(true)
    expect(bad.issues.map((i) => i.header)).toEqual(["ratelimit"])
    expect(parseRateLimitHeaders({ "content-type": "text/plain" }, NOW)).toEqual({ info: Option.none(), issues: [] })
  })

  it("a reset further ahead than the bound (default one day) is malformed in every family: reported, and dropped", () => {
    const dropped = (h: Record<string, string>, header: string, maxResetMs?: number) => {
      const r = parseRateLimitHeaders(h, NOW, maxResetMs)
      expect(Option.flatMap(r.info, (i) => Option.fromNullable(i.resetAt))).toEqual(Option.none())
      expect(r.issues).toEqual([expect.objectContaining({ header, reason: expect.stringContaining("beyond") })])
    }
    // 999999999 is below the epoch-seconds threshold: a delta of 31 years.
    dropped({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "999999999" }, "x-ratelimit-reset")
    dropped({ "x-ratelimit-remaining": "1", "x-ratelimit-reset": String(NOW + 40 * 86_400_000) }, "x-ratelimit-reset")
    dropped({ "ratelimit-remaining": "0", "ratelimit-reset": "3600" }, "ratelimit-reset", 1_800_000)
    dropped({ ratelimit: "limit=10, remaining=0, reset=999999999" }, "ratelimit")
    const ietf = parseRateLimitHeaders({ ratelimit: '"p";r=0;t=1000000000000' }, NOW)
    expect(Option.isNone(ietf.info)).toBe(true)
    expect(ietf.issues[0]).toMatchObject({ header: "ratelimit", reason: expect.stringContaining("beyond") })
    // A hostile item does not hide a sane one: the sane one is read.
    expect(info({ ratelimit: '"a";r=0;t=999999999, "b";r=5;t=10' })).toMatchObject({ policyName: "b", remaining: 5, resetAt: NOW + 10_000 })
    // Hourly and daily quotas are real: up to the bound, a reset is read as sent.
    expect(info({ "ratelimit-remaining": "0", "ratelimit-reset": "3600" }).resetAt).toBe(NOW + 3_600_000)
    expect(info({ ratelimit: '"d";r=0;t=86400' }).resetAt).toBe(NOW + 86_400_000)
  })

  it("resolveReset: delta seconds, epoch seconds, epoch ms; a past instant is clamped to now", () => {
    expect(resolveReset(30, NOW)).toBe(NOW + 30_000)
    expect(resolveReset(NOW / 1000 + 60, NOW)).toBe(NOW + 60_000)
    expect(resolveReset(NOW + 5, NOW)).toBe(NOW + 5)
    expect(resolveReset(NOW / 1000 - 60, NOW)).toBe(NOW)
  })

  it("headerPace spreads the remaining quota until the reset, or uses limit/window when reset", () => {
    expect(headerPace({ remaining: 50, resetAt: NOW + 10_000, source: "ietf" }, NOW)).toBe(5)
    expect(headerPace({ limit: 100, window: 60_000, remaining: 0, resetAt: NOW, source: "ietf" }, NOW)).toBeCloseTo(100 / 60)
    expect(headerPace({ limit: 100, source: "x-ratelimit" }, NOW)).toBeUndefined()
  })

  prop(
    "never throws on arbitrary header values, and only yields finite non-negative numbers",
    [
      fc.dictionary(
        fc.constantFrom(
          "ratelimit",
          "RateLimit-Policy",
          "x-ratelimit-limit",
          "X-RateLimit-Remaining",
          "x-ratelimit-reset",
          "x-ratelimit-used",
          "ratelimit-limit",
          "ratelimit-reset",
          "x-ratelimit-resource",
          "other"
        ),
        fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom('"a";r=1;t=2', "limit=1, reset=x", "1e309", "-5", "NaN"))
      ),
      fc.oneof(fc.integer(), fc.double())
    ],
    ([headers, now]) => {
      const r = parseRateLimitHeaders(headers, now)
      Option.map(r.info, (i) => {
        for (const v of [i.limit, i.remaining, i.window, i.used]) {
          if (v !== undefined) expect(Number.isFinite(v) && v >= 0).toBe(true)
        }
        if (i.resetAt !== undefined) expect(Number.isFinite(i.resetAt)).toBe(true)
      })
      expect(Array.isArray(r.issues)).toBe(true)
    },
    { fastCheck: { numRuns: 500 } }
  )

  prop(
    "round-trips generated well-formed IETF headers",
    [
      fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/),
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.integer({ min: 1, max: 86_400 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.integer({ min: 0, max: 86_400 })
    ],
    ([name, q, w, r, t]) => {
      const i = info({ "ratelimit-policy": `"${name}";q=${q};w=${w}`, ratelimit: `"${name}";r=${r};t=${t}` })
      expect(i).toEqual({ limit: q, window: w * 1000, remaining: r, resetAt: NOW + t * 1000, policyName: name, source: "ietf" })
    }
  )

  prop(
    "round-trips generated X-RateLimit headers (reset as delta or epoch seconds)",
    [fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 86_400 }), fc.boolean()],
    ([limit, remaining, resetS, epoch]) => {
      const reset = epoch ? NOW / 1000 + resetS : resetS
      const i = info({ "X-RateLimit-Limit": String(limit), "X-RateLimit-Remaining": String(remaining), "X-RateLimit-Reset": String(reset) })
      // The form is stated: an epoch second was rounded up to it (`quotaWindow.windowOfReset`).
      expect(i).toEqual({ limit, remaining, resetAt: NOW + resetS * 1000, ...(epoch ? { resetEpochS: true } : {}), source: "x-ratelimit" })
    }
  )
})
