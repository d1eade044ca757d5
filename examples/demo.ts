/**
 * `npm run demo`: the main job. Starts the bundled simulated API (hidden limit, Retry-After,
 * occasional 5xx) and runs a typed SDK built on the resilient client through a realistic workload:
 * paginate the collection, fetch every item, then re-read a hot subset. Live progress on the terminal,
 * a final summary, exit code 0 on success.
 *
 * Flags: `--log-level LEVEL` (every request/response line, headers at debug), `--metrics-out FILE`
 * (Prometheus text of the run's metrics). `DEMO_API_TOKEN` from the environment is sent as
 * `Authorization: Bearer …` and never printed.
 */
import { Command, Options } from "@effect/cli"
import { FileSystem } from "@effect/platform"
import { NodeContext, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Effect, FiberRef, Layer, Logger, LogLevel, Option, Ref, Schedule, Stream } from "effect"
import { ApiConfig, Metrics, RedactingLogger, ResilientClient } from "../src/index.js"
import { SimulatedApi } from "../src/testing/index.js"
import { demoSettings } from "./demo-settings.js"
import { makeItemsSdk } from "./sdk/items.js"

const ITEMS = Number(process.env["DEMO_ITEMS"] ?? demoSettings.items)
const HIDDEN_RATE = Number(process.env["DEMO_RATE"] ?? demoSettings.hiddenRate)
const { acceptedWindowMs: ACCEPTED_WINDOW_MS, concurrency, pageSize } = demoSettings

/** Requests per second accepted between `from` and `to`, from (time, accepted so far) samples. */
const acceptedOver = (samples: ReadonlyArray<readonly [number, number]>, from: number, to: number): number => {
  const at = (t: number) => samples.reduce((best, s) => (Math.abs(s[0] - t) < Math.abs(best[0] - t) ? s : best), samples[0]!)
  const [a, b] = [at(from), at(to)]
  return b[0] > a[0] ? ((b[1] - a[1]) * 1000) / (b[0] - a[0]) : 0
}

const bar = (done: number, total: number, width = 28): string => {
  const filled = Math.round((done / Math.max(total, 1)) * width)
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${String(done).padStart(3)}/${total}`
}

const run = (metricsOut: Option.Option<string>) =>
  Effect.gen(function*() {
    const api = yield* SimulatedApi.make({
      rate: HIDDEN_RATE,
      burst: demoSettings.burst,
      retryAfter: "seconds",
      errorRate: demoSettings.errorRate,
      latency: { min: "2 millis", max: "15 millis" },
      items: ITEMS,
      maxAge: 30,
      seed: 7
    })
    const config = yield* ApiConfig.decode({
      name: "demo",
      baseUrl: api.url,
      // The vendor's docs claim 50 req/s; the hidden limit is lower: the adaptive controller finds it.
      limits: [{ name: "documented", limit: 2 * HIDDEN_RATE, per: "second" }],
      adaptive: { enabled: true, initialRate: 2 * HIDDEN_RATE, minRate: 1, maxRate: 4 * HIDDEN_RATE },
      retry: { maxRetries: 5, initialDelay: "100 millis", maxDelay: "2 seconds" },
      breaker: { failureThreshold: 10, recoveryTimeout: "2 seconds" },
      cache: { enabled: true, defaultTtl: "1 minute" },
      // The simulated API needs no token: DEMO_API_TOKEN is sent when set.
      auth: { scheme: "bearer", env: "DEMO_API_TOKEN", optional: true },
      documentedLimit: `${2 * HIDDEN_RATE} req/s (overstated)`
    }, "demo config")
    const governed = yield* ResilientClient.make(config)
    const sdk = makeItemsSdk(governed.client)

    const fetched = yield* Ref.make(0)
    const total = ITEMS + Math.ceil(ITEMS / 2)
    const started = Date.now()
    const level = yield* FiberRef.get(FiberRef.currentMinimumLogLevel)
    const tty = process.stdout.isTTY === true && LogLevel.greaterThan(level, LogLevel.Info)

    const render = Effect.gen(function*() {
      const snap = yield* governed.snapshot()
      const done = yield* Ref.get(fetched)
      const counters = yield* api.counters
      const elapsed = (Date.now() - started) / 1000
      const line = `${bar(done, total)}  ${(counters.total / Math.max(elapsed, 0.001)).toFixed(1).padStart(5)} req/s` +
        `  rate ${snap.limiter.currentRate.toFixed(1).padStart(5)}/s  429s ${String(counters.rejected429).padStart(3)}` +
        `  retries ${String(snap.stats.totalRetries).padStart(3)}  cache ${
          ((snap.cache?.hitRate ?? 0) * 100).toFixed(0).padStart(3)
        }%  breaker ${snap.breaker?.state ?? "off"}`
      if (tty) process.stdout.write(`\r${line}`)
      else console.log(line)
    })
    yield* render.pipe(
      Effect.catchAll(() => Effect.void),
      Effect.repeat(Schedule.spaced(tty ? "200 millis" : "2 seconds")),
      Effect.forkScoped
    )

    // What the API accepted, sampled: the rate it accepted once the limit is learned is the figure.
    const samples: Array<readonly [number, number]> = []
    yield* Effect.flatMap(api.counters, (c) => Effect.sync(() => samples.push([Date.now(), c.accepted + c.errors5xx]))).pipe(
      Effect.repeat(Schedule.spaced("100 millis")),
      Effect.forkScoped
    )

    // 1. Paginate the collection; 2. fetch every item (8 at a time); 3. re-read a hot half.
    const ids = yield* sdk.listAll(pageSize).pipe(Stream.map((item) => item.id), Stream.runCollect)
    yield* Effect.forEach(ids, (id) => Effect.zipRight(sdk.getItem(id), Ref.update(fetched, (n) => n + 1)), {
      concurrency,
      discard: true
    })
    const fetchedAt = Date.now()
    const acceptedRate = acceptedOver(samples, fetchedAt - ACCEPTED_WINDOW_MS, fetchedAt)
    const hot = Array.from(ids).slice(0, Math.ceil(ITEMS / 2))
    yield* Effect.forEach(hot, (id) => Effect.zipRight(sdk.getItem(id), Ref.update(fetched, (n) => n + 1)), {
      concurrency,
      discard: true
    })
    yield* render
    if (tty) process.stdout.write("\n")

    const snap = yield* governed.snapshot()
    const counters = yield* api.counters
    const seconds = (Date.now() - started) / 1000
    console.log("\nSummary")
    console.table({
      "items fetched": ids.length,
      "requests sent": counters.total,
      "accepted by API": counters.accepted,
      "429 responses": counters.rejected429,
      "5xx injected": counters.errors5xx,
      "retries": snap.stats.totalRetries,
      "cache hit rate": `${((snap.cache?.hitRate ?? 0) * 100).toFixed(1)}%`,
      "learned rate (req/s)": Number(snap.limiter.currentRate.toFixed(2)),
      [`accepted, last ${ACCEPTED_WINDOW_MS / 1000} s of fetching (req/s)`]: Number(acceptedRate.toFixed(2)),
      "hidden limit (req/s)": HIDDEN_RATE,
      "breaker": snap.breaker?.state ?? "off",
      "duration (s)": Number(seconds.toFixed(1))
    })
    if (Option.isSome(metricsOut)) {
      const fs = yield* FileSystem.FileSystem
      yield* fs.writeFileString(metricsOut.value, yield* Metrics.prometheusText())
      console.log(`metrics written to ${metricsOut.value}`)
    }
  })

const command = Command.make(
  "demo",
  { metricsOut: Options.file("metrics-out").pipe(Options.optional) },
  ({ metricsOut }) => Effect.scoped(run(metricsOut))
)

const cli = Command.run(command, { name: "effect-governor demo", version: "0.1.0" })

cli(process.argv).pipe(
  // Quiet by default so the progress display stays readable; `--log-level` (handled by @effect/cli)
  // overrides this for the command's run.
  Logger.withMinimumLogLevel(LogLevel.Warning),
  Effect.provide(
    Layer.mergeAll(NodeContext.layer, NodeHttpClient.layerUndici, RedactingLogger.layer({ format: "logfmt", stderr: true }))
  ),
  NodeRuntime.runMain
)
