/**
 * Client bench: requests/s through the full resilient client (limits high enough never to wait,
 * cache off, breaker/retry/adaptive on their default paths) next to the bare `@effect/platform-node`
 * HttpClient, against the same loopback server, same concurrency, same run. Rounds alternate between
 * the two so machine noise hits both alike; the best round of each is kept.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as ResilientClient from "../src/client/ResilientClient.js"
import * as ApiConfig from "../src/config/ApiConfig.js"
import type { BenchGroup } from "./harness.js"

const REQUESTS = 2_500
const CONCURRENCY = 16
const ROUNDS = 6

const startServer = () =>
  new Promise<{ server: http.Server; url: string }>((resolve) => {
    const body = JSON.stringify({ ok: true, items: [1, 2, 3] })
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.end(body)
    })
    server.keepAliveTimeout = 60_000
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({ server, url: `http://127.0.0.1:${port}` })
    })
  })

const drive = (client: HttpClient.HttpClient.With<unknown>, path: string) =>
  Effect.forEach(
    Array.from({ length: REQUESTS }, (_, i) => i),
    () => Effect.flatMap(client.get(path), (r) => r.arrayBuffer),
    { concurrency: CONCURRENCY, discard: true }
  )

/**
 * The governor's own cost per request, free of network and server: process CPU time per request through
 * the full client over an in-memory transport that answers at once, minus the transport alone
 * (medians of interleaved rounds; CPU time is not inflated by other processes' load the way wall time is).
 * The bare side runs untraced, as the governed client's transport does.
 */
const overheadMicros = async (): Promise<{ bare: number; ours: number }> => {
  const N = 3_000
  // Like every real transport, it listens to the request's AbortSignal while the request runs.
  const instant = HttpClient.make((request, _url, signal) => {
    const onAbort = () => {}
    signal.addEventListener("abort", onAbort)
    return Effect.sync(() => {
      signal.removeEventListener("abort", onAbort)
      return HttpClientResponse.fromWeb(request, new Response("{}", { status: 200 }))
    })
  })
  const config = await Effect.runPromise(ApiConfig.decode({
    name: "bench-instant",
    baseUrl: "http://127.0.0.1:1",
    limits: [{ name: "rps", limit: 1e9, per: "second" }],
    throttle: false
  }, "bench config"))
  const cpu = () => {
    const u = process.cpuUsage()
    return u.user + u.system
  }
  return Effect.runPromise(Effect.gen(function*() {
    const governed = yield* ResilientClient.make(config)
    // Untraced, like the governed client's own transport: the figure is the governor's work alone.
    const bare = instant.pipe(
      HttpClient.mapRequest((r) => ({ ...r, url: `http://127.0.0.1:1${r.url}` }) as typeof r),
      HttpClient.withTracerDisabledWhen(() => true)
    )
    const loop = (c: HttpClient.HttpClient.With<unknown>) =>
      Effect.suspend(() => {
        let i = 0
        return Effect.whileLoop({ while: () => i++ < N, body: () => c.get("/x"), step: () => {} })
      })
    // Medians of interleaved rounds after two warm-up rounds: a GC landing in one round moves neither.
    const bareUs: Array<number> = []
    const oursUs: Array<number> = []
    for (let r = 0; r < 14; r++) {
      let t = cpu()
      yield* loop(bare)
      const b = (cpu() - t) / N
      t = cpu()
      yield* loop(governed.client)
      const o = (cpu() - t) / N
      if (r >= 2) {
        bareUs.push(b)
        oursUs.push(o)
      }
    }
    const median = (xs: Array<number>) => xs.sort((a, b) => a - b)[xs.length >> 1]!
    return { bare: median(bareUs), ours: median(oursUs) }
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.succeed(HttpClient.HttpClient, instant)),
    Logger.withMinimumLogLevel(LogLevel.Warning)
  ))
}

const timed = async (run: () => Promise<unknown>): Promise<number> => {
  const start = performance.now()
  await run()
  return REQUESTS / ((performance.now() - start) / 1000)
}

export const group: BenchGroup = {
  name: "client",
  description: `full client vs bare NodeHttpClient, ${REQUESTS} GETs × ${ROUNDS} rounds, ${CONCURRENCY} in flight`,
  run: async () => {
    const { server, url } = await startServer()
    const runtime = ManagedRuntime.make(NodeHttpClient.layerUndici)
    try {
      const config = await Effect.runPromise(ApiConfig.decode({
        name: "bench",
        baseUrl: url,
        limits: [{ name: "rps", limit: 1_000_000, per: "second" }],
        throttle: false,
        cache: { enabled: false }
      }, "bench config"))
      const governed = await runtime.runPromise(Effect.scoped(ResilientClient.make(config)).pipe(
        Effect.provide(Logger.minimumLogLevel(LogLevel.Warning))
      ))
      const bare = await runtime.runPromise(HttpClient.HttpClient)
      // The bare client records a span per request through Effect's built-in tracer; ours replaces it
      // with redacted spans only when a real tracer is installed. The untraced bare client shows what
      // that choice is worth, and what the governor costs without it.
      const bareUntraced = bare.pipe(HttpClient.withTracerDisabledWhen(() => true))
      const quiet = <A, E>(e: Effect.Effect<A, E>) => runtime.runPromise(Logger.withMinimumLogLevel(e, LogLevel.Warning))
      // Warm both connection pools and JIT paths.
      await quiet(drive(bare, `${url}/items`))
      await quiet(drive(governed.client, "/items"))
      await quiet(drive(bareUntraced, `${url}/items`))
      let bestBare = 0
      let bestUntraced = 0
      let bestOurs = 0
      for (let i = 0; i < ROUNDS; i++) {
        bestBare = Math.max(bestBare, await timed(() => quiet(drive(bare, `${url}/items`))))
        bestOurs = Math.max(bestOurs, await timed(() => quiet(drive(governed.client, "/items"))))
        bestUntraced = Math.max(bestUntraced, await timed(() => quiet(drive(bareUntraced, `${url}/items`))))
      }
      const ratio = bestOurs / bestBare
      const ratioUntraced = bestOurs / bestUntraced
      const micro = await overheadMicros()
      return {
        rows: [
          { name: "bare NodeHttpClient", value: bestBare, unit: "req/s" },
          { name: "resilient client", value: bestOurs, unit: "req/s" },
          { name: "bare NodeHttpClient, tracer disabled", value: bestUntraced, unit: "req/s" },
          { name: "overhead ratio (ours / bare)", value: ratio, unit: "x", note: "goal >= 0.90" },
          { name: "ours / bare with its tracer disabled", value: ratioUntraced, unit: "x" },
          { name: "governor CPU per request", value: micro.ours - micro.bare, unit: "µs", note: `instant untraced transport: ${micro.bare.toFixed(1)} µs bare, ${micro.ours.toFixed(1)} µs through the client` }
        ],
        figures: {
          "client.bare_per_s": Math.round(bestBare),
          "client.ours_per_s": Math.round(bestOurs),
          "client.overhead_ratio": Number(ratio.toFixed(3)),
          "client.bare_untraced_per_s": Math.round(bestUntraced),
          "client.overhead_ratio_vs_untraced": Number(ratioUntraced.toFixed(3)),
          "client.governor_cpu_us_per_request": Number((micro.ours - micro.bare).toFixed(1))
        }
      }
    } finally {
      await runtime.dispose()
      server.closeAllConnections()
      server.close()
    }
  }
}
