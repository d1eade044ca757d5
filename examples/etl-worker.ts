/**
 * A long-running ETL worker: a stream of jobs processed with bounded concurrency through the resilient
 * client, a Prometheus `/metrics` endpoint on loopback, and a graceful shutdown.
 *
 * Each job extracts one record (`GET /items/:id`), transforms it, and loads it (`POST /items`) with an
 * `Idempotency-Key` derived from the record, so a retried or repeated load is applied once (the API
 * replays its first answer). Injected 5xx are retried by the client; a job that still fails is counted
 * and logged, and the worker goes on.
 *
 * Shutdown: on SIGINT / SIGTERM (`NodeRuntime.runMain` interrupts the main fiber) the worker stops
 * taking new jobs, lets the jobs in flight finish, prints a summary and exits 0. A second signal
 * ends the process at once.
 *
 *   npx tsx examples/etl-worker.ts                  # runs until Ctrl-C; curl the printed /metrics URL
 *   EXAMPLE_FAST=1 npx tsx examples/etl-worker.ts   # a fixed batch of jobs, prints its own /metrics, exits
 *   BASE_URL=https://etl-source.example ETL_API_TOKEN=… npx tsx examples/etl-worker.ts
 *
 * Against a real service, `BASE_URL` must serve the same two routes as the simulated API.
 */
import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Deferred, Effect, Fiber, Layer, Ref, Schedule, Schema, Stream } from "effect"
import { ApiConfig, Metrics, ResilientClient } from "../src/index.js"
import { exampleLogger, fastMode, resolveTarget } from "./sdk/target.js"

const Record = Schema.Struct({ id: Schema.String, name: Schema.String, version: Schema.Number })
const Loaded = Schema.Struct({ id: Schema.String, idempotencyKey: Schema.NullOr(Schema.String) })

const ITEMS = 200
const CONCURRENCY = 8

const program = Effect.gen(function*() {
  const fast = yield* fastMode
  const target = yield* resolveTarget({
    simulated: {
      rate: 30,
      burst: 30,
      retryAfter: "seconds",
      errorRate: 0.05,
      items: ITEMS,
      latency: { min: "5 millis", max: "25 millis" },
      seed: 42
    },
    tokenEnv: "ETL_API_TOKEN"
  })
  const config = yield* ApiConfig.decode({
    name: "etl-source",
    baseUrl: target.baseUrl,
    limits: [{ name: "requests", limit: 25, per: "second" }],
    adaptive: { enabled: true, initialRate: 25, minRate: 2, maxRate: 50 },
    retry: { maxRetries: 4, initialDelay: "50 millis", maxDelay: "1 second" },
    breaker: { failureThreshold: 20, recoveryTimeout: "2 seconds" },
    auth: { scheme: "bearer", env: "ETL_API_TOKEN" }
  }, "etl-worker example")
  const governed = yield* ResilientClient.make(config, { token: target.token })
  const metrics = yield* Metrics.MetricsServer
  console.log(`metrics: ${metrics.url}`)

  const done = yield* Ref.make({ loaded: 0, replayed: 0, failed: 0 })
  const inFlight = yield* Ref.make(0)

  const runJob = (n: number) => {
    const id = String(((n - 1) % ITEMS) + 1)
    return Effect.gen(function*() {
      const record = yield* governed.client.get(`/items/${id}`).pipe(
        Effect.flatMap(HttpClientResponse.filterStatusOk),
        Effect.flatMap(HttpClientResponse.schemaBodyJson(Record))
      )
      const row = { sourceId: record.id, title: record.name.toUpperCase(), version: record.version }
      const response = yield* HttpClientRequest.post("/items").pipe(
        HttpClientRequest.setHeader("Idempotency-Key", `etl-${record.id}-v${record.version}`),
        HttpClientRequest.bodyUnsafeJson(row),
        governed.client.execute,
        Effect.flatMap(HttpClientResponse.filterStatusOk)
      )
      yield* HttpClientResponse.schemaBodyJson(Loaded)(response)
      const replayed = response.headers["idempotent-replayed"] === "true"
      yield* Ref.update(done, (d) => ({ ...d, loaded: d.loaded + 1, replayed: d.replayed + (replayed ? 1 : 0) }))
    }).pipe(
      Effect.catchAll((error) =>
        Effect.zipRight(
          Ref.update(done, (d) => ({ ...d, failed: d.failed + 1 })),
          Effect.logWarning(`job ${n} (record ${id}) failed`, error)
        )
      ),
      (job) => Effect.acquireUseRelease(Ref.update(inFlight, (k) => k + 1), () => job, () => Ref.update(inFlight, (k) => k - 1))
    )
  }

  // Jobs: a fixed batch in fast mode, otherwise an endless feed (the records, over and over).
  const jobs = fast ? Stream.range(1, 40) : Stream.iterate(1, (n) => n + 1)
  const shutdown = yield* Deferred.make<void>()
  const started = Date.now()
  const worker = yield* jobs.pipe(
    // Stop pulling new jobs once shutdown is requested; jobs already taken run to completion.
    Stream.haltWhenDeferred(shutdown),
    Stream.mapEffect(runJob, { concurrency: CONCURRENCY, unordered: true }),
    Stream.runDrain,
    Effect.fork
  )

  const report = Effect.gen(function*() {
    const d = yield* Ref.get(done)
    const seconds = (Date.now() - started) / 1000
    const stats = yield* governed.stats
    console.log(
      `${seconds.toFixed(1).padStart(6)} s  loaded ${d.loaded} (${d.replayed} replayed), failed ${d.failed}, ` +
        `${(d.loaded / Math.max(seconds, 0.001)).toFixed(1)} jobs/s, retries ${stats.totalRetries}`
    )
  })
  if (!fast) yield* report.pipe(Effect.repeat(Schedule.spaced("2 seconds")), Effect.delay("2 seconds"), Effect.forkScoped)

  yield* Fiber.join(worker).pipe(
    Effect.onInterrupt(() =>
      Effect.gen(function*() {
        console.log(`shutdown requested: finishing ${yield* Ref.get(inFlight)} job(s) in flight, taking no new ones`)
        yield* Deferred.succeed(shutdown, undefined)
        yield* Fiber.await(worker)
        yield* report
        console.log(`drained, in flight now ${yield* Ref.get(inFlight)}; bye`)
      })
    )
  )
  yield* report

  if (fast) {
    // Scrape our own endpoint once, with the plain transport (not the governed client).
    const text = yield* HttpClient.get(metrics.url).pipe(
      Effect.flatMap(HttpClientResponse.filterStatusOk),
      Effect.flatMap((r) => r.text),
      Effect.scoped
    )
    const lines = text.split("\n").filter((l) => /^governor_(requests_total|retries_total|limiter_wait_seconds_count|adaptive_rate|breaker_state)\b/.test(l))
    console.log(`GET ${metrics.url} (${text.length} bytes), a few series:`)
    for (const line of lines) console.log(`  ${line}`)
  }
})

program.pipe(
  Effect.scoped,
  Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, exampleLogger, Metrics.layerServer({ port: 0, host: "127.0.0.1" }))),
  NodeRuntime.runMain
)
