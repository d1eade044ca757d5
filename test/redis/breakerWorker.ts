/**
 * A worker process for the shared-breaker test: builds its own shared breaker on its own Redis
 * connection, prints `ready`, then answers commands on stdin, one JSON line each:
 * - `state`: `{ "state": … }`;
 * - `probe`: `fibers` calls at once, each holding its permit for `holdMs`: `{ "admitted": n, "rejected": n }`.
 *
 * Usage: tsx test/redis/breakerWorker.ts <json options> { url, prefix, name, options, fibers, holdMs }
 */
import { Effect, Either, Layer } from "effect"
import * as readline from "node:readline"
import { CircuitBreaker } from "../../src/breaker/CircuitBreaker.js"
import * as Redis from "../../src/redis/Redis.js"
import { layerCircuitBreaker, type RedisCircuitBreakerOptions } from "../../src/redis/sharedBreaker.js"

interface WorkerOptions {
  readonly url: string
  readonly prefix: string
  readonly options: RedisCircuitBreakerOptions
  readonly fibers: number
  readonly holdMs: number
}

const options = JSON.parse(process.argv[2] ?? "{}") as WorkerOptions
const lines = readline.createInterface({ input: process.stdin })
const next = (): Promise<string> => new Promise((resolve) => lines.once("line", (line) => resolve(line.trim())))

const program = Effect.gen(function*() {
  const breaker = yield* CircuitBreaker
  yield* breaker.state // connected and script loaded
  process.stdout.write("ready\n")
  for (;;) {
    const command = yield* Effect.promise(next)
    if (command === "state") {
      process.stdout.write(`${JSON.stringify({ state: (yield* breaker.state).state })}\n`)
    } else if (command === "probe") {
      const results = yield* Effect.forEach(
        Array.from({ length: options.fibers }),
        () => Effect.either(breaker.withBreaker(Effect.sleep(options.holdMs))),
        { concurrency: "unbounded" }
      )
      const admitted = results.filter(Either.isRight).length
      process.stdout.write(`${JSON.stringify({ admitted, rejected: results.length - admitted })}\n`)
    } else {
      return
    }
  }
})

const live = layerCircuitBreaker(options.options).pipe(Layer.provide(Redis.layer({ url: options.url, prefix: options.prefix })))

Effect.runPromise(program.pipe(Effect.provide(live))).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
)
