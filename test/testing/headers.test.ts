import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import { parseRetryAfter } from "../../src/retry/retryAfter.js"
import { rateLimitHeaders } from "../../src/testing/rateLimitHeaders.js"
import { retryAfterHeader } from "../../src/testing/retryAfterValue.js"

const now = fc.integer({ min: 0, max: 4_000_000_000_000 })
const waitMs = fc.double({ min: 0.001, max: 3_600_000, noNaN: true })

describe("Retry-After variants", () => {
  it("never tell a client to come back before the server admits it; seconds are whole, at least 1, at most 1 s late", () =>
    fc.assert(fc.property(now, waitMs, (t, wait) => {
      const seconds = retryAfterHeader("seconds", wait, t)["retry-after"]!
      expect(seconds).toMatch(/^[1-9]\d*$/)
      expect(Number(seconds) * 1000).toBeGreaterThanOrEqual(wait - 1e-6)
      expect(Number(seconds)).toBe(Math.max(1, Math.ceil(wait / 1000 - 1e-9)))
      const precise = retryAfterHeader("precise", wait, t)["retry-after"]!
      expect(precise).toMatch(/^\d+\.\d{3}$/)
      expect(Number(precise) * 1000).toBeGreaterThanOrEqual(wait - 1e-6)
      expect(Number(precise) * 1000).toBeLessThan(Math.max(1, wait) + 1)
      const date = retryAfterHeader("http-date", wait, t)["retry-after"]!
      expect(Option.getOrThrow(parseRetryAfter(date, t))).toBeGreaterThanOrEqual(wait)
      expect(retryAfterHeader("none", wait, t)).toEqual({})
    })))
})

describe("rate-limit headers", () => {
  const view = fc.record({
    limit: fc.integer({ min: 1, max: 10_000 }),
    remaining: fc.integer({ min: 0, max: 10_000 }),
    resetMs: fc.double({ min: 0, max: 86_400_000, noNaN: true }),
    windowS: fc.integer({ min: 1, max: 86_400 })
  })

  it("state time-to-reset rounded up to whole seconds, as a delta or an epoch second", () =>
    fc.assert(fc.property(view, now, (v, t) => {
      const delta = rateLimitHeaders(v, t, { xRateLimit: "delta", ietf: { draft: "draft-6" } })
      const s = Number(delta["x-ratelimit-reset"])
      expect(Number.isInteger(s) && s * 1000 >= v.resetMs - 1e-6 && s * 1000 < v.resetMs + 1000).toBe(true)
      expect(delta["ratelimit-reset"]).toBe(String(s))
      const epoch = Number(rateLimitHeaders(v, t, { xRateLimit: "epoch" })["x-ratelimit-reset"])
      expect(Number.isInteger(epoch) && epoch * 1000 >= t + v.resetMs - 1e-6 && epoch * 1000 <= t + v.resetMs + 1000).toBe(true)
    })))

  it("IETF structured fields carry the policy name, qu and a base64 pk byte sequence", () => {
    const v = { limit: 100, remaining: 7, resetMs: 1_200, windowS: 60 }
    expect(rateLimitHeaders(v, 0, { ietf: { name: "burst", partitionKey: "user:ø", quotaUnit: "content-bytes" } })).toEqual({
      "ratelimit-policy": `"burst";q=100;w=60;qu="content-bytes";pk=:dXNlcjrDuA==:`,
      "ratelimit": `"burst";r=7;t=2;pk=:dXNlcjrDuA==:`
    })
    expect(rateLimitHeaders(v, 0, { ietf: true })).toEqual({ "ratelimit-policy": `"default";q=100;w=60`, "ratelimit": `"default";r=7;t=2` })
    expect(rateLimitHeaders(v, 0, { ietf: { draft: "draft-7" } })).toEqual({ "ratelimit-policy": "100;w=60", "ratelimit": "limit=100, remaining=7, reset=2" })
    expect(rateLimitHeaders(v, 0, {})).toEqual({})
  })
})
