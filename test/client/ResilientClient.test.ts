import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, HashMap, Logger, LogLevel, Redacted } from "effect"
import { ResponseCache } from "../../src/cache/ResponseCache.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import { RateLimiter, layerMemory } from "../../src/RateLimiter.js"
import * as Limit from "../../src/limiter/Limit.js"
import { type Reply, startServer } from "./server.js"

const quiet = Logger.minimumLogLevel(LogLevel.None)
const fast = { maxRetries: 3, initialDelay: "5 millis", maxDelay: "20 millis", jitter: "none" } as const

const config = (baseUrl: string, extra: Record<string, unknown> = {}) =>
  ApiConfig.decode({ name: "test-api", baseUrl, retry: fast, ...extra })

const build = (baseUrl: string, extra: Record<string, unknown> = {}, options: ResilientClient.ResilientClientOptions = {}) =>
  Effect.flatMap(config(baseUrl, extra), (c) => ResilientClient.make(c, options))

const ok = (body: unknown = { ok: true }): Reply => ({ status: 200, body })

describe("ResilientClient", () => {
  it.scopedLive("prefixes the base URL, adds default headers and the bearer token", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ok())
      const governed = yield* build(server.url, { headers: { "x-client": "governor" } }, {
        token: Redacted.make("sk-test-123456789")
      })
      const response = yield* governed.client.get("/things?a=1")
      expect(response.status).toBe(200)
      expect(server.seen[0]?.url).toBe("/things?a=1")
      expect(server.seen[0]?.headers["authorization"]).toBe("Bearer sk-test-123456789")
      expect(server.seen[0]?.headers["x-client"]).toBe("governor")
      const stats = yield* governed.stats
      expect(stats).toMatchObject({ totalRequests: 1, successful: 1, failed: 0, totalRetries: 0 })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("retries a 503 and reports the delays of the last request", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, n) => n < 3 ? { status: 503 } : ok())
      const governed = yield* build(server.url)
      const response = yield* governed.client.get("/flaky")
      expect(response.status).toBe(200)
      expect(server.seen.length).toBe(3)
      const stats = yield* governed.stats
      expect(stats.totalRetries).toBe(2)
      expect(stats.lastRetryDelaysMs.length).toBe(2)
      expect(stats.averageRetries).toBe(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("exhausted retries fail with RetriesExhausted carrying attempts and last status", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 502 }))
      const governed = yield* build(server.url, { breaker: { enabled: false } })
      const error = yield* Effect.flip(governed.client.get("/down"))
      expect(error._tag).toBe("RetriesExhausted")
      if (error._tag === "RetriesExhausted") {
        expect(error.attempts).toBe(4)
        expect(error.lastStatus).toBe(502)
        expect(error.delays.length).toBe(3)
      }
      expect(server.seen.length).toBe(4)
      expect((yield* governed.stats).failed).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("never retries a POST without an Idempotency-Key, and reuses a generated key", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, n) => n === 1 || n === 3 ? { status: 503 } : ok())
      const plain = yield* build(server.url, { breaker: { enabled: false } })
      const first = yield* plain.client.post("/orders")
      expect(first.status).toBe(503)
      expect(server.seen.length).toBe(1)

      const keyed = yield* build(server.url, { retry: { ...fast, idempotencyKey: "generate" } })
      yield* keyed.client.post("/orders") // 2nd request: 200
      const again = yield* keyed.client.post("/orders") // 3rd: 503, then 4th: 200
      expect(again.status).toBe(200)
      const keys = server.seen.slice(2).map((s) => s.headers["idempotency-key"])
      expect(keys[0]).toBeTypeOf("string")
      expect(keys[0]).toBe(keys[1])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("retries a reset connection (transport error)", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, n) => n === 1 ? { status: 200, reset: true } : ok())
      const governed = yield* build(server.url)
      const response = yield* governed.client.get("/reset")
      expect(response.status).toBe(200)
      expect(server.seen.length).toBe(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("the breaker opens after consecutive failures and then fails fast", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 500 }))
      const governed = yield* build(server.url, {
        retry: { ...fast, maxRetries: 0 },
        breaker: { failureThreshold: 3, recoveryTimeout: "1 minute" }
      })
      // With no retries left a 500 is RetriesExhausted; each one counts as a breaker failure.
      for (let i = 0; i < 3; i++) expect((yield* Effect.flip(governed.client.get("/boom")))._tag).toBe("RetriesExhausted")
      const error = yield* Effect.flip(governed.client.get("/boom"))
      expect(error._tag).toBe("CircuitOpenError")
      expect(server.seen.length).toBe(3)
      const snap = yield* governed.snapshot()
      expect(snap.breaker?.state).toBe("open")
      expect(snap.breaker?.trips).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("with adaptive on, backoff statuses (bare 503s of a congested nginx) never open the breaker; other 5xx do", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req) => ({ status: req.url?.startsWith("/busy") === true ? 503 : 500 }))
      const governed = yield* build(server.url, {
        retry: { ...fast, maxRetries: 0 },
        adaptive: { enabled: true, initialRate: 1000 },
        breaker: { failureThreshold: 3, recoveryTimeout: "1 minute" }
      })
      for (let i = 0; i < 5; i++) expect((yield* Effect.flip(governed.client.get("/busy")))._tag).toBe("RetriesExhausted")
      expect((yield* governed.snapshot()).breaker?.state).toBe("closed")
      for (let i = 0; i < 3; i++) yield* Effect.flip(governed.client.get("/boom"))
      expect((yield* Effect.flip(governed.client.get("/boom")))._tag).toBe("CircuitOpenError")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("cache: a hit costs no upstream request and no limiter token", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: { v: 1 }, headers: { "cache-control": "max-age=60" } }))
      const governed = yield* build(server.url, { cache: { enabled: true } })
      const a = yield* governed.client.get("/cached")
      const b = yield* governed.client.get("/cached")
      expect(yield* a.json).toEqual({ v: 1 })
      expect(yield* b.json).toEqual({ v: 1 })
      expect(b.headers["x-cache"]).toBe("HIT")
      expect(server.seen.length).toBe(1)
      const snap = yield* governed.snapshot()
      expect(snap.cache?.hits).toBe(1)
      expect((yield* governed.limiter.stats).acquired).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("cache keys are partitioned by credential", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req) => ok({ who: req.headers["authorization"] ?? null }))
      const c = yield* config(server.url, { cache: { enabled: true, defaultTtl: "1 minute" } })
      const alice = yield* ResilientClient.make(c, { token: Redacted.make("alice-token-0000000") })
      // A second client shares the first one's cache.
      const bob = yield* ResilientClient.make(c, { token: Redacted.make("bob-token-11111111") }).pipe(
        Effect.provideService(ResponseCache, alice.cache!)
      )
      const a = yield* Effect.flatMap(alice.client.get("/me"), (r) => r.json)
      const b = yield* Effect.flatMap(bob.client.get("/me"), (r) => r.json)
      expect(a).toEqual({ who: "Bearer alice-token-0000000" })
      expect(b).toEqual({ who: "Bearer bob-token-11111111" })
      expect(server.seen.length).toBe(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("cache keys are also partitioned by a custom auth header", () =>
    Effect.gen(function*() {
      const server = yield* startServer((req) => ok({ who: req.headers["x-vendor-key"] ?? null }))
      const c = yield* config(server.url, {
        cache: { enabled: true, defaultTtl: "1 minute" },
        auth: { scheme: "header", header: "X-Vendor-Key" }
      })
      const alice = yield* ResilientClient.make(c, { token: Redacted.make("alice-key-0000000000") })
      const bob = yield* ResilientClient.make(c, { token: Redacted.make("bob-key-11111111111") }).pipe(
        Effect.provideService(ResponseCache, alice.cache!)
      )
      expect(yield* Effect.flatMap(alice.client.get("/me"), (r) => r.json)).toEqual({ who: "alice-key-0000000000" })
      expect(yield* Effect.flatMap(bob.client.get("/me"), (r) => r.json)).toEqual({ who: "bob-key-11111111111" })
      expect(server.seen.length).toBe(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("uses a RateLimiter from the environment and passes the config's limits", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ok())
      const governed = yield* build(server.url, { limits: [{ name: "rps", limit: 2, per: "second" }] })
        .pipe(Effect.provide(layerMemory({ limits: [Limit.perMinute("global", 100)] })))
      yield* governed.client.get("/a")
      const snapshot = yield* governed.limiter.snapshot("test-api")
      expect(snapshot.limits.map((l) => l.name).sort()).toEqual(["rps"])
      // A maxWait-free limiter waits; a full bucket with tryAcquire-like use is covered by limiter tests.
      expect((yield* governed.limiter.stats).acquired).toBe(1)
      expect(yield* Effect.serviceOption(RateLimiter)).toBeDefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("a 429 with Retry-After pauses and is retried; stats count it", () =>
    Effect.gen(function*() {
      const server = yield* startServer((_, n) => n === 1 ? { status: 429, headers: { "retry-after": "0" } } : ok())
      const governed = yield* build(server.url, { adaptive: { enabled: true, initialRate: 50, maxRate: 100 } })
      const response = yield* governed.client.get("/limited")
      expect(response.status).toBe(200)
      const stats = yield* governed.stats
      expect(stats.rateLimited).toBe(1)
      expect(stats.totalRetries).toBe(1)
      const snap = yield* governed.snapshot()
      expect(snap.adaptive?.decreases).toBe(1)
      expect(snap.adaptive!.currentRate).toBeLessThan(50)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("the overall deadline covers retries and backoff", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 503, delayMs: 30 }))
      const governed = yield* build(server.url, {
        retry: { maxRetries: 50, initialDelay: "20 millis", maxDelay: "20 millis", jitter: "none" },
        breaker: { enabled: false },
        timeouts: { attempt: "100 millis", overall: "150 millis" }
      })
      const error = yield* Effect.flip(governed.client.get("/slow"))
      expect(error._tag).toBe("DeadlineExceeded")
      expect(server.seen.length).toBeLessThan(10)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("the bulkhead rejects at once when slots and queue are full", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, delayMs: 200 }))
      const governed = yield* build(server.url, { bulkhead: { maxConcurrent: 1, maxQueue: 0 } })
      const slow = yield* Effect.fork(governed.client.get("/slow"))
      yield* Effect.sleep("50 millis")
      const error = yield* Effect.flip(governed.client.get("/other"))
      expect(error._tag).toBe("BulkheadFull")
      expect((yield* Fiber.join(slow)).status).toBe(200)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("as a plain HttpClient: governor errors become RequestError with the tagged cause", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 500 }))
      const c = yield* config(server.url, { retry: { ...fast, maxRetries: 0 }, breaker: { failureThreshold: 1 } })
      const program = Effect.gen(function*() {
        const client = yield* HttpClient.HttpClient
        yield* Effect.either(client.get("/x"))
        return yield* Effect.either(client.execute(HttpClientRequest.get("/x")))
      }).pipe(Effect.provide(ResilientClient.layer(c)))
      const result = yield* program
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left._tag).toBe("RequestError")
        expect((result.left.cause as { _tag: string })._tag).toBe("CircuitOpenError")
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("makeClientFor uses a preset with overrides, and bad overrides name the field", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ok())
      const token = Redacted.make("secret_notion-test-token")
      const notion = yield* ResilientClient.makeClientFor("notion", { baseUrl: server.url }, { token })
      expect((yield* ResilientClient.makeFor("notion", { baseUrl: server.url }, { token })).config.name).toBe("notion")
      expect((yield* notion.get("/v1/pages/1")).status).toBe(200)
      expect(server.seen[0]?.url).toBe("/v1/pages/1")

      const bad = yield* Effect.flip(ResilientClient.makeClientFor("notion", { retry: { maxRetries: -1 } }))
      expect(bad._tag).toBe("InvalidConfig")
      expect(String((bad as { path?: string }).path)).toContain("retry.maxRetries")
      const unknown = yield* Effect.flip(ResilientClient.makeClientFor("nope"))
      expect(unknown._tag).toBe("UnknownApiConfig")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("the config's logging section filters this API's lines and masks its token everywhere", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ annotations, logLevel, message }) => {
          lines.push(`${logLevel.label} ${JSON.stringify(message)} ${JSON.stringify(Object.fromEntries(HashMap.toEntries(annotations)))}`)
        })
      )
      const token = "tok_abcdefghijklmnopqrstuvwxyz0123456789"
      const server = yield* startServer((req) =>
        req.url.startsWith("/fail") ? { status: 500 } : ok({ echoed: req.headers["authorization"] })
      )
      const program = Effect.gen(function*() {
        const quiet = yield* build(server.url, {
          retry: { ...fast, maxRetries: 0 },
          logging: { level: "warning", maskStyle: "hash" }
        }, { token: Redacted.make(token) })
        yield* quiet.client.get("/ok")
        yield* Effect.either(quiet.client.get("/fail?access_token=" + token))
      })
      yield* program.pipe(Effect.provide(capture), Logger.withMinimumLogLevel(LogLevel.Debug))
      // the 200's Info line and the Debug request lines are filtered by the API's level; the 500's Warning stays
      expect(lines.some((l) => l.includes("/ok"))).toBe(false)
      expect(lines.some((l) => l.startsWith("WARN") && l.includes("/fail"))).toBe(true)
      expect(lines.join("\n")).not.toContain(token)
      expect(lines.join("\n")).not.toContain(token.slice(4, 20))
      expect(lines.join("\n")).toContain("[sha256:")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
