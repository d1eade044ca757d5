/**
 * GitHub: conditional requests and header-aware pacing.
 *
 * 1. Conditional requests. With `cache: { enabled: true }` the client stores every `200` with its
 *    `ETag`; when the entry is stale it revalidates with `If-None-Match`, and a `304 Not Modified`
 *    is answered from the cache (`x-cache: REVALIDATED`: the caller sees the full `200` body). GitHub
 *    does not count 304s against the rate limit, so re-reading unchanged resources is nearly free.
 *    (GitHub marks responses `max-age=60`, so within a minute a re-read is a plain `HIT` with no
 *    request at all; the simulated API sends `max-age=0`, so every re-read revalidates.)
 * 2. Header-aware pacing. GitHub reports its quota in `X-RateLimit-Limit / -Remaining / -Reset`
 *    (reset as epoch seconds). With `adaptive.useHeaders` (the default) the client stops guessing and
 *    paces at `remaining / time-to-reset`, so a burst of concurrent reads never meets a 429. The
 *    snapshot shows the rate's source as `"header"`.
 *
 *   npx tsx examples/github.ts                           # simulated, GitHub-style headers
 *   BASE_URL=https://api.github.com GITHUB_TOKEN=ghp_… npx tsx examples/github.ts   # part 1 only
 *
 * The simulated API is about 100 times faster than GitHub's 5,000 requests/hour so the example
 * finishes in seconds: against it the `github` preset's limits and adaptive range are scaled up;
 * against the real API (`BASE_URL`) the preset is used as it is and only a few reads are made
 * (`GITHUB_PATHS`, default two public repositories), never a write.
 */
import { HttpClientResponse } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Option, Schema } from "effect"
import { ResilientClient, ResponseCache } from "../src/index.js"
import { exampleLogger, fastMode, resolveTarget, since } from "./sdk/target.js"

/** The two fields a GitHub repository and a simulated item have in common. */
const Resource = Schema.Struct({ id: Schema.Union(Schema.Number, Schema.String), name: Schema.String })

const program = Effect.gen(function*() {
  const fast = yield* fastMode
  const target = yield* resolveTarget({
    // A GitHub-style quota in the simulation: 10 requests/s, 20 at once, reported in X-RateLimit-*
    // headers with the reset as epoch seconds (plus X-RateLimit-Used / -Resource).
    simulated: { rate: 10, burst: 20, headers: { xRateLimit: "epoch" }, items: 100, latency: { min: "2 millis", max: "8 millis" } },
    tokenEnv: "GITHUB_TOKEN"
  })
  const simulated = target.simulated
  const github = yield* ResilientClient.makeFor(
    "github",
    simulated === null
      ? { baseUrl: target.baseUrl, cache: { enabled: true } }
      : {
        baseUrl: target.baseUrl,
        cache: { enabled: true },
        limits: [{ name: "primary", limit: 40, per: "second", burst: 40 }],
        adaptive: { enabled: true, useHeaders: true, initialRate: 5, minRate: 1, maxRate: 40 }
      },
    { token: target.token }
  )
  const paths = simulated === null
    ? (yield* Config.string("GITHUB_PATHS").pipe(Config.withDefault("/repos/Effect-TS/effect,/repos/nodejs/node")))
      .split(",").map((p) => p.trim()).filter((p) => p.length > 0)
    : ["/items/1", "/items/2", "/items/3"]

  const read = (path: string) =>
    github.client.get(path).pipe(
      Effect.flatMap((response) =>
        Effect.map(HttpClientResponse.schemaBodyJson(Resource)(response), (body) => ({
          status: response.status,
          cache: Option.getOrElse(ResponseCache.cacheStatus(response), () => "-"),
          etag: response.headers["etag"] ?? "-",
          body
        }))
      ),
      Effect.tap((r) => Effect.sync(() => console.log(`  GET ${path.padEnd(24)} ${r.status}  x-cache ${r.cache.padEnd(11)} etag ${r.etag}  ${r.body.name}`)))
    )

  console.log(`GitHub example against ${simulated === null ? target.baseUrl : `the simulated API (${target.baseUrl})`}`)
  console.log("\n1. Conditional requests")
  console.log(" first read (stored with its ETag):")
  yield* Effect.forEach(paths, read, { discard: true })
  console.log(" second read (revalidated with If-None-Match; 304 served from the cache):")
  yield* Effect.forEach(paths, read, { discard: true })
  if (simulated !== null) {
    // Someone pushes to repository 2: its ETag changes, so the next revalidation gets a fresh 200.
    yield* github.client.put("/items/2")
    console.log(" after a change to /items/2:")
    yield* Effect.forEach(paths, read, { discard: true })
    const counters = yield* simulated.counters
    console.log(` the API answered ${counters.notModified} of ${counters.byPath["GET /items/:id"]?.accepted ?? 0} reads with 304 Not Modified`)
  }
  const cache = (yield* github.snapshot()).cache
  if (cache !== null) {
    console.log(` cache: ${cache.hits} hits, ${cache.misses} misses, ${cache.revalidations} revalidations, ${cache.notModified} not modified`)
  }

  if (simulated === null) return
  console.log("\n2. Header-aware pacing")
  const n = fast ? 40 : 80
  const start = Date.now()
  yield* Effect.forEach(
    Array.from({ length: n }, (_, i) => `/items/${(i % 100) + 1}`),
    (path) => github.client.get(path).pipe(Effect.flatMap((r) => r.json)),
    { concurrency: 16, discard: true }
  )
  const elapsed = (Date.now() - start) / 1000
  const snap = yield* github.snapshot()
  const counters = yield* simulated.counters
  console.log(`${since(start)}  ${n} reads (16 at a time) in ${elapsed.toFixed(2)} s = ${(n / elapsed).toFixed(1)}/s against a hidden 10/s (burst 20)`)
  console.log(`  429s from the API: ${counters.rejected429}; retries: ${snap.stats.totalRetries}`)
  console.log("  adaptive snapshot:", JSON.stringify({
    source: snap.adaptive?.source,
    phase: snap.adaptive?.phase,
    currentRate: Number((snap.adaptive?.currentRate ?? 0).toFixed(2)),
    cooldownUntil: snap.adaptive?.cooldownUntil ?? null
  }))
  console.log(`  limiter: ${snap.limiter.currentRate.toFixed(2)} req/s (${snap.limiter.rateSource})`)
})

program.pipe(
  Effect.scoped,
  Effect.provide(Layer.merge(NodeHttpClient.layerUndici, exampleLogger)),
  NodeRuntime.runMain
)
