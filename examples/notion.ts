/**
 * Notion: a typed mini-SDK (Schema-decoded responses) on the resilient client, with a database query
 * paginated as a `Stream` (`start_cursor` in, `next_cursor` / `has_more` out) and page lookups that
 * the client paces at Notion's documented 3 requests/s (burst 5), retrying 429s after Retry-After.
 *
 *   npx tsx examples/notion.ts                     # against the bundled simulated API
 *   BASE_URL=https://api.notion.com/v1 NOTION_TOKEN=secret_… NOTION_DATABASE_ID=… npx tsx examples/notion.ts
 *
 * The simulated API hides the same limit as Notion (3/s, burst 5, Retry-After in seconds) but is not
 * Notion-shaped: `examples/sdk/notion.ts` has both wire formats and says which is which.
 * `EXAMPLE_FAST=1` shrinks the workload; `LOG_LEVEL=Info` prints one (redacted) line per request.
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Stream } from "effect"
import { ResilientClient } from "../src/index.js"
import { makeNotionSdk, notionWire, simulatedWire } from "./sdk/notion.js"
import { exampleLogger, fastMode, resolveTarget, since } from "./sdk/target.js"

const program = Effect.gen(function*() {
  const fast = yield* fastMode
  const target = yield* resolveTarget({
    // Notion's documented limit, hidden in the simulation: 3 requests/s with a small burst.
    simulated: { rate: 3, burst: 5, retryAfter: "seconds", items: fast ? 24 : 60, latency: { min: "2 millis", max: "10 millis" } },
    tokenEnv: "NOTION_TOKEN"
  })
  const notion = yield* ResilientClient.makeFor(
    "notion",
    {
      baseUrl: target.baseUrl,
      // Notion's query endpoint is a POST that only reads: safe to retry after a 429.
      retry: { retryNonIdempotent: true }
    },
    { token: target.token }
  )
  const sdk = makeNotionSdk(target.simulated === null ? notionWire(notion.client) : simulatedWire(notion.client))
  const databaseId = target.simulated === null ? yield* Config.string("NOTION_DATABASE_ID") : "simulated-database"
  console.log(`Notion example against ${target.simulated === null ? target.baseUrl : `the simulated API (${target.baseUrl})`}`)

  // 1. The whole database, page by page, as a stream.
  const start = Date.now()
  const pages = yield* sdk.queryDatabase(databaseId, { pageSize: 10 }).pipe(
    Stream.mapChunks((chunk) => {
      console.log(`${since(start)}  query page: ${chunk.length} results`)
      return chunk
    }),
    Stream.runCollect
  )
  console.log(`${since(start)}  database has ${pages.length} pages`)

  // 2. Retrieve pages concurrently: the client holds them to 3/s after the burst of 5.
  const wanted = Array.from(pages).slice(0, fast ? 8 : 15)
  const retrieveStart = Date.now()
  yield* Effect.forEach(wanted, (page) =>
    sdk.retrievePage(page.id).pipe(
      Effect.tap((p) => Effect.sync(() => console.log(`${since(retrieveStart)}  retrieved ${p.id.padEnd(36)} ${JSON.stringify(p.title)}`)))
    ), { concurrency: wanted.length, discard: true })

  const snap = yield* notion.snapshot()
  const seconds = (Date.now() - retrieveStart) / 1000
  const configured = Math.min(...snap.limiter.limits.map((l) => l.ratePerSecond))
  console.log(
    `retrieved ${wanted.length} pages in ${seconds.toFixed(2)} s (${(wanted.length / seconds).toFixed(1)}/s); ` +
      `pacing: the tighter of the learned ${snap.limiter.currentRate.toFixed(2)}/s and Notion's ${configured}/s, ` +
      `requests ${snap.stats.totalRequests}, retries ${snap.stats.totalRetries}, 429s seen ${snap.stats.rateLimited}`
  )
  if (target.simulated !== null) {
    const counters = yield* target.simulated.counters
    console.log(`simulated API: ${counters.total} requests, ${counters.accepted} accepted, ${counters.rejected429} answered 429`)
  }
})

program.pipe(
  Effect.scoped,
  Effect.provide(Layer.merge(NodeHttpClient.layerUndici, exampleLogger)),
  NodeRuntime.runMain
)
