import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as G from "../../src/metrics/GovernorMetrics.js"
import * as MetricsServer from "../../src/metrics/MetricsServer.js"
import * as Prometheus from "../../src/metrics/prometheus.js"
import { parseExposition, sampleValue } from "./promParser.js"

describe("MetricsServer", () => {
  it.live("serves /metrics on loopback; 404 elsewhere, 405 for other methods", () =>
    Effect.gen(function*() {
      yield* G.recordCacheHit("server-test")
      const server = yield* MetricsServer.MetricsServer
      expect(server.host).toBe("127.0.0.1")
      expect(server.port).toBeGreaterThan(0)
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`)

      const res = yield* Effect.promise(() => fetch(server.url))
      expect(res.status).toBe(200)
      expect(res.headers.get("content-type")).toBe(Prometheus.contentType)
      const fams = parseExposition(yield* Effect.promise(() => res.text()))
      expect(sampleValue(fams, "governor_cache_hits_total", { api: "server-test" })).toBe(1)

      yield* G.recordCacheHit("server-test")
      const again = parseExposition(yield* Effect.promise(() => fetch(server.url).then((r) => r.text())))
      expect(sampleValue(again, "governor_cache_hits_total", { api: "server-test" })).toBe(2)

      const notFound = yield* Effect.promise(() => fetch(`http://127.0.0.1:${server.port}/other`))
      expect(notFound.status).toBe(404)
      yield* Effect.promise(() => notFound.text())
      const post = yield* Effect.promise(() => fetch(server.url, { method: "POST" }))
      expect(post.status).toBe(405)
      expect(post.headers.get("allow")).toBe("GET, HEAD")
      yield* Effect.promise(() => post.text())
    }).pipe(Effect.provide(MetricsServer.layer({ port: 0 }))))

  it.live("the port is released when the layer's scope closes", () =>
    Effect.gen(function*() {
      const url = yield* Effect.scoped(
        Effect.map(MetricsServer.MetricsServer, (s) => s.url).pipe(
          Effect.provide(MetricsServer.layer({ port: 0, path: "/m" }))
        )
      )
      expect(url).toMatch(/\/m$/)
      const failed = yield* Effect.promise(() => fetch(url).then(() => false, () => true))
      expect(failed).toBe(true)
    }))
})
