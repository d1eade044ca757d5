/**
 * The client's Info lines carry what the README promises per attempt (cache status, limiter wait,
 * breaker state, status, duration, attempt), and a response served from the cache has a line too.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, HashMap, Logger, LogLevel } from "effect"
import * as ResilientClient from "../../src/client/ResilientClient.js"
import * as ApiConfig from "../../src/config/ApiConfig.js"
import { startServer } from "../client/server.js"

interface Line {
  readonly level: string
  readonly message: string
  readonly fields: Record<string, unknown>
}

const capturing = (lines: Array<Line>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, logLevel, message }) => {
      const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
      lines.push({ level: logLevel.label, message: text, fields: Object.fromEntries(HashMap.toEntries(annotations)) })
    })
  )

describe("request log lines", () => {
  it.scopedLive("the cache says why it sent a request: a POST it does not handle is a bypass, not a miss", () =>
    Effect.gen(function*() {
      const lines: Array<Line> = []
      const server = yield* startServer(() => ({ status: 200, headers: { "cache-control": "max-age=60" }, body: { ok: true } }))
      const config = yield* ApiConfig.decode({ name: "log-api", baseUrl: server.url, cache: { enabled: true } })
      yield* Effect.gen(function*() {
        const governed = yield* ResilientClient.make(config)
        yield* governed.client.post("/orders")
        yield* governed.client.get("/orders")
      }).pipe(Effect.scoped, Effect.provide(capturing(lines)), Logger.withMinimumLogLevel(LogLevel.Info))
      const info = lines.filter((l) => l.level === "INFO")
      expect(info.map((l) => [l.fields["http.method"], l.fields["cache"]])).toEqual([["POST", "bypass"], ["GET", "miss"]])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("each attempt: cache, limiter_wait_ms, breaker; a cache hit logs cache=hit", () =>
    Effect.gen(function*() {
      const lines: Array<Line> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ annotations, logLevel, message }) => {
          const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
          lines.push({ level: logLevel.label, message: text, fields: Object.fromEntries(HashMap.toEntries(annotations)) })
        })
      )
      const server = yield* startServer((req) =>
        req.url === "/cached"
          ? { status: 200, headers: { "cache-control": "max-age=60" }, body: { ok: true } }
          : { status: 200, body: { ok: true } }
      )
      const config = yield* ApiConfig.decode({ name: "log-api", baseUrl: server.url, cache: { enabled: true } })
      yield* Effect.gen(function*() {
        const governed = yield* ResilientClient.make(config)
        yield* governed.client.get("/cached")
        yield* governed.client.get("/cached")
        yield* governed.client.get("/plain", { headers: { "if-none-match": "\"x\"" } })
      }).pipe(Effect.scoped, Effect.provide(capture), Logger.withMinimumLogLevel(LogLevel.Info))

      const info = lines.filter((l) => l.level === "INFO")
      expect(info.map((l) => l.fields["cache"])).toEqual(["miss", "hit", "bypass"])
      const [miss, hit, bypass] = info
      for (const attempt of [miss!, bypass!]) {
        expect(attempt.fields).toMatchObject({ api: "log-api", attempt: 1, "http.status": 200, breaker: "closed" })
        expect(typeof attempt.fields["limiter_wait_ms"]).toBe("number")
        expect(typeof attempt.fields["duration_ms"]).toBe("number")
      }
      expect(hit!.message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/cached 200 \(cache hit\) [\d.]+ms$/)
      expect(hit!.fields).toMatchObject({ api: "log-api", "http.status": 200, cache: "hit" })
      expect(server.seen.length).toBe(2)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
