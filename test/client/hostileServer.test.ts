/**
 * A hostile server through the composed client: a loopback server answers one request with arbitrary
 * Retry-After / X-RateLimit-* / RateLimit / RateLimit-Policy headers; the next request must still go
 * out within the configured caps (`retry.maxRetryAfter`, `adaptive.maxQuotaWait`) of TestClock time,
 * and nothing may crash. Time is the TestClock; the HTTP exchange is real.
 */
import type { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Logger, LogLevel, Option, Runtime, TestClock } from "effect"
import fc from "fast-check"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import { hostileHeadersNear, hostileStatus } from "../adaptive/hostileHeaders.js"
import { type Reply, startServer } from "./server.js"

const MAX_RETRY_AFTER_MS = 30_000
const MAX_QUOTA_WAIT_MS = 3_600_000
/** Longest a fiber may wait after the hostile response (minRate's interval, 10 s, is below it). */
const CAP_MS = Math.max(MAX_RETRY_AFTER_MS, MAX_QUOTA_WAIT_MS)

/** What Node lets a server send: printable ASCII values. */
const sendable = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([, v]) => /^[\x20-\x7e]*$/.test(v)))

const realPause = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

describe("ResilientClient against a hostile server", () => {
  it.scoped("applies the config's retry.maxRetryAfter and adaptive.maxQuotaWait to the adaptive cooldown", () =>
    Effect.gen(function*() {
      let reply: Reply = { status: 429, headers: { "retry-after": "86400" } }
      const server = yield* startServer(() => reply)
      const governed = yield* Effect.flatMap(
        ApiConfig.decode({
          name: "hostile",
          baseUrl: server.url,
          adaptive: { enabled: true, initialRate: 10, maxQuotaWait: "1 hour" },
          retry: { maxRetries: 0, maxRetryAfter: "30 seconds" },
          breaker: { enabled: false }
        }),
        (config) => ResilientClient.make(config)
      )
      yield* Effect.either(governed.client.get("/a"))
      // A day of Retry-After pauses the key for retry.maxRetryAfter, not the controller's default (2 min).
      expect((yield* governed.snapshot()).adaptive?.cooldownUntil).toBe(30_000)
      yield* TestClock.adjust("31 seconds")
      // A reset two hours away is beyond adaptive.maxQuotaWait (1 h), not the default (1 day): ignored.
      reply = { status: 200, headers: { "ratelimit-remaining": "0", "ratelimit-reset": "7200" } }
      yield* governed.client.get("/b")
      expect((yield* governed.snapshot()).adaptive?.cooldownUntil).toBeNull()
      expect((yield* governed.snapshot()).limiter.cooldownUntil).toBeNull()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None)))

  it.scoped("never makes the next request wait longer than maxRetryAfter / maxQuotaWait, and never crashes", () =>
    Effect.gen(function*() {
      let reply: Reply = { status: 200 }
      const server = yield* startServer(() => reply)
      const config = yield* ApiConfig.decode({
        name: "hostile",
        baseUrl: server.url,
        adaptive: { enabled: true, initialRate: 10, maxQuotaWait: MAX_QUOTA_WAIT_MS },
        retry: { maxRetries: 0, maxRetryAfter: MAX_RETRY_AFTER_MS },
        breaker: { enabled: false },
        // Longer than the caps, so a wait within them is waited, not refused as past the deadline.
        timeouts: { attempt: "3 hours", overall: "3 hours" }
      })
      const runtime = yield* Effect.runtime<HttpClient.HttpClient>()

      const once = (status: number, headers: Record<string, string>) =>
        Effect.gen(function*() {
          const governed = yield* ResilientClient.make(config)
          reply = { status, headers: sendable(headers) }
          // The hostile answer: whatever it is, the client returns or fails, it does not crash.
          yield* Effect.either(governed.client.get("/hostile"))
          const now = yield* TestClock.currentTimeMillis
          const snap = yield* governed.snapshot()
          expect(snap.limiter.cooldownUntil ?? now).toBeLessThanOrEqual(now + CAP_MS)
          expect(snap.adaptive?.cooldownUntil ?? now).toBeLessThanOrEqual(now + CAP_MS)
          // The next request: it reaches the limiter (and waits there) or the server at once.
          reply = { status: 200 }
          const seen = server.seen.length
          const next = yield* Effect.fork(Effect.either(governed.client.get("/next")))
          yield* realPause(30)
          if (server.seen.length === seen) yield* TestClock.adjust(CAP_MS + 1)
          let done = yield* Fiber.poll(next)
          for (let i = 0; i < 200 && Option.isNone(done); i++) {
            yield* realPause(10)
            done = yield* Fiber.poll(next)
          }
          // Done after at most the caps of TestClock time, and it reached the server.
          expect(Option.isSome(done)).toBe(true)
          const result = yield* Fiber.join(next)
          expect(Either.isRight(result) && result.right.status).toBe(200)
          expect(server.seen.length).toBe(seen + 1)
        }).pipe(Effect.scoped)

      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(hostileStatus, hostileHeadersNear(0), (status, headers) => Runtime.runPromise(runtime)(once(status, headers))),
          {
            numRuns: 25,
            examples: [
              [429, { "retry-after": "86400" }],
              [200, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "999999999" }],
              [200, { "x-ratelimit-remaining": "1", "x-ratelimit-reset": "999999999" }],
              [200, { ratelimit: '"q";r=0;t=1000000000000' }],
              [200, { "ratelimit-remaining": "0", "ratelimit-reset": "7200" }],
              [200, { "ratelimit-policy": '"m";q=1;w=2592000' }]
            ]
          }
        )
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None)), { timeout: 60_000 })
})
