import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import { defaultRedactor, makeRedactor } from "../../src/logging/redact.js"
import * as Redaction from "../../src/logging/Redaction.js"
import * as Tracing from "../../src/metrics/Tracing.js"
import { collectingTracer } from "./tracer.js"

describe("Tracing", () => {
  it.effect("request span with attempt child spans and OTel HTTP attributes", () =>
    Effect.gen(function*() {
      const { spans, tracer } = collectingTracer()
      const request = {
        api: "github",
        method: "get",
        url: "https://bot:pw-123456@api.github.com/repos/x?access_token=tok-abcdef&page=2"
      }
      yield* Effect.gen(function*() {
        yield* Tracing.annotateResponse(429).pipe(Tracing.withAttemptSpan(request, 1))
        yield* Tracing.annotateResponse(200).pipe(Tracing.withAttemptSpan(request, 2))
        yield* Tracing.annotateOutcome({ attempts: 2, cache: "miss", status: 200 })
      }).pipe(Tracing.withRequestSpan(request), Effect.withTracer(tracer))

      expect(spans.map((s) => [s.name, s.kind])).toEqual([
        ["governor.request", "internal"],
        ["GET", "client"],
        ["GET", "client"]
      ])
      expect(spans.every((s) => s.ended)).toBe(true)
      expect(spans[1]!.parent).toBe(spans[0]!.spanId)
      expect(spans[2]!.parent).toBe(spans[0]!.spanId)
      const url = "https://[REDACTED]@api.github.com/repos/x?access_token=[REDACTED]&page=2"
      expect(Object.fromEntries(spans[1]!.attributes)).toEqual({
        "governor.api": "github",
        "http.request.method": "GET",
        "url.full": url,
        "url.scheme": "https",
        "url.path": "/repos/x",
        "server.address": "api.github.com",
        "server.port": 443,
        "http.response.status_code": 429,
        "error.type": "429"
      })
      expect(spans[2]!.attributes.get("http.request.resend_count")).toBe(1)
      expect(spans[2]!.attributes.get("http.response.status_code")).toBe(200)
      expect(spans[2]!.attributes.has("error.type")).toBe(false)
      expect(spans[0]!.attributes.get("governor.attempts")).toBe(2)
      expect(spans[0]!.attributes.get("governor.cache")).toBe("miss")
      expect(spans[0]!.attributes.get("url.full")).toBe(url)
    }))

  it.effect("uses the Redaction in effect (custom parameter names, hash mask)", () =>
    Effect.gen(function*() {
      const { spans, tracer } = collectingTracer()
      yield* Effect.void.pipe(
        Tracing.withAttemptSpan({ api: "a", method: "PURGE", url: "http://h.test:8080/p?sk=abc12345" }, 3),
        Effect.withTracer(tracer),
        Effect.provide(Redaction.layer({ mask: "hash", salt: "s", rules: { queryParams: ["sk"] } }))
      )
      const attrs = Object.fromEntries(spans[0]!.attributes)
      expect(spans[0]!.name).toBe("HTTP")
      expect(attrs["http.request.method"]).toBe("_OTHER")
      expect(attrs["http.request.method_original"]).toBe("PURGE")
      expect(attrs["server.port"]).toBe(8080)
      expect(attrs["http.request.resend_count"]).toBe(2)
      expect(attrs["url.full"]).toMatch(/^http:\/\/h\.test:8080\/p\?sk=\[sha256:[0-9a-f]{8}\]$/)
    }))

  it.effect("a request's own redactor wins over the Redaction in effect", () =>
    Effect.gen(function*() {
      const { spans, tracer } = collectingTracer()
      const own = makeRedactor({ rules: { secrets: ["pathtok-93kd0x"] } })
      const url = "https://api.test/hooks/pathtok-93kd0x/run"
      yield* Effect.void.pipe(
        Tracing.withAttemptSpan({ api: "a", method: "GET", url, redactor: own }, 1),
        Tracing.withRequestSpan({ api: "a", method: "GET", url, redactor: own }),
        Effect.withTracer(tracer)
      )
      for (const span of spans) {
        expect(span.attributes.get("url.full")).toBe("https://api.test/hooks/[REDACTED]/run")
        expect(span.attributes.get("url.path")).toBe("/hooks/[REDACTED]/run")
      }
    }))

  it("attributes never contain a secret placed in the URL query, userinfo or path (property)", () => {
    const secretArb = fc.string({
      unit: fc.constantFrom(..."abcdefXYZ0123456789!@#$%^&*()_+-=[]{};:'\",.<>/?\\|`~ é"),
      minLength: 12,
      maxLength: 40
    }).filter((s) => new Set(s).size >= 6)
    fc.assert(fc.property(secretArb, fc.constantFrom("full", "partial", "hash") as fc.Arbitrary<"full" | "partial" | "hash">, fc.nat({ max: 2 }), (secret, mask, where) => {
      const enc = encodeURIComponent(secret)
      const url = [
        `https://api.test/v1?page=1&api_key=${enc}`,
        `https://u:${enc}@api.test/v1`,
        `https://api.test/users/${enc}/x`
      ][where]!
      const redactor = where === 2
        ? makeRedactor({ mask, rules: { secrets: [Redacted.make(secret)] } })
        : makeRedactor({ mask })
      const attrs = JSON.stringify(Tracing.attemptAttributes(redactor, { api: "x", method: "GET", url }, 2))
      for (const form of [secret, enc, JSON.stringify(secret).slice(1, -1)]) expect(attrs).not.toContain(form)
    }), { numRuns: 200 })
    expect(Tracing.requestAttributes(defaultRedactor, { api: "x", method: "GET", url: "not a url?token=abc" })).toEqual({
      "governor.api": "x",
      "http.request.method": "GET",
      "url.full": "not a url?token=[REDACTED]"
    })
  })
})
