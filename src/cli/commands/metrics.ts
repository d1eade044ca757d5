/**
 * `effect-governor metrics`: the Prometheus metrics of a run. It starts the simulated API, runs a short
 * workload through the resilient client (list the collection page by page, fetch every item, then
 * read every item again so the cache answers), and either serves `/metrics` on 127.0.0.1 while the
 * workload runs and afterwards until Ctrl-C, or with `--once` prints the exposition after the run.
 *
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Console, Effect, FiberRef, HashSet, Layer, Logger, LogLevel, Option, Schema } from "effect"
import * as ResilientClient from "../../client/ResilientClient.js"
import * as ApiConfig from "../../config/ApiConfig.js"
import * as MetricsServer from "../../metrics/MetricsServer.js"
import { prometheusText } from "../../metrics/prometheus.js"
import * as SimulatedApi from "../../testing/SimulatedApi.js"
import { failure, usage } from "../errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface WorkloadOptions {
  /** Hidden limit of the simulated API, requests per second. */
  readonly rate: number
  /** Its burst. */
  readonly burst: number
  /** Probability of an injected 500 on admitted requests. */
  readonly errorRate: number
  /** Items in the collection; the workload makes about `2 × items + items / 10` requests. */
  readonly items: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface WorkloadSummary {
  readonly requests: number
  readonly failed: number
  readonly rateLimitedResponses: number
  readonly retries: number
  readonly cacheHits: number
}

const Page = Schema.Struct({
  results: Schema.Array(Schema.Struct({ id: Schema.String })),
  next_cursor: Schema.NullOr(Schema.String),
  has_more: Schema.Boolean
})

/**
 * The client's config for the run: the simulated API's own limit as the starting point, with the
 * adaptive controller free to probe up to twice it, retries honouring Retry-After, and a memory cache.
 */
const workloadConfig = (baseUrl: string, o: WorkloadOptions) =>
  ApiConfig.decode({
    name: "simulated",
    baseUrl,
    // A config's burst may not be below its rate; the API's smaller burst then shows up as 429s.
    limits: [{ name: "requests", limit: o.rate, per: "second", burst: Math.max(o.burst, o.rate) }],
    adaptive: { enabled: true, initialRate: o.rate, minRate: o.rate / 10, maxRate: o.rate * 2 },
    retry: { maxRetries: 5, initialDelay: 50, maxDelay: 2000, respectRetryAfter: true },
    cache: { enabled: true },
    breaker: { enabled: true, failureThreshold: 10 }
  }, "metrics workload")

/**
 * Run the workload against a fresh simulated API; metrics land in Effect's global metric registry.
 *
 * @since 0.1.0
 * @category workload
 */
export const runWorkload = (o: WorkloadOptions) =>
  Effect.scoped(Effect.gen(function*() {
    const api = yield* SimulatedApi.make({ rate: o.rate, burst: o.burst, errorRate: o.errorRate, items: o.items })
    const config = yield* workloadConfig(api.url, o)
    const service = yield* ResilientClient.make(config)
    const client = service.client
    let failed = 0
    const get = (path: string) =>
      client.execute(HttpClientRequest.get(path)).pipe(
        Effect.flatMap((response): Effect.Effect<unknown, unknown> =>
          response.status < 400 ? response.json : Effect.fail(response.status)
        ),
        Effect.tapError(() =>
          Effect.sync(() => {
            failed++
          })
        ),
        Effect.option
      )
    const ids: Array<string> = []
    let cursor: string | null = ""
    while (cursor !== null) {
      const body: Option.Option<unknown> = yield* get(`/items?limit=10${cursor === "" ? "" : `&cursor=${cursor}`}`)
      if (Option.isNone(body)) break
      const page: Option.Option<typeof Page.Type> = yield* Schema.decodeUnknown(Page)(body.value).pipe(Effect.option)
      if (Option.isNone(page)) break
      ids.push(...page.value.results.map((r) => r.id))
      cursor = page.value.has_more ? page.value.next_cursor : null
    }
    // Each item twice: the second read is answered (or revalidated) by the cache.
    const readAll = Effect.forEach(ids, (id) => get(`/items/${id}`), { concurrency: 4, discard: true })
    yield* readAll
    yield* readAll
    const stats = yield* service.stats
    return { stats, failed, counters: yield* api.counters }
  }))

const port = Options.integer("port").pipe(
  Options.withDescription("Port of the /metrics endpoint, on 127.0.0.1 only (0 picks a free port). Ignored with --once."),
  Options.withDefault(9464)
)
const once = Options.boolean("once").pipe(
  Options.withDescription("Run the workload, print the Prometheus text to stdout and exit, instead of serving it.")
)
const rate = Options.float("rate").pipe(
  Options.withDescription("Hidden limit of the simulated API, requests per second."),
  Options.withDefault(20)
)
const burst = Options.float("burst").pipe(
  Options.withDescription("Burst of the simulated API."),
  Options.withDefault(10)
)
const errorRate = Options.float("error-rate").pipe(
  Options.withDescription("Probability in [0, 1] of an injected 500 (retried by the client)."),
  Options.withDefault(0.02)
)
const items = Options.integer("items").pipe(
  Options.withDescription("Items in the collection; the workload makes about 2 × items + items / 10 requests."),
  Options.withDefault(40)
)

const workloadErrors = <A, R>(effect: Effect.Effect<A, SimulatedApi.InvalidSimulatedApiOptions | SimulatedApi.SimulatedApiStartError | ResilientClient.GovernorSetupError, R>) =>
  effect.pipe(
    Effect.catchAll((e) =>
      Effect.fail(
        e._tag === "InvalidSimulatedApiOptions" || e._tag === "InvalidConfig"
          ? usage(e.message)
          : failure(`the workload could not start: ${e.message}`)
      )
    )
  )

/**
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("metrics", { port, once, rate, burst, errorRate, items }, (o) =>
  Effect.gen(function*() {
    if (!Number.isSafeInteger(o.items) || o.items < 1) return yield* usage(`--items: expected a whole number >= 1, got ${o.items}`)
    // Request log lines go to stderr (warnings and worse: retries, 429s, 5xx) so stdout stays clean.
    const workload = workloadErrors(runWorkload(o)).pipe(
      Effect.provide(NodeHttpClient.layerUndici),
      Effect.locally(FiberRef.currentLoggers, HashSet.make(Logger.prettyLogger({ stderr: true }))),
      Logger.withMinimumLogLevel(LogLevel.Warning)
    )
    if (o.once) {
      yield* workload
      const text = yield* prometheusText({ prefixes: ["governor_"] }).pipe(
        Effect.mapError((e) => failure(`could not render the metrics: ${e.message}`))
      )
      yield* Console.log(text.trimEnd())
      return
    }
    if (!Number.isSafeInteger(o.port) || o.port < 0 || o.port > 65535) {
      return yield* usage(`--port: expected a port number in [0, 65535], got ${o.port}`)
    }
    yield* Effect.gen(function*() {
      const server = yield* MetricsServer.MetricsServer
      yield* Console.log(`Serving Prometheus metrics on ${server.url}`)
      yield* Console.log("Running the workload through the resilient client against the simulated API…")
      const result = yield* workload
      yield* Console.log(
        `Workload done: ${result.counters.total} requests reached the API (${result.counters.rejected429} × 429, ` +
          `${result.counters.errors5xx} × 5xx); ${result.failed} calls failed after retries. ` +
          "Still serving; press Ctrl-C to stop."
      )
      yield* Effect.never
    }).pipe(
      Effect.provide(
        MetricsServer.layer({ port: o.port }).pipe(
          Layer.catchAll((e) => Layer.fail(failure(`could not listen on 127.0.0.1:${o.port}: ${e.message}`)))
        )
      )
    )
  })).pipe(
    Command.withDescription(
      "Prometheus metrics of a run: starts the simulated API and runs a short workload through the resilient client (paginate /items, fetch each item, read each again from the cache). By default serves GET /metrics on 127.0.0.1:--port during and after the run until Ctrl-C; with --once prints the exposition text (governor_* metrics) after the run and exits. Warnings of the request log (retries, 429s, 5xx) go to stderr."
    )
  )
