/**
 * Every part of the client can be swapped: a `CircuitBreaker`, `Bulkhead`, `AdaptiveController`,
 * `RateLimiter`, `ResponseCache` or `DeadlineTimer` in the environment is the one the client uses,
 * even when the config would build none. And the combinators compose without `make`.
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, LogLevel } from "effect"
import * as Adaptive from "../../src/adaptive/AdaptiveController.js"
import * as Breaker from "../../src/breaker/CircuitBreaker.js"
import * as Bulkhead from "../../src/bulkhead/Bulkhead.js"
import * as Cache from "../../src/cache/ResponseCache.js"
import { makeMemoryStore } from "../../src/cache/MemoryStore.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as DeadlineTimer from "../../src/client/DeadlineTimer.js"
import * as ResilientClient from "../../src/ResilientClient.js"
import { makeMemory } from "../../src/limiter/memory.js"
import { RateLimiter, type RateLimiterShape } from "../../src/limiter/RateLimiter.js"
import * as Limit from "../../src/limiter/Limit.js"
import { startServer } from "./server.js"

const quiet = Logger.minimumLogLevel(LogLevel.None)

// Every section that would build a part is off: whatever runs was provided.
const config = (baseUrl: string) =>
  ApiConfig.decode({
    name: "provided",
    baseUrl,
    retry: { maxRetries: 0 },
    breaker: { enabled: false },
    adaptive: { enabled: false },
    cache: { enabled: false }
  })

const counting = (limiter: RateLimiterShape) => {
  let acquired = 0
  const shape: RateLimiterShape = { ...limiter, acquire: (o) => Effect.suspend(() => (acquired++, limiter.acquire(o))) }
  return { shape, acquired: () => acquired }
}

describe("provided parts", () => {
  it.scopedLive("a provided CircuitBreaker is the one that admits requests", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const breaker = yield* Breaker.make({ failureThreshold: 1 })
      yield* breaker.force("open")
      const client = yield* Effect.flatMap(config(server.url), (c) => ResilientClient.make(c)).pipe(
        Effect.provideService(Breaker.CircuitBreaker, breaker)
      )
      const error = yield* Effect.flip(client.client.get("/x"))
      expect(error._tag).toBe("CircuitOpenError")
      expect(server.seen).toHaveLength(0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("a provided Bulkhead, RateLimiter, AdaptiveController and DeadlineTimer each see the request", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const bulkhead = yield* Bulkhead.make({ maxConcurrent: 2, maxQueue: 0 })
      const limiter = counting(yield* makeMemory({ limits: [Limit.perSecond("rps", 100)] }))
      const real = yield* Adaptive.make({ initialRate: 10 }).pipe(Effect.provideService(RateLimiter, limiter.shape))
      let observed = 0
      const adaptive: Adaptive.AdaptiveControllerShape = {
        ...real,
        observe: (key, outcome) => Effect.suspend(() => (observed++, real.observe(key, outcome)))
      }
      const realTimer = yield* DeadlineTimer.make
      let scheduled = 0
      const timer: DeadlineTimer.DeadlineTimerShape = { ...realTimer, schedule: (at, fire) => (scheduled++, realTimer.schedule(at, fire)) }
      const client = yield* Effect.flatMap(config(server.url), (c) => ResilientClient.make(c)).pipe(
        Effect.provideService(Bulkhead.Bulkhead, bulkhead),
        Effect.provideService(RateLimiter, limiter.shape),
        Effect.provideService(Adaptive.AdaptiveController, adaptive),
        Effect.provideService(DeadlineTimer.DeadlineTimer, timer)
      )
      expect((yield* client.client.get("/x")).status).toBe(200)
      expect((yield* bulkhead.stats).admitted).toBe(1)
      expect(limiter.acquired()).toBe(1)
      expect(observed).toBe(1)
      expect(scheduled).toBeGreaterThanOrEqual(1)
      expect(client.bulkhead).toBe(bulkhead)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("a provided AdaptiveController without an in-flight gate (a shape written before it) still gets the feedback", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const limiter = yield* makeMemory({ limits: [Limit.perSecond("rps", 100)] })
      const real = yield* Adaptive.make({ initialRate: 10 }).pipe(Effect.provideService(RateLimiter, limiter))
      let observed = 0
      const adaptive: Adaptive.AdaptiveControllerShape = {
        options: real.options,
        prime: real.prime,
        snapshot: real.snapshot,
        observe: (key, outcome) => Effect.suspend(() => (observed++, real.observe(key, outcome)))
      }
      const client = yield* Effect.flatMap(config(server.url), (c) => ResilientClient.make(c)).pipe(
        Effect.provideService(RateLimiter, limiter),
        Effect.provideService(Adaptive.AdaptiveController, adaptive)
      )
      expect((yield* client.client.get("/x")).status).toBe(200)
      expect(observed).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("a provided ResponseCache answers the second read", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: { n: 1 }, headers: { "cache-control": "max-age=60" } }))
      const cache = yield* Cache.make(yield* makeMemoryStore({}), {})
      const client = yield* Effect.flatMap(config(server.url), (c) => ResilientClient.make(c)).pipe(
        Effect.provideService(Cache.ResponseCache, cache)
      )
      yield* Effect.flatMap(client.client.get("/x"), (r) => r.json)
      yield* Effect.flatMap(client.client.get("/x"), (r) => r.json)
      expect(server.seen).toHaveLength(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))

  it.scopedLive("the combinators compose on any HttpClient and read their services from context", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 200, body: {} }))
      const breaker = yield* Breaker.make({ failureThreshold: 1 })
      const limiter = counting(yield* makeMemory({ limits: [Limit.perSecond("rps", 100)] }))
      const observer = ResilientClient.Observer.make({ api: "composed" })
      const client = (yield* HttpClient.HttpClient).pipe(
        ResilientClient.withRequestLog(observer),
        ResilientClient.withRateLimiter({ observer }),
        ResilientClient.withBreaker,
        ResilientClient.withDeadline("5 seconds"),
        ResilientClient.withMetrics(observer)
      )
      const send = client.get(`${server.url}/x`).pipe(
        Effect.provideService(Breaker.CircuitBreaker, breaker),
        Effect.provideService(RateLimiter, limiter.shape)
      )
      expect((yield* send).status).toBe(200)
      expect(limiter.acquired()).toBe(1)
      expect(observer.stats.current.totalRequests).toBe(1)
      yield* breaker.force("open")
      expect((yield* Effect.flip(send))._tag).toBe("CircuitOpenError")
      expect(server.seen).toHaveLength(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.provide(quiet)))
})
