/**
 * The client wiring of stale answers: `cache.staleIfError` from the per-API config, a request whose
 * retries are exhausted on 5xx answered from the stale entry, and the stale metric.
 */
import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Logger, LogLevel, Metric, MetricLabel, Option, TestClock } from "effect"
import * as ResponseCache from "../../src/cache/ResponseCache.js"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import { GovernorMetrics } from "../../src/metrics/GovernorMetrics.js"
import { startServer } from "./server.js"

const staleCount = (api: string) =>
  Effect.map(
    Metric.value(GovernorMetrics.cacheStale.pipe(Metric.taggedWithLabels([MetricLabel.make("api", api), MetricLabel.make("reason", "if-error")]))),
    (s) => s.count
  )

describe("client: stale-if-error from the per-API config", () => {
  it.scoped("answers from the stale entry when retries are exhausted on 5xx, and counts it", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const config = yield* ApiConfig.decode({
        name: "stale-api",
        baseUrl: server.url(""),
        retry: { maxRetries: 0 },
        cache: { enabled: true, staleIfError: "1 minute" }
      })
      const governed = yield* ResilientClient.make(config)
      const first = yield* governed.client.get("/stale/plain")
      expect(yield* first.text).toBe("n1")
      yield* TestClock.adjust(Duration.seconds(6))
      server.failing = 503
      const before = yield* staleCount("stale-api")
      const stale = yield* governed.client.get("/stale/plain")
      expect(yield* stale.text).toBe("n1")
      expect(stale.headers["x-cache"]).toBe("STALE")
      expect(Option.getOrUndefined(ResponseCache.staleReason(stale))).toBe("if-error")
      expect(server.count("/stale/plain")).toBe(2)
      expect((yield* staleCount("stale-api")) - before).toBe(1)
      // Off by default: the same failure reaches the caller of a client without the setting.
      const plain = yield* ResilientClient.make(
        yield* ApiConfig.decode({ name: "stale-off", baseUrl: server.url(""), retry: { maxRetries: 0 }, cache: { enabled: true } })
      )
      server.failing = "no"
      yield* plain.client.get("/stale/plain")
      yield* TestClock.adjust(Duration.seconds(6))
      server.failing = 503
      const failed = yield* Effect.either(plain.client.get("/stale/plain"))
      expect(failed._tag === "Right" ? failed.right.headers["x-cache"] : "failed").not.toBe("STALE")
    }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(Logger.minimumLogLevel(LogLevel.None))))

  // The cache is the outermost step: a refusal inside it (an open circuit, a limiter wait that cannot
  // end before the deadline, with or without a bulkhead racing that deadline) is answered stale too.
  for (const bulkhead of [false, true]) {
    it.scoped(`answers from the stale entry when the breaker is open or the limiter cannot admit in time (bulkhead ${bulkhead ? "on" : "off"})`, () =>
      Effect.gen(function*() {
        const server = yield* startServer
        const name = `stale-refused-${bulkhead}`
        const governed = yield* ResilientClient.make(yield* ApiConfig.decode({
          name,
          baseUrl: server.url(""),
          retry: { maxRetries: 0 },
          limits: [{ name: "slow", limit: 1, per: "hour" }],
          timeouts: { attempt: "1 second", overall: "2 seconds" },
          cache: { enabled: true, staleIfError: "1 hour" },
          ...(bulkhead ? { bulkhead: { maxConcurrent: 1, maxQueue: 1 } } : {})
        }))
        expect(yield* (yield* governed.client.get("/stale/plain")).text).toBe("n1")
        yield* TestClock.adjust(Duration.seconds(6))
        // The limiter's one token is spent: its wait (an hour) cannot end before the deadline.
        const limited = yield* governed.client.get("/stale/plain")
        expect(limited.headers["x-cache"]).toBe("STALE")
        yield* governed.breaker!.force("open")
        const open = yield* governed.client.get("/stale/plain")
        expect(open.headers["x-cache"]).toBe("STALE")
        expect(yield* open.text).toBe("n1")
        expect(server.count("/stale/plain")).toBe(1)
      }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(Logger.minimumLogLevel(LogLevel.None))))
  }
})
