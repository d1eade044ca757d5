/**
 * The bulkhead's deadline (and the attempt timer, until the transport is seen honouring aborts) runs
 * the rest of the attempt on a fiber of its own: the steps inside must still see the request's
 * exchange, so a retried attempt logs as attempt 2 and its 429 is counted in the client's stats.
 */
import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, HashMap, Layer, Logger } from "effect"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import * as Limit from "../../src/limiter/Limit.js"
import * as RateLimiter from "../../src/RateLimiter.js"
import * as ResilientClient from "../../src/ResilientClient.js"
import { startServer } from "./server.js"

describe("exchange across the bulkhead's fiber", () => {
  for (const bulkhead of [false, true]) {
    it.scopedLive(`bulkhead ${bulkhead ? "on" : "off"}: a 429 then 200 is counted and logged as attempts 1 and 2`, () =>
      Effect.gen(function*() {
        const server = yield* startServer((_, n) =>
          n === 1 ? { status: 429, headers: { "retry-after": "0" } } : { status: 200, body: {} }
        )
        const attempts: Array<unknown> = []
        const logger = Logger.make(({ annotations }) => {
          const status = HashMap.get(annotations, "http.status")
          if (status._tag === "Some") attempts.push([HashMap.unsafeGet(annotations, "attempt"), status.value])
        })
        const config = yield* ApiConfig.decode({
          name: "forked",
          baseUrl: server.url,
          retry: { maxRetries: 2, initialDelay: "1 millis", maxDelay: "2 millis", jitter: "none" },
          breaker: { enabled: false },
          adaptive: { enabled: false },
          cache: { enabled: false },
          ...(bulkhead ? { bulkhead: { maxConcurrent: 2, maxQueue: 10 } } : {})
        })
        const service = yield* ResilientClient.make(config)
        const response = yield* service.client.get("/x").pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
        expect(response.status).toBe(200)
        expect(attempts).toEqual([[1, 429], [2, 200]])
        expect((yield* service.stats).rateLimited).toBe(1)
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
  }
})

describe("exchange across the attempt timer's fiber", () => {
  it.scopedLive("steps composed inside withAttemptTimeout count into the request's exchange", () =>
    Effect.gen(function*() {
      const server = yield* startServer(() => ({ status: 429 }))
      const observer = ResilientClient.Observer.make({ api: "timer-fork" })
      const client = (yield* HttpClient.HttpClient).pipe(
        ResilientClient.withRateLimiter({ observer }),
        // Outside the limiter (allowed, not the standard order): the first attempt races a fiber.
        ResilientClient.withAttemptTimeout({ timeout: "5 seconds" }),
        ResilientClient.withMetrics(observer)
      )
      const response = yield* client.get(`${server.url}/x`).pipe(
        Effect.provide(yield* Layer.build(Layer.merge(
          ResilientClient.layerDeadlineTimer,
          RateLimiter.layerMemory({ limits: [Limit.perSecond("rps", 100)] })
        )))
      )
      expect(response.status).toBe(429)
      expect(observer.stats.current.rateLimited).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
