/**
 * Cache bench: hit throughput of the memory and file-system response caches next to uncached
 * requests to a loopback server, all in the same run. Every operation is one `GET` whose body
 * (1 KiB of JSON) is read to the end, one request at a time on one fiber, through the same
 * `FetchHttpClient` transport; the cached variants go through `ResponseCache.cached` with a warm
 * entry, so they measure lookup + key derivation + response rebuild (+ one `stat` for a file hit).
 *
 * Stale-if-error: the same loopback server answers `/down` with a 503; "failing" is a request whose
 * `send` fails on it (as the client does once its retries give up), "stale" the same request through
 * a memory cache holding a stale entry with `stale-if-error`, answered from that entry. Logs at
 * warning level and above, as a service in production would (each stale answer writes an info line).
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import type { HttpClientResponse } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime, Scope } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { makeFileStore } from "../src/cache/FileStore.js"
import { makeMemoryStore } from "../src/cache/MemoryStore.js"
import * as ResponseCache from "../src/cache/ResponseCache.js"
import type { BenchGroup, BenchRow } from "./harness.js"
import { bestOf, opsPerSecond } from "./harness.js"

const BODY = JSON.stringify({ items: Array.from({ length: 16 }, (_, i) => ({ id: i, name: `item-${i}`, tags: ["a", "b"] })) })
  .padEnd(1024, " ")

const startServer = () =>
  new Promise<{ server: http.Server; url: string; downUrl: string; count: () => number }>((resolve) => {
    let requests = 0
    let downServed = false
    const server = http.createServer((req, res) => {
      requests++
      if (req.url?.startsWith("/down") === true) {
        // The first answer is stored (stale at once, usable on error for an hour); then it is down.
        if (!downServed) {
          downServed = true
          res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=0, stale-if-error=3600" })
          return res.end(BODY)
        }
        res.writeHead(503, { "content-type": "text/plain" })
        return res.end("down")
      }
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=3600", etag: "\"bench\"" })
      res.end(BODY)
    })
    server.keepAliveTimeout = 60_000
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        server,
        url: `http://127.0.0.1:${port}/items?page=1`,
        downUrl: `http://127.0.0.1:${port}/down`,
        count: () => requests
      })
    })
  })

/** Run `op` `n` times in one fiber. */
const loop = <E, R>(n: number, op: Effect.Effect<unknown, E, R>): Effect.Effect<void, E, R> =>
  Effect.suspend(() => {
    let i = 0
    return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} })
  })

const readBody = <E, R>(self: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>) =>
  Effect.flatMap(self, (r) => r.arrayBuffer)

export const group: BenchGroup = {
  name: "cache",
  description: "response-cache hits vs uncached loopback GETs (1 KiB body, sequential, same run)",
  run: async () => {
    const { count, downUrl, server, url } = await startServer()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "egc-bench-cache-"))
    const runtime = ManagedRuntime.make(Layer.merge(FetchHttpClient.layer, Logger.minimumLogLevel(LogLevel.Warning)))
    try {
      const send = (request: HttpClientRequest.HttpClientRequest) =>
        Effect.flatMap(HttpClient.HttpClient, (client) => client.execute(request))
      const request = HttpClientRequest.get(url, { headers: { authorization: "Bearer bench-token" } })

      // The caches live as long as the runtime (their background refreshes would run in this scope).
      const scope = await runtime.runPromise(Scope.make())
      const memory = await runtime.runPromise(
        Effect.flatMap(makeMemoryStore(), (s) => ResponseCache.make(s)).pipe(Scope.extend(scope))
      )
      const file = await runtime.runPromise(
        Effect.flatMap(makeFileStore({ directory: dir }), (s) => ResponseCache.make(s)).pipe(
          Effect.provide(NodeFileSystem.layer),
          Scope.extend(scope)
        )
      )
      const network = readBody(send(request))
      const memoryHit = readBody(memory.cached(request, send))
      const fileHit = readBody(file.cached(request, send))

      // Warm both caches (one upstream request each), then check hits really skip the network.
      await runtime.runPromise(Effect.all([memoryHit, fileHit]))
      const before = count()
      await runtime.runPromise(loop(100, Effect.all([memoryHit, fileHit])))
      if (count() !== before) throw new Error("cache bench: hits reached the server")

      const networkPerSec = await bestOf(3, () => opsPerSecond(2_000, (n) => runtime.runPromise(loop(n, network))))
      const memoryPerSec = await bestOf(3, () => opsPerSecond(50_000, (n) => runtime.runPromise(loop(n, memoryHit))))
      const filePerSec = await bestOf(3, () => opsPerSecond(10_000, (n) => runtime.runPromise(loop(n, fileHit))))
      const stats = await runtime.runPromise(Effect.all([memory.stats, file.stats]))
      if (stats[0].misses !== 1 || stats[1].misses !== 1) throw new Error("cache bench: unexpected misses")

      // Stale-if-error vs failing, same failing upstream.
      const down = HttpClientRequest.get(downUrl)
      const failing = (r: HttpClientRequest.HttpClientRequest) =>
        Effect.flatMap(send(r), (response) =>
          response.status >= 500 ? Effect.zipRight(Effect.ignore(response.arrayBuffer), Effect.fail("down" as const)) : Effect.succeed(response))
      const staleCache = await runtime.runPromise(
        Effect.flatMap(makeMemoryStore(), (s) => ResponseCache.make(s)).pipe(Scope.extend(scope))
      )
      await runtime.runPromise(readBody(staleCache.cached(down, send)))
      const staleAnswer = readBody(staleCache.cached(down, failing))
      const failure = Effect.either(readBody(failing(down)))
      const check = await runtime.runPromise(Effect.all([staleAnswer, failure]))
      if (check[1]._tag !== "Left") throw new Error("cache bench: /down did not fail")
      // Interleaved rounds, best of each: both see the same machine load.
      let failPerSec = 0
      let stalePerSec = 0
      for (let round = 0; round < 4; round++) {
        failPerSec = Math.max(failPerSec, await opsPerSecond(1_500, (n) => runtime.runPromise(loop(n, failure))))
        stalePerSec = Math.max(stalePerSec, await opsPerSecond(1_500, (n) => runtime.runPromise(loop(n, staleAnswer))))
      }
      if ((await runtime.runPromise(staleCache.stats)).staleIfError < 6_000) throw new Error("cache bench: stale answers missing")

      const rows: Array<BenchRow> = [
        { name: "network (uncached GET)", value: networkPerSec, unit: "req/s", note: "FetchHttpClient, keep-alive" },
        { name: "memory cache hit", value: memoryPerSec, unit: "req/s" },
        { name: "file cache hit", value: filePerSec, unit: "req/s", note: "one stat per hit (decoded entry kept)" },
        { name: "memory hit vs network", value: memoryPerSec / networkPerSec, unit: "x" },
        { name: "file hit vs network", value: filePerSec / networkPerSec, unit: "x" },
        { name: "failing request (503)", value: failPerSec, unit: "req/s", note: "send fails on 5xx" },
        { name: "stale-if-error answer (503)", value: stalePerSec, unit: "req/s", note: "same request, stale entry" },
        { name: "stale-if-error vs error", value: stalePerSec / failPerSec, unit: "x", note: "1.0: no cost over failing" }
      ]
      return {
        rows,
        figures: {
          "cache.memory_hit_vs_network": memoryPerSec / networkPerSec,
          "cache.file_hit_vs_network": filePerSec / networkPerSec,
          "cache.stale_if_error_vs_error": stalePerSec / failPerSec,
          "cache.network_per_sec": networkPerSec,
          "cache.memory_hit_per_sec": memoryPerSec,
          "cache.file_hit_per_sec": filePerSec,
          "cache.failing_per_sec": failPerSec,
          "cache.stale_if_error_per_sec": stalePerSec
        }
      }
    } finally {
      await runtime.dispose()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
