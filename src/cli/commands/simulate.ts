/**
 * `effect-governor simulate`: run the bundled simulated rate-limited API on a loopback port until
 * Ctrl-C, for the user's own tests and experiments.
 *
 * @since 0.1.0
 */
import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import type { HeaderStyle } from "../../testing/rateLimitHeaders.js"
import * as SimulatedApi from "../../testing/SimulatedApi.js"
import { failure, usage } from "../errors.js"
import * as Format from "../format.js"

const port = Options.integer("port").pipe(
  Options.withDescription("Port to listen on, on 127.0.0.1 only. 0 picks a free port (printed)."),
  Options.withDefault(0)
)
const rate = Options.float("rate").pipe(
  Options.withDescription("Hidden sustained limit in requests per second (> 0)."),
  Options.withDefault(5)
)
const burst = Options.float("burst").pipe(
  Options.withDescription("Hidden burst: requests allowed at once (>= 1). Default: the rate (at least 1)."),
  Options.optional
)
const algorithm = Options.choice("algorithm", ["token-bucket", "fixed-window", "sliding-log", "gcra"]).pipe(
  Options.withDescription(
    "Server family: a token bucket (rate, burst), a fixed-window counter or a sliding-window log (rate × window per window), or GCRA as nginx limit_req nodelay (burst at once, no Retry-After)."
  ),
  Options.withDefault("token-bucket" as const)
)
const window = Options.float("window").pipe(
  Options.withDescription("Window of fixed-window and sliding-log, in seconds; rate × window must be whole requests."),
  Options.withDefault(60)
)
const rejectStatus = Options.choice("reject-status", ["429", "503", "403"]).pipe(
  Options.withDescription("Status of a rejection: 429, 503 (nginx), or 403 (GitHub; needs --headers github or x-ratelimit)."),
  Options.withDefault("429" as const)
)
const retryAfter = Options.choice("retry-after", ["seconds", "precise", "http-date", "none"]).pipe(
  Options.withDescription(
    "How rejections say when to retry: whole seconds (at least 1), fractional seconds, an HTTP date, or no Retry-After. Default: seconds, none for gcra."
  ),
  Options.optional
)
const networkDelay = Options.text("network-delay").pipe(
  Options.withDescription("Network delay each way in milliseconds, fixed (\"80\") or a range (\"50-100\")."),
  Options.optional
)
const headers = Options.choice("headers", ["ietf", "x-ratelimit", "github", "none"]).pipe(
  Options.withDescription(
    "Rate-limit headers on every response: IETF RateLimit-Policy/RateLimit, X-RateLimit-* with the reset in seconds, GitHub-style X-RateLimit-* with an epoch reset, or none."
  ),
  Options.withDefault("none" as const)
)
const errorRate = Options.float("error-rate").pipe(
  Options.withDescription("Probability in [0, 1] that an admitted request fails with 500."),
  Options.withDefault(0)
)
const items = Options.integer("items").pipe(
  Options.withDescription("Size of the /items collection."),
  Options.withDefault(100)
)

/**
 * The header style of a `--headers` choice.
 *
 * @since 0.1.0
 * @category options
 */
export const headerStyle = (choice: "ietf" | "x-ratelimit" | "github" | "none"): HeaderStyle =>
  choice === "ietf"
    ? { ietf: true }
    : choice === "x-ratelimit"
    ? { xRateLimit: "delta" }
    : choice === "github"
    ? { xRateLimit: "epoch" }
    : {}

/**
 * The delay of a `--network-delay` value: `"80"` or `"50-100"` (milliseconds).
 *
 * @since 0.1.0
 * @category options
 */
export const networkDelayOf = (text: string): Option.Option<SimulatedApi.Delay> => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?$/.exec(text)
  if (m === null) return Option.none()
  return Option.some(m[2] === undefined ? Number(m[1]) : { min: Number(m[1]), max: Number(m[2]) })
}

const delayOption = (text: Option.Option<string>) =>
  Option.match(text, {
    onNone: () => Effect.succeed(undefined),
    onSome: (t) =>
      Option.match(networkDelayOf(t), {
        onNone: () => Effect.fail(usage(`--network-delay: expected milliseconds ("80") or a range ("50-100"), got ${JSON.stringify(t)}`)),
        onSome: (d) => Effect.succeed(d)
      })
  })

const algorithmOf = (type: "token-bucket" | "fixed-window" | "sliding-log" | "gcra", windowS: number): SimulatedApi.AlgorithmOption =>
  type === "fixed-window" || type === "sliding-log" ? { type, window: windowS * 1000 } : { type }

/**
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make(
  "simulate",
  { port, rate, burst, algorithm, window, rejectStatus, retryAfter, headers, errorRate, networkDelay, items },
  (o) =>
    Effect.scoped(Effect.gen(function*() {
      const delay = yield* delayOption(o.networkDelay)
      const api = yield* SimulatedApi.make({
        port: o.port,
        rate: o.rate,
        burst: Option.getOrUndefined(o.burst),
        algorithm: algorithmOf(o.algorithm, o.window),
        rejectStatus: Number(o.rejectStatus) as 429 | 503 | 403,
        retryAfter: Option.getOrUndefined(o.retryAfter),
        networkDelay: delay,
        headers: headerStyle(o.headers),
        errorRate: o.errorRate,
        items: o.items
      }).pipe(
        Effect.catchTags({
          InvalidSimulatedApiOptions: (e) => Effect.fail(usage(e.message)),
          SimulatedApiStartError: (e) => Effect.fail(failure(`could not listen on 127.0.0.1:${o.port}: ${e.reason}`))
        })
      )
      const limit = yield* api.limit
      yield* Console.log(`Simulated API listening on ${api.url}`)
      yield* Console.log(
        `  ${o.algorithm}: hidden limit ${Format.rate(limit.rate)}, burst ${limit.burst}; rejections ${o.rejectStatus}, ` +
          `Retry-After: ${Option.getOrElse(o.retryAfter, () => o.algorithm === "gcra" ? "none" : "seconds")}; ` +
          `rate-limit headers: ${o.headers}; error rate ${o.errorRate}; ${o.items} items` +
          Option.match(o.networkDelay, { onNone: () => "", onSome: (d) => `; network delay ${d} ms each way` })
      )
      yield* Console.log("  routes: GET /items?cursor=&limit=, GET /items/:id, PUT /items/:id, POST /items, GET /echo")
      yield* Console.log("Press Ctrl-C to stop.")
      yield* Effect.never.pipe(
        Effect.onInterrupt(() =>
          Effect.flatMap(api.counters, (c) =>
            Console.log(
              `Stopped. ${c.total} requests: ${c.accepted} accepted, ${c.rejected429} rejected by the limiter, ` +
                `${c.errors5xx} 5xx, ${c.resets} resets.`
            ))
        )
      )
    }))
).pipe(
  Command.withDescription(
    "Run the simulated rate-limited API (a hidden token bucket, fixed window, sliding log or GCRA; 429s with Retry-After, optional rate-limit headers, 5xx and network delay) on 127.0.0.1 until Ctrl-C, printing its URL; point your own tests or `effect-governor probe` at it."
  )
)
