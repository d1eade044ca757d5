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
const retryAfter = Options.choice("retry-after", ["seconds", "http-date", "none"]).pipe(
  Options.withDescription("How 429 responses say when to retry: whole seconds, an HTTP date, or no Retry-After."),
  Options.withDefault("seconds" as const)
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
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make(
  "simulate",
  { port, rate, burst, retryAfter, headers, errorRate, items },
  (o) =>
    Effect.scoped(Effect.gen(function*() {
      const api = yield* SimulatedApi.make({
        port: o.port,
        rate: o.rate,
        burst: Option.getOrUndefined(o.burst),
        retryAfter: o.retryAfter,
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
        `  hidden limit ${Format.rate(limit.rate)}, burst ${limit.burst}; Retry-After: ${o.retryAfter}; ` +
          `rate-limit headers: ${o.headers}; error rate ${o.errorRate}; ${o.items} items`
      )
      yield* Console.log("  routes: GET /items?cursor=&limit=, GET /items/:id, PUT /items/:id, POST /items, GET /echo")
      yield* Console.log("Press Ctrl-C to stop.")
      yield* Effect.never.pipe(
        Effect.onInterrupt(() =>
          Effect.flatMap(api.counters, (c) =>
            Console.log(
              `Stopped. ${c.total} requests: ${c.accepted} accepted, ${c.rejected429} rejected with 429, ` +
                `${c.errors5xx} 5xx, ${c.resets} resets.`
            ))
        )
      )
    }))
).pipe(
  Command.withDescription(
    "Run the simulated rate-limited API (a hidden token bucket, 429s with Retry-After, optional rate-limit headers and 5xx) on 127.0.0.1 until Ctrl-C, printing its URL; point your own tests or `effect-governor probe` at it."
  )
)
