/**
 * The client's token stays hidden in what the client produces beyond its own log lines: spans, the
 * program's own log lines, errors returned to the caller.
 */
import { HttpBody, HttpClient, HttpClientError } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Either, Exit, HashMap, Logger, LogLevel, Option, Redacted, Scope } from "effect"
import * as ResponseCache from "../../src/cache/ResponseCache.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import * as RedactingLogger from "../../src/logging/RedactingLogger.js"
import { collectingTracer } from "../metrics/tracer.js"
import { startServer } from "./server.js"

const TOKEN = "tok_Hd83kQz1Wm5Xp0Lv7Rc2Yb9Nf4"

const build = (baseUrl: string, extra: Record<string, unknown> = {}) =>
  Effect.flatMap(
    ApiConfig.decode({ name: "secrets", baseUrl, retry: { maxRetries: 0 }, ...extra }),
    (c) => ResilientClient.make(c, { token: Redacted.make(TOKEN) })
  )

const capture = (lines: Array<string>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, message }) => {
      lines.push(`${JSON.stringify(message)} ${JSON.stringify(Object.fromEntries(HashMap.toEntries(annotations)))}`)
    })
  )

describe("ResilientClient secrets", () => {
  it.scopedLive("spans mask the configured token as the log lines do", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const { spans, tracer } = collectingTracer()
      const lines: Array<string> = []
      yield* Effect.gen(function*() {
        const governed = yield* build(server.url)
        yield* governed.client.get(`/hooks/${TOKEN}/run`)
      }).pipe(Effect.withTracer(tracer), Effect.provide(capture(lines)), Logger.withMinimumLogLevel(LogLevel.Debug))
      expect(server.seen[0]?.url).toBe(`/hooks/${TOKEN}/run`)
      expect(spans.map((s) => s.name)).toEqual(["governor.request", "GET"])
      for (const span of spans) {
        expect(span.attributes.get("url.path")).toBe("/hooks/[REDACTED]/run")
        expect(span.attributes.get("url.full")).toBe(`${server.url}/hooks/[REDACTED]/run`)
      }
      expect(lines.join("\n")).toContain("/hooks/[REDACTED]/run")
      expect(lines.join("\n")).not.toContain(TOKEN)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("logging.bodies logs the request body, redacted: text and JSON readable, the token masked", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const lines: Array<string> = []
      yield* Effect.gen(function*() {
        const governed = yield* build(server.url, { logging: { bodies: true } })
        yield* governed.client.post("/notes", { body: HttpBody.unsafeJson({ note: "first-note", secret: TOKEN }) })
        yield* governed.client.post("/notes", { body: HttpBody.text(`second-note ${TOKEN}`) })
      }).pipe(Effect.provide(capture(lines)), Logger.withMinimumLogLevel(LogLevel.Debug))
      const text = lines.join("\n")
      expect(text).toContain("first-note")
      expect(text).toContain("second-note")
      expect(text).not.toContain(TOKEN)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("the token is a known secret of the program's own log lines while the client is open", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const lines: Array<string> = []
      const logger = RedactingLogger.layer({ sink: (line) => lines.push(line) })
      const clientScope = yield* Scope.make()
      yield* Effect.gen(function*() {
        yield* build(server.url).pipe(Scope.extend(clientScope))
        yield* Effect.logWarning(`retrying with ${TOKEN} later`)
        yield* Scope.close(clientScope, Exit.void)
        yield* Effect.logWarning(`after close ${TOKEN}`)
      }).pipe(Effect.provide(logger))
      expect(lines[0]).toContain("retrying with [REDACTED] later")
      // registered for the client's lifetime only
      expect(lines[1]).toContain(`after close ${TOKEN}`)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  const COOKIE = "sess-Jw4Tq8Zm1Rv6"
  /** JSON of the error and its string form: neither the token nor the cookie value. */
  const expectClean = (error: unknown) => {
    const shown = `${JSON.stringify(error)}\n${String(error)}\n${(error as Error).message}`
    expect(shown).not.toContain(TOKEN)
    expect(shown).not.toContain(COOKIE)
    return shown
  }

  it.scopedLive("RetriesExhausted carries a redacted, still readable last response", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({
        status: 503,
        headers: { "set-cookie": `sid=${COOKIE}; Path=/`, "x-request-id": "req-42" },
        body: { error: "busy", echo: TOKEN }
      }))
      const governed = yield* build(server.url, { breaker: { enabled: false } })
      const error = yield* Effect.flip(governed.client.get(`/hooks/${TOKEN}`))
      expect(error._tag).toBe("RetriesExhausted")
      const exhausted = error as ResilientClient.GovernorError & { _tag: "RetriesExhausted" }
      const shown = expectClean(exhausted)
      expect(shown).toContain("[REDACTED]")
      const last = exhausted.lastResponse!
      expect(last.status).toBe(503)
      expect(last.headers["x-request-id"]).toBe("req-42")
      expect(last.headers["set-cookie"]).toBe("sid=[REDACTED]; Path=/")
      expect(last.request.headers["authorization"]).toBe("Bearer [REDACTED]")
      expect(last.request.url).toBe(`${server.url}/hooks/[REDACTED]`)
      // the body is the server's, readable as it was sent
      expect(yield* last.json).toEqual({ error: "busy", echo: TOKEN })
      expect(server.seen[0]?.headers["authorization"]).toBe(`Bearer ${TOKEN}`)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None)))

  it.scopedLive("a transport error carries a redacted request, also through toHttpClient", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, reset: true }))
      const governed = yield* build(server.url, { retry: { maxRetries: 0, retryOnTransport: false } })
      const error = yield* Effect.flip(governed.client.get(`/a?access_token=${TOKEN}`))
      expectClean(error)
      expect(HttpClientError.isHttpClientError(error) && error._tag === "RequestError").toBe(true)
      const request = (error as HttpClientError.RequestError).request
      expect(request.headers["authorization"]).toBe("Bearer [REDACTED]")
      expect(request.method).toBe("GET")

      const plain = ResilientClient.toHttpClient(governed.client)
      const viaPlain = yield* Effect.flip(plain.get(`/hooks/${TOKEN}`))
      expectClean(viaPlain)

      // a governor error through toHttpClient: the wrapping RequestError holds the prepared request
      const wrapped = yield* Effect.either(plain.get("http://127.0.0.1:1/elsewhere"))
      expect(Either.isLeft(wrapped)).toBe(true)
      if (Either.isLeft(wrapped)) {
        // the cause stays the governor's own error
        expect(wrapped.left.cause).toBeInstanceOf(ResilientClient.RefusedUrl)
        expect(wrapped.left.request.headers["authorization"]).toBe("Bearer [REDACTED]")
        expectClean(wrapped.left)
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None)))

  it.scopedLive("spans end with the redacted errors", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, reset: true }))
      const { spans, tracer } = collectingTracer()
      yield* Effect.gen(function*() {
        const governed = yield* build(server.url, { retry: { maxRetries: 0, retryOnTransport: false } })
        yield* Effect.either(governed.client.get("/reset"))
      }).pipe(Effect.withTracer(tracer), Logger.withMinimumLogLevel(LogLevel.None))
      expect(spans.map((s) => s.name)).toEqual(["governor.request", "GET"])
      for (const span of spans) {
        const exit = span.exit!
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expectClean(Cause.squash(exit.cause))
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a ResponseError the caller builds from a returned response (filterStatusOk) shows no secret", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({
        status: 404,
        headers: { "set-cookie": `sid=${COOKIE}; Path=/`, "x-request-id": "req-7" },
        body: { error: "missing" }
      }))
      const governed = yield* build(server.url)
      const error = yield* Effect.flip(HttpClient.filterStatusOk(governed.client).get("/missing"))
      expect(error._tag).toBe("ResponseError")
      expectClean(error)
      const response = (error as HttpClientError.ResponseError).response
      // the caller's response keeps its real headers; only its JSON and its request are redacted
      expect(response.headers["set-cookie"]).toContain(COOKIE)
      expect(response.headers["x-request-id"]).toBe("req-7")
      expect(response.request.headers["authorization"]).toBe("Bearer [REDACTED]")
      expect(yield* response.json).toEqual({ error: "missing" })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None)))

  it.scopedLive("a returned response keeps its identity (cache status) while its request is redacted", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: { v: 1 }, headers: { "cache-control": "max-age=60" } }))
      const governed = yield* build(server.url, { cache: { enabled: true } })
      const first = yield* governed.client.get("/c")
      const second = yield* governed.client.get("/c")
      expect(ResponseCache.cacheStatus(first)).toEqual(Option.some("MISS"))
      expect(ResponseCache.cacheStatus(second)).toEqual(Option.some("HIT"))
      for (const r of [first, second]) {
        expect(r.request.headers["authorization"]).toBe("Bearer [REDACTED]")
        expect(JSON.stringify(r)).not.toContain(TOKEN)
      }
      expect(yield* second.json).toEqual({ v: 1 })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None)))

  it.scopedLive("the retry driver's Retry-After warning masks the URL with the API's redaction (token, custom query parameters)", () =>
    Effect.gen(function*() {
      const session = "sess-Zq81bN4kLw0PxY7m"
      const server = yield* startServer((_, n) => n === 1 ? { status: 503, headers: { "retry-after": "soon-ish" } } : { status: 200, body: {} })
      const lines: Array<string> = []
      yield* Effect.gen(function*() {
        const governed = yield* build(server.url, {
          retry: { maxRetries: 1, initialDelay: "1 millis" },
          logging: { redactQueryParams: ["sessionKey"] }
        })
        yield* governed.client.get(`/hooks/${TOKEN}/run?sessionKey=${session}&page=2`)
      }).pipe(Effect.provide(capture(lines)))
      const warning = lines.filter((l) => l.includes("Retry-After"))
      expect(warning).toHaveLength(1)
      expect(warning[0]).toContain("/hooks/[REDACTED]/run?sessionKey=[REDACTED]&page=[REDACTED]")
      expect(lines.join("\n")).not.toContain(session)
      expect(lines.join("\n")).not.toContain(TOKEN)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
